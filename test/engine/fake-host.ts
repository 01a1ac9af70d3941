/**
 * A fake Proxmox host for the engine suite: one directory per site holding the
 * PVE objects the proxmoxve stand-in provider made (a JSON file each), the
 * state of the PBS and PVE tool stand-ins, and the files the host commands wrote.
 * A test can wipe it (host lost), keep it while the Pulumi state goes (state
 * lost), or change an object by hand (drift).
 *
 * Host commands run in a private mount namespace (`unshare -m`) in which /etc,
 * /usr/local, /var/lib, /var/spool and /mnt are overlays whose writes land in the
 * site's directory: the real machine's /etc and the rest are read, never written.
 * The host has Postfix, configured as it is before the program sets its alarm
 * path (host-files/postfix-main.cf), when this machine has Postfix's programs. The
 * engine suite's own stand-ins come first on PATH (apt-get, wg, and pct and
 * pvesm that keep guests), then the project's (pct, pvesm, pvesh,
 * proxmox-backup-manager, proxmox-backup-debug, systemctl).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

const PROJECT_ROOT = resolve(__dirname, "..", "..");
/** The directories of the host a command may write to, each an overlay on the real one. */
export const WRITABLE = ["/etc", "/usr/local", "/var/lib", "/var/spool", "/mnt"] as const;
/** The host's main.cf as the install left it, before the program's first command. */
const POSTFIX_MAIN_CF = join(__dirname, "host-files", "postfix-main.cf");
/** The engine suite's own first (its pct and pvesm keep guests on the fake host, then call the project's). */
const STANDINS = [join(__dirname, "host-standins"), join(PROJECT_ROOT, "test", "fixtures", "standins")];

export interface CommandRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class FakeHost {
  constructor(readonly root: string) {}

  /** The site's host of a world directory: `<world>/<site>`. */
  static of(world: string, site: string): FakeHost {
    return new FakeHost(join(world, site));
  }

  private dir(...parts: string[]): string {
    const path = join(this.root, ...parts);
    mkdirSync(path, { recursive: true });
    return path;
  }

  /** The objects of one resource type, by id. */
  objects(type: string): Record<string, Record<string, unknown>> {
    const dir = join(this.root, "pve", type.replaceAll(/[^A-Za-z0-9]+/g, "_"));
    if (!existsSync(dir)) return {};
    return Object.fromEntries(readdirSync(dir).map((f) => [decodeURIComponent(f.replace(/\.json$/, "")), JSON.parse(readFileSync(join(dir, f), "utf8")) as Record<string, unknown>]));
  }

  get(type: string, id: string): Record<string, unknown> | undefined {
    return this.objects(type)[id];
  }

  put(type: string, id: string, object: Record<string, unknown>): void {
    writeFileSync(join(this.dir("pve", type.replaceAll(/[^A-Za-z0-9]+/g, "_")), `${encodeURIComponent(id)}.json`), `${JSON.stringify(object, null, 2)}\n`);
  }

  remove(type: string, id: string): void {
    rmSync(join(this.root, "pve", type.replaceAll(/[^A-Za-z0-9]+/g, "_"), `${encodeURIComponent(id)}.json`), { force: true });
  }

  /**
   * A token of the host's API, as `pveum user token add` makes it (the
   * bootstrap): its id, its secret, and whether its role may change anything.
   */
  addToken(id: string, secret: string, canWrite: boolean): void {
    const tokens = this.tokens();
    tokens[id] = { secret, canWrite };
    writeFileSync(join(this.dir("access"), "tokens.json"), `${JSON.stringify(tokens, null, 2)}\n`);
  }

  private tokens(): Record<string, { secret: string; canWrite: boolean }> {
    const file = join(this.root, "access", "tokens.json");
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, { secret: string; canWrite: boolean }>) : {};
  }

  /**
   * Throws what the API answers a call made with `token` (`user@realm!name=secret`):
   * 401 for a token this host does not know (PVE's own wording not looked up: the
   * status is what matters), 403 for a write by a token whose role only reads
   * (PVE's RPCEnvironment `check`: "Permission check failed"), formatted as bpg's
   * client reports them (proxmox/api/errors.go, v0.111.1).
   */
  authorize(token: string, write: boolean, path: string): void {
    const [id = "", secret = ""] = token.split("=");
    const known = this.tokens()[id];
    if (known === undefined || known.secret !== secret) throw new Error(`received an HTTP 401 response - Reason: authentication failure (the host knows no token ${id} with that secret)`);
    if (write && !known.canWrite) throw new Error(`received an HTTP 403 response - Reason: Permission check failed (${path}, token ${id} reads only)`);
  }

  /** What the PBS stand-ins keep: datastores, jobs, users, ACLs, by kind. */
  pbs(): Record<string, unknown> {
    const file = join(this.root, "state", "pbs.json");
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  }

  /** The host burnt: everything on it gone. */
  wipe(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  /** A file as the host's commands wrote it (`/etc/wireguard/retzien.key`), or undefined. */
  file(path: string): string | undefined {
    const top = WRITABLE.find((w) => path === w || path.startsWith(`${w}/`));
    if (top === undefined) throw new Error(`${path} is not under a writable directory of the fake host (${WRITABLE.join(", ")})`);
    const upper = join(this.root, "fs", top.slice(1).replaceAll("/", "_"), "upper", path.slice(top.length));
    return existsSync(upper) ? readFileSync(upper, "utf8") : undefined;
  }

  /** The environment of a host command: the stand-ins first on PATH, their state in this host. */
  env(): NodeJS.ProcessEnv {
    const state = this.dir("state");
    return {
      PATH: `${STANDINS.join(":")}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      HOME: this.dir("home"),
      LANG: "C.UTF-8",
      STANDIN_LOG: join(state, "calls.log"),
      PBS_STATE: join(state, "pbs.json"),
      PVE_STATE: join(state, "pve.json"),
      WG_STATE: join(state, "wg"),
      FAKE_HOST_ROOT: this.root,
      FAKE_HOST_NODE: basename(this.root),
      // The newest copy of each guest in each namespace, for every PBS at once (host-lib/guests.js).
      FAKE_ARCHIVE: join(dirname(this.root), "archive"),
    };
  }

  /**
   * Runs a host command as the command provider's SSH session would, as root in
   * the host's namespace; with `privateNetwork`, in a network namespace of its
   * own too, whose loopback is up and holds nothing else (a test adds the
   * addresses it serves there).
   */
  run(script: string, stdin = "", options: { privateNetwork?: boolean } = {}): CommandRun {
    const mounts = WRITABLE.map((w) => {
      const base = this.dir("fs", w.slice(1).replaceAll("/", "_"));
      this.dir("fs", w.slice(1).replaceAll("/", "_"), "upper");
      this.dir("fs", w.slice(1).replaceAll("/", "_"), "work");
      return `mount -t overlay overlay -o lowerdir=${w},upperdir=${base}/upper,workdir=${base}/work ${w}`;
    });
    // The host's Postfix as installed, once: its main.cf, for its node name.
    const postfix = `if [ -d /etc/postfix ] && [ ! -e /etc/postfix/main.cf ]; then cat ${POSTFIX_MAIN_CF} > /etc/postfix/main.cf; postconf -e "myhostname = $FAKE_HOST_NODE.fake-host.test"; fi`;
    const network = options.privateNetwork === true ? ["ip link set lo up"] : [];
    // The mounts live and die with this namespace; the script then runs as a login shell would run it over SSH.
    const wrapper = `set -e\n${[...mounts, postfix, ...network].join("\n")}\nexec bash -c "$RETZIEN_SCRIPT"`;
    const result = spawnSync("unshare", [...(options.privateNetwork === true ? ["-m", "-n"] : ["-m"]), "bash", "-c", wrapper], {
      input: stdin,
      encoding: "utf8",
      env: { ...this.env(), RETZIEN_SCRIPT: script },
      timeout: 120_000,
    });
    return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? String(result.error ?? "") };
  }
}
