/**
 * The system tools some tests run for real (sshd, curl, shellcheck...), and the
 * Debian package each comes from. A test that needs one the machine lacks is
 * skipped with a reason naming the package; the skip summary
 * (`test/helpers/skip-summary-reporter.mjs`) counts them and says how to run them,
 * and `.ci/run` allows no skip at all.
 */
import { spawnSync } from "node:child_process";

/** Debian 12's package for each tool a test runs. */
const PACKAGE_OF = {
  "/usr/sbin/sshd": "openssh-server",
  ssh: "openssh-client",
  "ssh-keygen": "openssh-client",
  curl: "curl",
  openssl: "openssl",
  perl: "perl",
  shellcheck: "shellcheck",
  "systemd-analyze": "systemd",
} as const;

export type SystemTool = keyof typeof PACKAGE_OF;

/** Whether `cmd` is on PATH (or, given as a path, executable). */
export function have(cmd: string): boolean {
  return spawnSync("sh", ["-c", 'command -v "$1"', "sh", cmd], { stdio: "ignore" }).status === 0;
}

/**
 * `false` when every tool is here, else the skip reason:
 * `needs shellcheck (apt-get install shellcheck)`.
 */
export function skipUnless(...tools: SystemTool[]): false | string {
  const missing = tools.filter((t) => !have(t));
  if (missing.length === 0) return false;
  const packages = [...new Set(missing.map((t) => PACKAGE_OF[t]))];
  return `needs ${missing.join(", ")} (apt-get install ${packages.join(" ")})`;
}
