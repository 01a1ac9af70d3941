/**
 * A real sshd on 127.0.0.1 for the tests that reach fake hosts over SSH as the
 * operators' tools do (`npm run status`, the probe sent as `bash -s`). Nothing
 * here talks to any address but 127.0.0.1.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { join } from "node:path";
import { type SystemTool, skipUnless } from "./system-tools";

export const SSHD = "/usr/sbin/sshd" as const;

export interface LoopbackSshd {
  readonly port: number;
  readonly proc: ChildProcess;
  readonly logPath: string;
  /** The host key's public half, `ssh-ed25519 AAAA... comment`. */
  readonly hostPub: string;
  readonly stop: () => Promise<void>;
}

/** Why a loopback sshd cannot run here (the skip reason, naming the packages), or `false` if it can. */
export function missingForLoopbackSshd(extra: readonly SystemTool[] = []): false | string {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    return "needs root: sshd logs root in and needs /run/sshd";
  }
  return skipUnless(SSHD, "ssh", "ssh-keygen", ...extra);
}

function run(cmd: string, args: readonly string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}`);
}

/** A fresh passphrase-less ed25519 key pair at `path` (+ `.pub`); returns the public line. */
export function makeEd25519Key(path: string, comment: string): string {
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path]);
  return readFileSync(`${path}.pub`, "utf8").trim();
}

/** known_hosts naming the sshd's host key under each loopback port (the sshd's own, a relay's). */
export function writeKnownHosts(file: string, ports: readonly number[], hostPub: string): void {
  writeFileSync(file, ports.map((p) => `[127.0.0.1]:${p} ${hostPub}\n`).join(""));
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until 127.0.0.1:port accepts (bounded: 100 x 50 ms). */
async function waitForPort(port: number, isDead: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (isDead()) return false;
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return true;
    await sleep(50);
  }
  return false;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export function stopProcess(proc: ChildProcess, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      try {
        proc.kill("SIGKILL");
      } catch {
        /* gone */
      }
    }, graceMs);
    proc.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      proc.kill("SIGTERM");
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/**
 * Starts sshd on a free loopback port with its own host key in `dir`, reading
 * only `authorizedKeys`. By default root logs in with forced commands only; an
 * operator's key (a shell) needs `rootLogin: "prohibit-password"`.
 */
export async function startLoopbackSshd(
  dir: string,
  authorizedKeys: string,
  options: { rootLogin?: "forced-commands-only" | "prohibit-password"; path?: string; acceptEnv?: string } = {},
): Promise<LoopbackSshd> {
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privsep dir
  const hostKey = join(dir, "host_ed25519");
  const hostPub = makeEd25519Key(hostKey, "loopback-host");
  const logPath = join(dir, "sshd.log");
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const cfg = join(dir, "sshd_config");
    writeFileSync(
      cfg,
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        `PermitRootLogin ${options.rootLogin ?? "forced-commands-only"}`,
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "AllowTcpForwarding yes",
        "Subsystem sftp internal-sftp",
        "LogLevel VERBOSE",
        // The sessions' PATH, when a test puts its stand-ins first (sshd applies SetEnv after its own PATH).
        ...(options.path === undefined ? [] : [`SetEnv PATH=${options.path}`]),
        // A variable the client may send (its ssh_config's SetEnv): which fake host a session stands for.
        ...(options.acceptEnv === undefined ? [] : [`AcceptEnv ${options.acceptEnv}`]),
        "",
      ].join("\n"),
    );
    const log = openSync(logPath, "a");
    const proc = spawn(SSHD, ["-D", "-e", "-f", cfg], { stdio: ["ignore", log, log] });
    closeSync(log);
    let dead = false;
    proc.once("exit", () => {
      dead = true;
    });
    if (await waitForPort(port, () => dead)) {
      return { port, proc, logPath, hostPub, stop: () => stopProcess(proc) };
    }
    await stopProcess(proc);
  }
  throw new Error(`sshd did not start; log:\n${readFileSync(logPath, "utf8")}`);
}
