/**
 * The shell that sets up PBS on a host, as text: one create-or-update and one
 * delete per PBS object, run over SSH by `@pulumi/command`. Each create can run
 * again at any time (it converges), each delete undoes exactly what its create
 * made and never touches backup data. Pure, so the exact commands are tested
 * against stand-ins that accept only the options PBS documents.
 */
import type { RetentionSpec } from "../site/schema";
import { TOKEN_DIR, tokenSecretFile } from "./names";

const PBM = "proxmox-backup-manager";

/** `'it'\''s'`: one shell word, whatever the text. */
export const shq = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** The folder a path is in. */
export const folderOf = (path: string): string => path.replace(/\/[^/]+$/, "");

/** A create and its delete. */
export interface HostCommands {
  readonly create: string;
  readonly delete: string;
}

const script = (...lines: string[]) => `set -eu\n${lines.join("\n")}\n`;

/** The retention's fields and PBS's option for each. */
const KEEP_OPTIONS: readonly (readonly [keyof RetentionSpec, string])[] = [
  ["keepLast", "keep-last"],
  ["keepDaily", "keep-daily"],
  ["keepWeekly", "keep-weekly"],
  ["keepMonthly", "keep-monthly"],
  ["keepYearly", "keep-yearly"],
];

/** `--keep-daily 7 --keep-weekly 4`, in PBS's option names. */
export function keepOptions(retention: RetentionSpec): string {
  return KEEP_OPTIONS.flatMap(([field, option]) => (retention[field] === undefined ? [] : [`--${option} ${retention[field]}`])).join(" ");
}

/** The oldest PBS the host commands are known to work with (README, "What it needs"). */
export const MIN_PBS_VERSION = "3.3";

/**
 * PBS from Proxmox's repository for the host's Debian release (signed; apt checks
 * it against the Proxmox key every PVE host has), a memory ceiling on its daemon
 * so that it keeps to what the planner counted, then the certificate fingerprint
 * on stdout: the local storage and the peers pin it.
 */
export function installCommands(memoryGiB: number): HostCommands {
  const dropIn = "/etc/systemd/system/proxmox-backup-proxy.service.d/retzien-memory.conf";
  return {
    create: script(
      `if ! command -v ${PBM} >/dev/null 2>&1; then`,
      "  . /etc/os-release",
      `  printf 'deb http://download.proxmox.com/debian/pbs %s pbs-no-subscription\\n' "$VERSION_CODENAME" > /etc/apt/sources.list.d/pbs.list`,
      "  apt-get update -q >&2",
      "  DEBIAN_FRONTEND=noninteractive apt-get install -y -q proxmox-backup-server >&2",
      "fi",
      // The oldest PBS whose commands this program's were checked against (vocab/pbs-manager-3.4.0.json
      // and 4.2.0); 3.3 is the first whose API reuses a datastore a surviving disk holds.
      `pbs=$(dpkg-query -W -f '\${Version}' proxmox-backup-server)`,
      `printf '%s\\n' ${MIN_PBS_VERSION} "$pbs" | sort -V -C || { echo "proxmox-backup-server $pbs is older than ${MIN_PBS_VERSION}, the oldest this program runs on: upgrade it (apt full-upgrade)" >&2; exit 1; }`,
      `install -d -m 755 ${shq(folderOf(dropIn))}`,
      // MemoryHigh throttles before the kernel would kill: GC slows, backups go on.
      `printf '[Service]\\nMemoryHigh=${memoryGiB}G\\n' > ${shq(dropIn)}`,
      "systemctl daemon-reload",
      "systemctl try-restart proxmox-backup-proxy.service",
      `install -d -m 700 ${shq(TOKEN_DIR)}`,
      `${PBM} cert info | sed -n 's/^Fingerprint (sha256): //p'`,
    ),
    // The package stays: removing it would stop the backups of every site this host holds.
    delete: script(`rm -f ${shq(dropIn)}`, "systemctl daemon-reload"),
  };
}

/**
 * The datastore on the backup disk, its GC schedule, its jobs' failures sent through PBS's
 * notification system (the matcher of notificationCommands routes them), and one namespace
 * per site it holds. The mode is set here, not by the matcher's command: a datastore made
 * again (a new backup disk) would otherwise come back in the legacy mode.
 */
export function datastoreCommands(args: { name: string; path: string; gcSchedule: string; namespaces: readonly string[] }): HostCommands {
  const { name } = args;
  const namespaces = args.namespaces.map(
    (ns) =>
      // PBS has no namespace command in its manager CLI; the API, called locally as root, has. An
      // existing namespace is no error (DataStore::create_namespace makes it with create_dir_all,
      // proxmox-backup v3.4.0 and v4.2.0), so a second run converges as it is.
      `proxmox-backup-debug api create /admin/datastore/${name}/namespace --name ${shq(ns)} >/dev/null`,
  );
  return {
    create: script(
      `if ${PBM} datastore show ${shq(name)} >/dev/null 2>&1; then`,
      `  ${PBM} datastore update ${shq(name)} --gc-schedule ${shq(args.gcSchedule)} --notification-mode notification-system`,
      // A backup disk that survived a host (reinstalled PVE and PBS): its snapshots are taken back as they are.
      `elif [ -d ${shq(`${args.path}/.chunks`)} ]; then`,
      // Through the API: its create takes reuse-datastore from PBS 3.3 on, the CLI's only from 4.0.11
      // (proxmox-backup 40a287727, "bin: expose reuse-datastore flag"; vocab/pbs-manager-3.4.0.json lacks it).
      `  proxmox-backup-debug api create /config/datastore --name ${shq(name)} --path ${shq(args.path)} --reuse-datastore true --gc-schedule ${shq(args.gcSchedule)} --notification-mode notification-system --comment 'retzien: own snapshots and held copies'`,
      "else",
      `  ${PBM} datastore create ${shq(name)} ${shq(args.path)} --gc-schedule ${shq(args.gcSchedule)} --notification-mode notification-system --comment 'retzien: own snapshots and held copies'`,
      "fi",
      ...namespaces,
    ),
    // Drops the datastore's configuration only: the chunks and snapshots stay on the disk (no
    // --destroy-data), and so do its jobs and ACLs, which PBS would delete with it otherwise
    // (delete_datastore, src/api2/config/datastore.rs): they are resources of their own,
    // deleted by their own commands when they go. Nothing to drop when it is gone already
    // (a replaced backup disk, removed by hand).
    delete: script(`if ${PBM} datastore show ${shq(name)} >/dev/null 2>&1; then ${PBM} datastore remove ${shq(name)} --keep-job-configs true; fi`),
  };
}

/** A user, and for a token its secret kept in a root-only file, made once; stdout is the secret when `printSecret`. */
export function principalCommands(args: {
  user: string;
  token?: string;
  acls: readonly { path: string; role: string }[];
  comment: string;
  printSecret?: boolean;
  /** Where the secret file goes. @default TOKEN_DIR (tests point it at a temporary directory) */
  tokenDir?: string;
}): HostCommands {
  const ids = [args.user, ...(args.token === undefined ? [] : [args.token])];
  const tokenName = args.token?.split("!")[1];
  const file = args.token === undefined ? undefined : tokenSecretFile(args.token, args.tokenDir);
  const acl = (remove: boolean) =>
    args.acls.flatMap((a) => ids.map((id) => `${PBM} acl update ${shq(a.path)} ${a.role} --auth-id ${shq(id)}${remove ? " --delete true" : ""}`));
  const token =
    file === undefined || tokenName === undefined
      ? []
      : [
          `install -d -m 700 ${shq(folderOf(file))}`,
          `if [ ! -s ${shq(file)} ]; then`,
          // A token whose secret file is gone cannot be read again: make it anew.
          `  ${PBM} user delete-token ${shq(args.user)} ${shq(tokenName)} >/dev/null 2>&1 || true`,
          // No --output-format: the command is the API method itself, whose answer the CLI prints as
          // "Result: " and pretty JSON (proxmox-router cli/command.rs); the secret is its "value".
          `  ${PBM} user generate-token ${shq(args.user)} ${shq(tokenName)} | sed -n 's/.*"value" *: *"\\([^"]*\\)".*/\\1/p' > ${shq(`${file}.new`)}`,
          `  [ -s ${shq(`${file}.new`)} ] || { echo 'no token secret from generate-token' >&2; exit 1; }`,
          `  chmod 600 ${shq(`${file}.new`)} && mv -f ${shq(`${file}.new`)} ${shq(file)}`,
          "fi",
        ];
  return {
    create: script(
      `umask 077`,
      `${PBM} user list --output-format json | grep -q ${shq(`"userid":"${args.user}"`)} || ${PBM} user create ${shq(args.user)} --comment ${shq(args.comment)}`,
      ...token,
      ...acl(false),
      ...(args.printSecret === true && file !== undefined ? [`cat ${shq(file)}`] : []),
    ),
    delete: script(...acl(true).map((l) => `${l} || true`), `${PBM} user remove ${shq(args.user)}`, ...(file === undefined ? [] : [`rm -f ${shq(file)}`])),
  };
}

/**
 * A PBS object made once, then updated in place. A job: removing it would drop its
 * last-run state with it (delete_prune_job, delete_sync_job and
 * delete_verification_job call jobstate::remove_state_file), so a changed spec
 * would reset when the job last ran. `deletes` are the options the spec no
 * longer sets, cleared on an update (PBS keeps an option an update leaves out).
 */
function upsert(kind: "prune-job" | "verify-job" | "sync-job" | "notification endpoint gotify", id: string, options: string, deletes: readonly string[] = []): string[] {
  return [
    `if ${PBM} ${kind} show ${shq(id)} >/dev/null 2>&1; then`,
    `  ${PBM} ${kind} update ${shq(id)} ${options}${deletes.map((d) => ` --delete ${d}`).join("")}`,
    "else",
    `  ${PBM} ${kind} create ${shq(id)} ${options}`,
    "fi",
  ];
}

/** A prune job over one namespace (never deeper: each namespace has its own retention). */
export function pruneJobCommands(args: { id: string; store: string; namespace: string; schedule: string; retention: RetentionSpec }): HostCommands {
  const options = `--store ${shq(args.store)} --ns ${shq(args.namespace)} --max-depth 0 --schedule ${shq(args.schedule)} ${keepOptions(args.retention)}`;
  // The keep-* rules the retention leaves out: an older spec may have set them.
  const unset = KEEP_OPTIONS.filter(([field]) => args.retention[field] === undefined).map(([, option]) => option);
  return {
    create: script(...upsert("prune-job", args.id, options, unset)),
    delete: script(`${PBM} prune-job remove ${shq(args.id)}`),
  };
}

/** A verify job: every snapshot not verified within `outdatedAfterDays` has each chunk re-read. */
export function verifyJobCommands(args: { id: string; store: string; schedule: string; outdatedAfterDays: number }): HostCommands {
  return {
    create: script(...upsert("verify-job", args.id, `--store ${shq(args.store)} --schedule ${shq(args.schedule)} --ignore-verified true --outdated-after ${args.outdatedAfterDays}`)),
    delete: script(`${PBM} verify-job remove ${shq(args.id)}`),
  };
}

/** The source's PBS as a remote of the holder's, its certificate pinned, with the read-only token the source made. */
export function remoteCommands(args: { name: string; host: string; port: number; authId: string; secret: string; fingerprint: string }): HostCommands {
  const settings = `--host ${shq(args.host)} --port ${args.port} --auth-id ${shq(args.authId)} --password ${shq(args.secret)} --fingerprint ${shq(args.fingerprint)}`;
  return {
    create: script(
      `if ${PBM} remote show ${shq(args.name)} >/dev/null 2>&1; then`,
      `  ${PBM} remote update ${shq(args.name)} ${settings}`,
      "else",
      `  ${PBM} remote create ${shq(args.name)} ${settings}`,
      "fi",
    ),
    delete: remoteDeleteCommand(args.name),
  };
}

/** The delete of {@link remoteCommands}, which needs no secret (so it stays readable in the plan). */
export function remoteDeleteCommand(name: string): string {
  return script(`${PBM} remote remove ${shq(name)}`);
}

/**
 * The holder's pull of one source's namespace. `transfer-last 1` takes only the
 * newest new snapshot of each group per run, so a source that serves a flood of
 * forged snapshots adds at most one per guest and night (docs/backup.md, threat
 * model); `remove-vanished false` keeps every copy the source deletes.
 */
export function syncJobCommands(args: {
  id: string;
  store: string;
  namespace: string;
  remote: string;
  remoteStore: string;
  remoteNamespace: string;
  owner: string;
  schedule: string;
  rateInKiB: number;
}): HostCommands {
  return {
    create: script(
      ...upsert(
        "sync-job",
        args.id,
        [
          `--store ${shq(args.store)} --ns ${shq(args.namespace)}`,
          `--remote ${shq(args.remote)} --remote-store ${shq(args.remoteStore)} --remote-ns ${shq(args.remoteNamespace)} --max-depth 0`,
          `--owner ${shq(args.owner)} --schedule ${shq(args.schedule)} --rate-in ${args.rateInKiB}KiB`,
          "--remove-vanished false --transfer-last 1 --resync-corrupt true",
        ].join(" "),
      ),
    ),
    delete: script(`${PBM} sync-job remove ${shq(args.id)}`),
  };
}

/** The operators as a notification target, and the matcher that sends them every failure, on PVE and PBS alike. */
export const NOTIFY = { endpoint: "retzien-operators", matcher: "retzien-failures", gotify: "retzien-gotify" } as const;

/** Where the host keeps the Gotify server and token (root only) for retzien's own units' alarms (scripts/host/unit-failed.sh). */
export const GOTIFY_FILE = "/etc/retzien/notify/gotify";

/** The matcher's targets: the operators' mail, and their Gotify server when the site has one. */
const targets = (gotify: boolean) => `--target ${NOTIFY.endpoint}${gotify ? ` --target ${NOTIFY.gotify}` : ""}`;

/**
 * The Gotify server as a PBS notification target, and the same server and token
 * in GOTIFY_FILE for the host's own alarms. Secret (the token is in it): kept
 * apart from the notifications' settings, which the plan shows.
 */
export function gotifyCommands(args: { server: string; token: string; file?: string }): HostCommands {
  const file = args.file ?? GOTIFY_FILE;
  return {
    create: script(
      "umask 077",
      // Updated in place once there: the matcher targets it, and PBS refuses to delete an endpoint
      // a matcher names (proxmox-notify ensure_unused), so delete-then-create failed on a new token.
      ...upsert("notification endpoint gotify", NOTIFY.gotify, `--server ${shq(args.server)} --token ${shq(args.token)} --comment 'retzien: the operators, pushed'`),
      `install -d -m 700 ${shq(folderOf(file))}`,
      `printf '%s\\n' ${shq(args.server)} ${shq(args.token)} > ${shq(file)}`,
    ),
    delete: script(`${PBM} notification endpoint gotify delete ${NOTIFY.gotify}`, `rm -f ${shq(file)}`),
  };
}

/** The Gotify server as a PVE notification target (secret, as on PBS). */
export function pveGotifyCommands(args: { server: string; token: string }): HostCommands {
  return {
    create: script(
      // In place once there, as on PBS: the matcher names it (proxmox-notify ensure_unused).
      `if pvesh get /cluster/notifications/endpoints/gotify/${NOTIFY.gotify} >/dev/null 2>&1; then`,
      `  pvesh set /cluster/notifications/endpoints/gotify/${NOTIFY.gotify} --server ${shq(args.server)} --token ${shq(args.token)}`,
      "else",
      `  pvesh create /cluster/notifications/endpoints/gotify --name ${NOTIFY.gotify} --server ${shq(args.server)} --token ${shq(args.token)} --comment 'retzien: the operators, pushed'`,
      "fi",
    ),
    delete: script(`pvesh delete /cluster/notifications/endpoints/gotify/${NOTIFY.gotify}`),
  };
}

/**
 * PBS's notifications: a sendmail target for the operators, a matcher sending
 * it every job that ended in a warning or an error (GC, prune, verify, sync),
 * and the datastore switched from the legacy mail setting to them.
 */
export function notificationCommands(args: { store: string; mailTo: readonly string[]; gotify?: boolean }): HostCommands {
  const { endpoint, matcher } = NOTIFY;
  return {
    create: script(
      `${PBM} notification matcher delete ${matcher} >/dev/null 2>&1 || true`,
      `${PBM} notification endpoint sendmail delete ${endpoint} >/dev/null 2>&1 || true`,
      `${PBM} notification endpoint sendmail create ${endpoint} ${args.mailTo.map((m) => `--mailto ${shq(m)}`).join(" ")} --comment 'retzien: the operators'`,
      `${PBM} notification matcher create ${matcher} ${targets(args.gotify ?? false)} --match-severity warning,error --mode all --comment 'retzien: every job that warns or fails'`,
    ),
    delete: script(`${PBM} notification matcher delete ${matcher}`, `${PBM} notification endpoint sendmail delete ${endpoint}`),
  };
}

/** Proxmox VE's notifications, the same target and matcher: the nightly job's failures reach the operators. */
export function pveNotificationCommands(mailTo: readonly string[], gotify = false): HostCommands {
  const { endpoint, matcher } = NOTIFY;
  return {
    create: script(
      `pvesh delete /cluster/notifications/matchers/${matcher} >/dev/null 2>&1 || true`,
      `pvesh delete /cluster/notifications/endpoints/sendmail/${endpoint} >/dev/null 2>&1 || true`,
      `pvesh create /cluster/notifications/endpoints/sendmail --name ${endpoint} ${mailTo.map((m) => `--mailto ${shq(m)}`).join(" ")} --comment 'retzien: the operators'`,
      `pvesh create /cluster/notifications/matchers --name ${matcher} ${targets(gotify)} --match-severity warning,error --mode all --comment 'retzien: every backup that warns or fails'`,
    ),
    delete: script(`pvesh delete /cluster/notifications/matchers/${matcher}`, `pvesh delete /cluster/notifications/endpoints/sendmail/${endpoint}`),
  };
}
