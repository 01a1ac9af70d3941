/**
 * The vocabulary tables (vocab/) and what reads them: the reader of Proxmox's
 * Rust API macros on a source of their shape, the committed tables naming
 * their sources, every PBS subcommand the program emits present in each, and
 * the PBS stand-in refusing what is outside them with PBS's own wording.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { planStacks } from "../../scripts/lib/offline-plan";
import { apiItems, schemaConstants } from "../../scripts/vocab/rust-api";
import { SchemaIndex } from "../../scripts/vocab/schema-resolve";
import { bootstrapCommands, roleUpdateCommands } from "../../src/access/bootstrap";
import { PVE_TOKEN_ROLES } from "../../src/access/pve-roles";
import { validateSiteSpecs } from "../../src/program";
import { ALL_MODES } from "../../src/runbook/step";
import { planRunbook } from "../../src/runbook/runbook";
import { allSites } from "../../stacks/sites";
import { PROJECT_ROOT } from "../helpers/stacks";

const VERSIONS = ["3.4.0", "4.2.0"] as const;
const tableOf = (v: string) => JSON.parse(readFileSync(join(PROJECT_ROOT, "vocab", `pbs-manager-${v}.json`), "utf8")) as { source: Record<string, string>; unresolved: string[]; commands: Record<string, { args: string[]; params: Record<string, unknown> }> };

// The shapes the reader must take: a schema constant, an enum with serde names, a struct
// flattened into a method's input, an Updater of it, and an option from the signature.
const SAMPLE = `
pub const JOB_ID_SCHEMA: Schema = StringSchema::new("Job ID.")
    .min_length(3)
    .schema();
pub const MAX_DEPTH_SCHEMA: Schema = IntegerSchema::new("How deep.").minimum(0).maximum(7).default(7).schema();

#[api()]
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncDirection {
    /// Pull
    #[default]
    Pull,
    Push,
}

#[api(
    properties: {
        id: { schema: JOB_ID_SCHEMA },
        "max-depth": { schema: MAX_DEPTH_SCHEMA, optional: true },
        "sync-direction": { type: SyncDirection, optional: true },
    }
)]
#[derive(Serialize, Deserialize, Updater)]
#[serde(rename_all = "kebab-case")]
/// Sync Job
pub struct SyncJobConfig {
    #[updater(skip)]
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<usize>,
    pub sync_direction: Option<SyncDirection>,
    #[serde(skip)]
    pub internal: u8,
}

#[api(
    input: {
        properties: {
            id: { schema: JOB_ID_SCHEMA },
            update: { type: SyncJobConfigUpdater, flatten: true },
            "remove-vanished": { type: Boolean, description: "Delete \\
vanished snapshots." },
        },
    },
)]
/// Update a sync job.
pub fn update_sync_job(id: String, update: SyncJobConfigUpdater, remove_vanished: Option<bool>) -> Result<(), Error> {
    Ok(())
}
`;

test("the reader takes Proxmox's API macros: constants, serde names, flatten, Updater, optional from the signature", () => {
  const items = apiItems("sample.rs", SAMPLE);
  assert.deepEqual(items.map((i) => `${i.kind} ${i.name}`), ["enum SyncDirection", "struct SyncJobConfig", "fn update_sync_job"]);
  const index = new SchemaIndex(items, schemaConstants(SAMPLE));
  const method = items.find((i) => i.kind === "fn");
  assert.ok(method !== undefined);
  assert.deepEqual(Object.fromEntries(index.methodParams(method)), {
    id: { type: "string", optional: false },
    "max-depth": { type: "integer", optional: true, minimum: 0, maximum: 7, default: 7 },
    "sync-direction": { type: "string", optional: true, enum: ["pull", "push"] },
    "remove-vanished": { type: "boolean", optional: true },
  });
});

test("each table names the tags and commits it was extracted from, and resolved every command", () => {
  for (const v of VERSIONS) {
    const table = tableOf(v);
    assert.match(table.source["proxmox-backup"] ?? "", new RegExp(`^v${v.replaceAll(".", "\\.")} \\([0-9a-f]{40}\\)$`));
    assert.match(table.source["proxmox-rs"] ?? "", /^[0-9a-f]{40}$/);
    assert.deepEqual(table.unresolved, [], v);
    assert.ok(Object.keys(table.commands).length > 100, v);
    // Every role acl update takes has its privileges; the two the program grants, exactly.
    const roles = (table as unknown as { roles: Record<string, string[]> }).roles;
    assert.deepEqual(Object.keys(roles).sort(), [...((table.commands["acl update"]?.params["role"] as { enum: string[] }).enum)].sort(), v);
    assert.deepEqual([roles["DatastoreReader"], roles["DatastoreBackup"]], [["Datastore.Audit", "Datastore.Verify", "Datastore.Read"], ["Datastore.Backup"]], v);
  }
});

test("every proxmox-backup-manager subcommand the program can emit is in both tables", async () => {
  const planned = await planStacks(PROJECT_ROOT);
  assert.ok(planned.ok);
  const scripts = planned.plan.stacks.flatMap((s) => s.resources.flatMap((r) => [r.inputs["create"], r.inputs["delete"]].filter((x): x is string => typeof x === "string")));
  const used = new Set(scripts.flatMap((t) => [...t.matchAll(/proxmox-backup-manager ((?:[a-z-]+ ){0,3}[a-z-]+)/g)].map((m) => m[1] as string)));
  assert.ok(used.size > 15, [...used].join(", "));
  for (const v of VERSIONS) {
    const keys = Object.keys(tableOf(v).commands);
    for (const call of used) assert.ok(keys.some((k) => call === k || call.startsWith(`${k} `)), `${v}: ${call}`);
  }
});

const pbm = (args: string[], version = "4.2.0") =>
  spawnSync(join(PROJECT_ROOT, "test", "fixtures", "standins", "proxmox-backup-manager"), args, { encoding: "utf8", env: { ...process.env, PBS_VERSION: version, PBS_STATE: "", STANDIN_LOG: "/dev/null" } });

test("the PBS stand-in refuses what its table does not hold, in PBS's words (proxmox-schema's parameter errors)", () => {
  const cases: [string[], string][] = [
    [["prune-job", "create", "p", "--store", "backup", "--schedule", "daily", "--keep-forever", "1"], "parameter verification failed - 'keep-forever': schema does not allow additional properties."],
    [["sync-job", "create", "s", "--store", "backup", "--remote-store", "backup", "--sync-direction", "sideways"], "parameter verification failed - 'sync-direction': value 'sideways' is not defined in the enumeration."],
    [["sync-job", "create", "s", "--store", "backup"], "parameter verification failed - 'remote-store': parameter is missing and it is not optional."],
    [["datastore", "remove", "backup", "--keep-job-configs", "maybe"], "parameter verification failed - 'keep-job-configs': Unable to parse boolean option."],
    [["user", "generate-token", "a@pbs", "t", "--output-format", "json"], "parameter verification failed - 'output-format': schema does not allow additional properties."],
  ];
  for (const [args, message] of cases) {
    const run = pbm(args);
    assert.equal(run.status, 255, args.join(" "));
    assert.equal(run.stderr, `Error: ${message}\n`, args.join(" "));
  }
  // What a newer PBS has, an older one refuses.
  assert.equal(pbm(["datastore", "create", "b", "/mnt/b", "--reuse-datastore", "true"], "4.2.0").status, 0);
  assert.equal(pbm(["datastore", "create", "b", "/mnt/b", "--reuse-datastore", "true"], "3.4.0").status, 255);
});

/** Every host script the program makes (create and delete), and every runbook step and note, each way a site can be lost. */
async function emittedScripts(): Promise<string[]> {
  const planned = await planStacks(PROJECT_ROOT);
  assert.ok(planned.ok);
  const scripts = planned.plan.stacks.flatMap((s) => s.resources.flatMap((r) => [r.inputs["create"], r.inputs["delete"]].filter((x): x is string => typeof x === "string")));
  const { sites } = validateSiteSpecs(allSites);
  const plans = new Map(planned.plan.stacks.map((s) => [s.stack, s.resources]));
  const sshOf = new Map(sites.map((s) => [s.name, `root@${s.name}.lan`]));
  for (const lost of sites.map((s) => s.name)) {
    // Each mode for the whole site, and for its most visible service alone (--only: group filters, away marks).
    const most = sites.find((s) => s.name === lost)?.recovery.mostVisible ?? "";
    for (const mode of ALL_MODES) {
      for (const only of mode === "failback" ? [[]] : [[], [most]]) {
        const runbook = planRunbook({ lost, mode, only, diskPath: "retzien-carry", allowStale: true }, { sites, plans, sshOf });
        if (!runbook.ok) continue;
        for (const step of runbook.runbook.steps) scripts.push(...(step.argv ?? []), ...(step.notes ?? []));
      }
    }
  }
  // A placeholder of a printed note (`<the filesystem UUID ...>`) stands for one word (100: a VMID fits, and so does any string); redirections
  // (`>/dev/null`, `2>&1`) are the shell's, not the call's.
  // Shell comments are prose; a quoted value stands for one word (100, as a placeholder does), so that
  // prose cuts never fall inside one.
  return scripts.map((t) =>
    t
      .replace(/^\s*#.*$/gm, "")
      // systemd-run and its options run the command after them: that command is the call.
      .replace(/\bsystemd-run(?: -\S+)* /g, "")
      .replace(/\s\d*<\s+\S+/g, "")
      .replace(/<[^<>\n]*>/g, "100")
      .replace(/'[^'\n]*'|"[^"\n]*"/g, "100")
      .replace(/\s*\d*>&?\s*\S+/g, ""),
  );
}

/**
 * Each call of `tool` alone: from its name to the first pipe, `;`, `&`, `(`, or
 * the prose of a printed note around it (", ", " for ", " and ", " then ").
 */
const callsOf = (tool: string, scripts: readonly string[]) =>
  new Set(scripts.flatMap((t) => [...t.matchAll(new RegExp(`(?<![-\\w] ?)\\b${tool} [a-z0-9][^\\n|;&(]*`, "g"))].map((m) => (m[0] as string).replace(/(,\s|\s+(then|do|for|and)\b).*$/, "").trim())));

test("every proxmox-backup-manager and proxmox-backup-debug line the program and the runbook emit is accepted by the PBS 3.4 and the PBS 4.2 vocabulary", async () => {
  const scripts = await emittedScripts();
  const calls = new Set([...callsOf("proxmox-backup-manager", scripts), ...callsOf("proxmox-backup-debug", scripts)]);
  assert.ok(calls.size > 20, `${calls.size} calls`);
  assert.ok([...calls].some((c) => c.startsWith("proxmox-backup-manager pull ")), "the rebuild's pull back, run by systemd-run, is among them");
  assert.ok([...calls].some((c) => c.startsWith("proxmox-backup-manager traffic-control create ")), "and its day rate");
  assert.ok([...calls].some((c) => c.includes(" --group-filter group:ct/")), "and the pulls of an --only rebuild");
  const standins = join(PROJECT_ROOT, "test", "fixtures", "standins");
  for (const version of VERSIONS) {
    for (const call of calls) {
      const run = spawnSync("bash", ["-c", call], { encoding: "utf8", env: { ...process.env, PATH: `${standins}:${process.env["PATH"] ?? ""}`, PBS_VERSION: version, PBS_CHECK_ONLY: "1", STANDIN_LOG: "/dev/null" } });
      assert.equal(run.status, 0, `PBS ${version} refuses: ${call}\n${run.stderr}`);
    }
  }
});

const pveCheck = (call: string, version: string) => spawnSync(process.execPath, [join(PROJECT_ROOT, "test", "fixtures", "lib", "pve-cli.js"), ...(call.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^(['"])(.*)\1$/, "$2"))], { encoding: "utf8", env: { ...process.env, PVE_VERSION: version } });

test("every pct, pvesm and vzdump line the program and the runbook emit is accepted by the PVE 8.4 and the PVE 9.1 vocabulary", async () => {
  const scripts = await emittedScripts();
  const calls = [...callsOf("pct", scripts), ...callsOf("pvesm", scripts), ...callsOf("vzdump", scripts)].filter((c) => !c.includes("$"));
  assert.ok(calls.some((c) => c.startsWith("vzdump ")), "the way home's backups are checked too");
  assert.ok(calls.length > 8, calls.join("\n"));
  for (const version of ["8", "9"]) {
    for (const call of calls) {
      const run = pveCheck(call, version);
      assert.equal(run.status, 0, `PVE ${version} refuses: ${call}\n${run.stderr}`);
    }
  }
});

test("every pvesh call of the notification and backup-job API the program and the runbook emit is accepted by the PVE 8.4 and the PVE 9.1 API", async () => {
  const scripts = await emittedScripts();
  const calls = [...callsOf("pvesh", scripts)].filter((c) => /^pvesh \w+ \/cluster\/(notifications|backup)\b/.test(c) && !c.includes("$"));
  assert.ok(calls.length > 5, calls.join("\n"));
  const pvesh = join(PROJECT_ROOT, "test", "fixtures", "standins", "pvesh");
  for (const version of ["8", "9"]) {
    for (const call of calls) {
      const run = spawnSync(pvesh, (call.match(/\S+/g) ?? []).slice(1), { encoding: "utf8", env: { ...process.env, PVE_VERSION: version, PVE_CHECK_ONLY: "1", STANDIN_LOG: "/dev/null" } });
      assert.equal(run.status, 0, `PVE ${version} refuses: ${call}\n${run.stderr}`);
    }
  }
});

test("every pveum command the bootstrap prints is accepted by the PVE 8.4 and the PVE 9.1 vocabulary", () => {
  const storages = ["pbs", "pbs-sthilaire"];
  const lines = Object.values(PVE_TOKEN_ROLES).flatMap((role) => [...bootstrapCommands(role, storages), ...roleUpdateCommands(role)]).filter((l) => l.startsWith("pveum "));
  assert.ok(lines.length > 10, lines.join("\n"));
  const cli = join(PROJECT_ROOT, "test", "fixtures", "lib", "pve-cli.js");
  for (const version of ["8", "9"]) {
    for (const line of lines) {
      // Through bash, as the printed script is run: its quoting is the shell's.
      const run = spawnSync("bash", ["-c", `node '${cli}' ${line}`], { encoding: "utf8", env: { ...process.env, PVE_VERSION: version } });
      assert.equal(run.status, 0, `PVE ${version} refuses: ${line}\n${run.stderr}`);
    }
  }
  const missing = spawnSync(process.execPath, [cli, "pveum", "acl", "modify", "/", "--users", "ci@pve"], { encoding: "utf8" });
  assert.equal(missing.stderr, "400 Parameter verification failed.\nroles: property is missing and it is not optional\n");
});

test("the PVE stand-ins refuse what the vocabulary does not hold, in PVE's words (pve-common's PVE::JSONSchema)", () => {
  const cases: [string, string][] = [
    ["pct restore 900 vol --unique 1 --bogus 1", "Unknown option: bogus\n400 unable to parse option\n"],
    ["pct restore 90 vol", "400 Parameter verification failed.\nvmid: value must have a minimum value of 100\n"],
    ["pct restore 900 vol --arch sparc", "400 Parameter verification failed.\narch: value 'sparc' does not have a value in the enumeration 'amd64, arm64, armhf, i386, riscv32, riscv64'\n"],
    ["pct set 900 --onboot maybe", "400 unable to parse boolean option\n"],
    ["pct destroy", "400 not enough arguments\n"],
  ];
  for (const [call, message] of cases) {
    const run = pveCheck(call, "9");
    assert.equal(run.status, 255, call);
    assert.equal(run.stderr, message, call);
  }
  // Getopt::Long takes a unique abbreviation, as PVE leaves it on.
  assert.equal(pveCheck("pct restore 900 vol --protect 0", "9").status, 0);
});
