/**
 * The Postfix settings status reads, and how it compares them: what each site's
 * spec compiles to, a relay's networks as a set (Postfix takes them in any order,
 * spaces or commas), one value otherwise.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateSiteSpecs } from "../../src/program";
import { mailSettingChecks, settingHolds } from "../../src/status/mail-settings";
import { allSites } from "../../stacks/sites";

const sites = validateSiteSpecs(allSites).sites;
const checksOf = (name: string) => mailSettingChecks(sites.find((s) => s.name === name)!);

test("each site's checks: the host's alarm path, Plesk's smarthost, the relay's mynetworks; Nextcloud's SMTP is not Postfix's", () => {
  assert.deepEqual(
    checksOf("rouans").map((c) => [c.key, c.expected]),
    [["host:relayhost", "[smtp.retzien.example]:587"]],
  );
  assert.deepEqual(
    checksOf("sthilaire").map((c) => [c.key, c.expected]),
    [
      ["host:relayhost", "[192.168.20.12]:25"],
      ["210:relayhost", "[192.168.20.12]:25"],
      ["230:mynetworks", "127.0.0.0/8 [::1]/128 192.168.20.10/32 [2001:db8:20::10]/128 192.168.20.11/32 [2001:db8:20::11]/128 192.168.20.2/32"],
    ],
  );
});

test("mynetworks holds in any order and with commas, not with a network missing or added; a relayhost must match exactly", () => {
  const [host, smarthost, mynetworks] = checksOf("sthilaire");
  assert.ok(settingHolds(mynetworks!, "192.168.20.2/32, 127.0.0.0/8 [::1]/128 192.168.20.10/32 [2001:db8:20::10]/128 192.168.20.11/32,[2001:db8:20::11]/128"));
  assert.ok(!settingHolds(mynetworks!, "127.0.0.0/8 [::1]/128 192.168.20.10/32 [2001:db8:20::10]/128 192.168.20.11/32 [2001:db8:20::11]/128"));
  assert.ok(!settingHolds(mynetworks!, `${mynetworks!.expected} 192.168.20.0/24`));
  assert.ok(settingHolds(smarthost!, "[192.168.20.12]:25"));
  assert.ok(!settingHolds(smarthost!, "192.168.20.12:25"), "without brackets Postfix looks up the MX of the name");
  assert.ok(!settingHolds(host!, ""));
});
