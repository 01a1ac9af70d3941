/**
 * The pure pieces behind the bad-input classes: how a disk's text is read, what
 * counts as a port given with a host, and the warning of a backup that meets a
 * pull on its own PBS.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { backupPlanWarnings, planBackups } from "../../src/backup/plan";
import { hasPort, withoutPort } from "../../src/rules/added-parts";
import { diskCapacityGiB } from "../../src/rules/disk-rules";
import { formatProblem } from "../../src/problems";
import { validateSiteSpecs } from "../../src/program";
import { siteSchema } from "../../src/site/schema";
import { cloneSites } from "../helpers/stacks";

test("a disk's capacity from its description: decimal vendor sizes, mirrors hold one disk, stripes both, RAID-Z not guessed", () => {
  const cases: [string, number | undefined][] = [
    ["1 TB HDD (backups)", 931.3],
    ["320 GB HDD (system)", 298],
    ["500 GB SSD (data)", 465.7],
    ["2 x 2 TB HDD, ZFS mirror", 1862.6],
    ["2 x 2 TB HDD", 3725.3],
    ["3 x 4 TB HDD, RAID-Z1", undefined],
    ["480 GiB SSD", 480],
    ["the old disk in the cupboard", undefined],
  ];
  for (const [text, expected] of cases) {
    const found = diskCapacityGiB(text);
    assert.equal(found === undefined ? undefined : Math.round(found * 10) / 10, expected, text);
  }
});

test("a host with a port, and what is not one", () => {
  for (const text of ["host:51820", "10.0.0.1:22", "[2001:db8::1]:51820", "host:"]) assert.equal(hasPort(text), true, text);
  for (const text of ["host", "10.0.0.1", "2001:db8::1", "::1"]) assert.equal(hasPort(text), false, text);
  assert.equal(withoutPort("[2001:db8::1]:51820"), "2001:db8::1");
  assert.equal(withoutPort("sthilaire.retzien.fr:51820"), "sthilaire.retzien.fr");
});

test("a backup moved onto the pull its PBS receives is warned about, with both windows", () => {
  const sites = cloneSites();
  sites.rouans.backup.schedule = "*-*-* 05:00";
  const plan = planBackups(sites.all.map((s) => siteSchema.parse(s)));
  assert.deepEqual(backupPlanWarnings(plan).filter((w) => w.startsWith("the backup of rouans")), [
    "the backup of rouans (05:00-05:13) meets the pull sthilaire -> rouans (04:45-05:54) on rouans's PBS: both write to one disk, so both take longer than planned; move sites.rouans.backup.schedule clear of it",
  ]);
});

test("a placeholder that names no value of the spec, or no key of the stack file, is refused", () => {
  const sites = cloneSites();
  sites.rouans.placeholders = ["network.ipv4", "network.ipv5", "config.sshAdress", "config.endpoint"];
  const { problems } = validateSiteSpecs(sites.all);
  assert.deepEqual(problems.map(formatProblem), [
    'sites.rouans.placeholders[1]: found "network.ipv5", expected the dotted path of a value of this spec, such as network.ipv4 or recovery.publicIpv4',
    'sites.rouans.placeholders[2]: found "config.sshAdress", expected config.<key> with a key of Pulumi.rouans.yaml (endpoint, insecure, sshUser, sshAddress, sshPort, sshPrivateKey, gotifyToken, alarmPassword, away, adopt, hosting)',
  ]);
});
