/**
 * A sender and a holder on this machine, joined by the loopback sshd the host
 * tests use (scripts/lib/loopback-sshd.ts): the sender's dump directory is
 * served only through the exact authorisation line the stacks install, the
 * pull goes through a byte-counting relay (the sender's uplink as ssh carries
 * it), and the real pull script runs with an env file like the one the
 * program writes. `pvesm` is the project's recording stand-in.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, createReadStream, existsSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import {
  type LoopbackSshd,
  type Relay,
  makeEd25519Key,
  pullAuthorization,
  startLoopbackSshd,
  startRelay,
  writeKnownHosts,
} from "../lib/loopback-sshd";

const REPO = resolve(__dirname, "..", "..");
export const PULL_SCRIPT = join(REPO, "scripts", "host", "offsite-pull.sh");
const PVESM_STANDIN = join(REPO, "test", "fixtures", "standins", "pvesm");

/** The part of the script's status.json the bench reads (see the script's write_status). */
export interface PullStatus {
  ok: boolean;
  pulled: { archive: string; vmid: number; bytesOnWire: number; archiveBytes: number; basis: string | null; seconds: number }[];
  bytesOnWire: number;
  errors: string[];
}

export interface PullRun {
  readonly code: number | null;
  readonly stderr: string;
  readonly status: PullStatus | null;
  /** Relay bytes of the whole run (listing and pull sessions), ssh framing included. */
  readonly tcpDown: number;
  readonly tcpUp: number;
  /** The largest session, down: the archive's transfer. Rate = bytes / seconds between its first and last byte. */
  readonly transferDown: number;
  readonly transferSeconds: number;
  /** Each `pvesm` call the script made, as its argument line. */
  readonly pvesmCalls: string[];
}

export interface PullSite {
  readonly senderDump: string;
  readonly destDir: string;
  /** Serve exactly `files` (paths, hard-linked in) and hold exactly `held` in DEST_DIR (copied). */
  stage(files: readonly string[], held: readonly string[]): void;
  pull(settings: Record<string, string>, timeoutMs: number): Promise<PullRun>;
  stop(): Promise<void>;
}

export function sha256(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash("sha256");
    createReadStream(path)
      .on("data", (d) => h.update(d))
      .on("end", () => res(h.digest("hex")))
      .on("error", rej);
  });
}

/** Starts the sshd and relay under `root` (created), with `pullScript` as the script to run. */
export async function startPullSite(root: string, pullScript: string): Promise<PullSite> {
  const senderDump = join(root, "sthilaire", "dump");
  const offsite = join(root, "rouans", "offsite");
  const destDir = join(offsite, "dump");
  const stateDir = join(root, "rouans", "state");
  const sshdDir = join(root, "sshd");
  const bin = join(root, "bin");
  const rec = join(root, "records");
  for (const d of [senderDump, stateDir, sshdDir, bin, rec]) mkdirSync(d, { recursive: true });
  // The script logs problems with logger when not under systemd: keep them out of this machine's syslog.
  symlinkSync("/bin/true", join(bin, "logger"));
  const key = join(root, "pull_ed25519");
  const knownHosts = join(root, "known_hosts");
  const authorizedKeys = join(sshdDir, "authorized_keys");
  writeFileSync(authorizedKeys, `${pullAuthorization(senderDump, makeEd25519Key(key, "bench-pull"), "rouans")}\n`);
  const sshd: LoopbackSshd = await startLoopbackSshd(sshdDir, authorizedKeys);
  const relay: Relay = await startRelay(sshd.port);
  writeKnownHosts(knownHosts, [sshd.port, relay.port], sshd.hostPub);
  const config = join(root, "offsite-pull.env");

  return {
    senderDump,
    destDir,
    stage(files, held) {
      rmSync(senderDump, { recursive: true, force: true });
      rmSync(offsite, { recursive: true, force: true });
      rmSync(join(stateDir, "status.json"), { force: true });
      mkdirSync(senderDump, { recursive: true });
      mkdirSync(destDir, { recursive: true });
      for (const f of files) linkSync(f, join(senderDump, basename(f)));
      // A copy, not a link: the holder's copy is its own file, as after a real pull.
      for (const f of held) copyFileSync(f, join(destDir, basename(f)));
    },
    async pull(settings, timeoutMs) {
      const all: Record<string, string> = {
        PEER_NAME: "sthilaire",
        PEER_HOST: "127.0.0.1",
        PEER_PORT: String(relay.port),
        PEER_USER: "root",
        SSH_KEY: key,
        KNOWN_HOSTS: knownHosts,
        DEST_DIR: destDir,
        STATE_DIR: stateDir,
        STORAGE_ID: "offsite-sthilaire",
        KEEP_DAILY: "7",
        KEEP_WEEKLY: "4",
        KEEP_MONTHLY: "3",
        FREE_SPACE_MARGIN_MB: "0",
        CONNECT_TIMEOUT_S: "10",
        IO_TIMEOUT_S: "120",
        PVESM: PVESM_STANDIN,
        ...settings,
      };
      writeFileSync(config, Object.entries(all).map(([k, v]) => `${k}='${v}'\n`).join(""), { mode: 0o600 });
      rmSync(join(rec, "pvesm.calls"), { force: true });
      const before = relay.state.sessions.length;
      const [downBefore, upBefore] = [relay.state.down, relay.state.up];
      const r = await runBounded(pullScript, ["--config", config], {
        PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        TZ: "UTC",
        HOME: root,
        STANDIN_LOG: join(rec, "pvesm.calls"),
      }, timeoutMs);
      const statusPath = join(stateDir, "status.json");
      const sessions = relay.state.sessions.slice(before);
      const transfer = sessions.reduce((a, s) => (s.down > a.down ? s : a), { down: 0, up: 0, firstDownAt: 0, lastDownAt: 0 });
      const calls = join(rec, "pvesm.calls");
      return {
        ...r,
        status: existsSync(statusPath) ? (JSON.parse(readFileSync(statusPath, "utf8")) as PullStatus) : null,
        tcpDown: relay.state.down - downBefore,
        tcpUp: relay.state.up - upBefore,
        transferDown: transfer.down,
        transferSeconds: (transfer.lastDownAt - transfer.firstDownAt) / 1000,
        pvesmCalls: existsSync(calls) ? readFileSync(calls, "utf8").split("\n").filter(Boolean) : [],
      };
    },
    async stop() {
      await relay.stop();
      await sshd.stop();
    },
  };
}

/** Runs a command asynchronously (the relay lives in this process), killed after `timeoutMs`. */
function runBounded(cmd: string, args: readonly string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "ignore", "pipe"], detached: true });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        /* gone */
      }
      stderr += `\n(killed after ${timeoutMs} ms)`;
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stderr });
    });
  });
}
