/**
 * `ssh [-o opt]... root@<address> <command>` in a rehearsal of the runbook: the
 * command runs on the fake host of the site whose stack file has that
 * sshAddress, as the command provider's sessions do (FakeHost.run); any other
 * address is not reached, as a host that does not answer.
 */
import { readFileSync } from "node:fs";
import { readStackFile } from "../../../scripts/lib/stack-file";
import { PROJECT_ROOT } from "../../helpers/stacks";
import { FakeHost } from "../fake-host";
import { SITES } from "../harness";

const args = process.argv.slice(2);
let at = 0;
while (args[at]?.startsWith("-")) at += args[at] === "-o" || args[at] === "-i" || args[at] === "-p" ? 2 : 1;
const dest = args[at] ?? "";
const remote = args.slice(at + 1).join(" ");
const address = dest.split("@").pop() ?? "";
const site = SITES.find((s) => readStackFile(PROJECT_ROOT, s).config["retzien-infra:sshAddress"] === address);
const world = process.env["RETZIEN_ENGINE_WORLD"];
if (site === undefined || world === undefined) {
  process.stderr.write(`ssh: connect to host ${address} port 22: No route to host\n`);
  process.exit(255);
}
let stdin = "";
try {
  stdin = readFileSync(0, "utf8");
} catch {
  // No stdin (closed or a terminal): the command reads nothing.
}
const run = FakeHost.of(world, site).run(remote, stdin);
process.stdout.write(run.stdout);
process.stderr.write(run.stderr);
process.exit(run.status ?? 255);
