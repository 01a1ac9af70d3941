/**
 * A real sshd on 127.0.0.1 that authorises a pull key only with the exact
 * `authorized_keys` line the stacks install (`restrict,command="rrsync -ro
 * <dump dir>"`), plus a byte-counting TCP relay in front of it. Shared by the
 * host-script tests (test/host/harness.js) and the benchmark (scripts/bench/),
 * so both exercise the same server, the same key line and the same links.
 * Nothing here talks to any address but 127.0.0.1.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { authorizationMarker, authorizedKeyLine, checkEd25519PublicKey } from "../../src/offsite/host-files";

export const SSHD = "/usr/sbin/sshd";
export const RRSYNC = "/usr/bin/rrsync";

export interface LoopbackSshd {
  readonly port: number;
  readonly proc: ChildProcess;
  readonly logPath: string;
  /** The host key's public half, `ssh-ed25519 AAAA... comment`. */
  readonly hostPub: string;
  readonly stop: () => Promise<void>;
}

/** Whether `cmd` is on PATH (or, given as a path, executable). */
export function have(cmd: string): boolean {
  return spawnSync("sh", ["-c", 'command -v "$1"', "sh", cmd], { stdio: "ignore" }).status === 0;
}

/** Why a loopback sshd with rrsync cannot run here, or null if it can. */
export function missingForLoopbackSshd(extra: readonly string[] = []): string | null {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    return "needs root: sshd runs with PermitRootLogin forced-commands-only and needs /run/sshd";
  }
  for (const cmd of [SSHD, RRSYNC, "ssh", "ssh-keygen", "rsync", "python3", ...extra]) {
    if (!have(cmd)) return `needs ${cmd}, which is not installed`;
  }
  return null;
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

/** The line the stacks install on the sender for `holder`'s pull key (src/offsite/host-files.ts). */
export function pullAuthorization(dumpDir: string, pubKey: string, holder: string): string {
  const key = checkEd25519PublicKey(pubKey);
  if (!key.ok) throw new Error(`pull key refused: ${key.reason}`);
  return authorizedKeyLine(dumpDir, key, authorizationMarker(holder));
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
 * only `authorizedKeys`. By default root logs in with forced commands only, as
 * a pull key does on a Proxmox host; an operator's key (a shell) needs
 * `rootLogin: "prohibit-password"`. Forwarding and sftp stay enabled in the
 * server so that a key's `restrict` and forced command are what forbid them.
 */
export async function startLoopbackSshd(
  dir: string,
  authorizedKeys: string,
  options: { rootLogin?: "forced-commands-only" | "prohibit-password" } = {},
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

/** Bytes each way on one connection, and when the first and last byte came down (`performance.now()`). */
export interface RelaySession {
  down: number;
  up: number;
  firstDownAt: number;
  lastDownAt: number;
}

/** What a relay has carried. `down` is server to client: the sender's uplink in a pull. */
export interface RelayState {
  /** Cut every connection once more than this many bytes have come down; 0 = never. */
  cutAfterBytes: number;
  down: number;
  up: number;
  cuts: number;
  /** One entry per connection, in the order they were accepted. */
  sessions: RelaySession[];
}

export interface Relay {
  readonly port: number;
  readonly state: RelayState;
  readonly stop: () => Promise<void>;
}

/**
 * A loopback TCP relay to `targetPort` that counts the bytes each way (the
 * link as the uplink sees it, ssh framing included) and can cut every
 * connection mid-transfer (`state.cutAfterBytes`): a link that dies.
 */
export function startRelay(targetPort: number): Promise<Relay> {
  const state: RelayState = { cutAfterBytes: 0, down: 0, up: 0, cuts: 0, sessions: [] };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(targetPort, "127.0.0.1");
    const session: RelaySession = { down: 0, up: 0, firstDownAt: 0, lastDownAt: 0 };
    state.sessions.push(session);
    sockets.add(client);
    sockets.add(upstream);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on("error", kill);
      s.on("close", kill);
    }
    client.on("data", (chunk: Buffer) => {
      state.up += chunk.length;
      session.up += chunk.length;
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once("drain", () => client.resume());
      }
    });
    upstream.on("data", (chunk: Buffer) => {
      state.down += chunk.length;
      session.down += chunk.length;
      const now = performance.now();
      if (session.firstDownAt === 0) session.firstDownAt = now;
      session.lastDownAt = now;
      if (state.cutAfterBytes > 0 && state.down > state.cutAfterBytes) {
        state.cuts++;
        kill();
        return;
      }
      if (!client.write(chunk)) {
        upstream.pause();
        client.once("drain", () => upstream.resume());
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address !== null ? address.port : 0,
        state,
        stop: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
