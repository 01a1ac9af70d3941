/**
 * Shared wiring for stack tests: the real stack files, the shared mock engine,
 * and helpers to find resources and clone specs.
 */
import { resolve } from "node:path";
import { type MockBehaviour, type RecordedResource, type StackRun, runStackUnderMocks } from "../../scripts/lib/mock-engine";
import { readProjectName, readStackFile } from "../../scripts/lib/stack-file";
import type { SiteSpecInput } from "../../src/site/schema";
import { rouans } from "../../stacks/rouans";
import { sthilaire } from "../../stacks/sthilaire";

export const PROJECT_ROOT = resolve(__dirname, "..", "..");
export const PROJECT = readProjectName(PROJECT_ROOT);

export const TYPES = {
  stack: "pulumi:pulumi:Stack",
  site: "retzien:proxmox:Site",
  provider: "pulumi:providers:proxmoxve",
  template: "proxmoxve:download/file:File",
  serviceContainer: "retzien:proxmox:ServiceContainer",
  password: "random:index/randomPassword:RandomPassword",
  container: "proxmoxve:index/containerLegacy:ContainerLegacy",
  nightly: "retzien:proxmox:NightlyBackup",
  job: "proxmoxve:backup/job:Job",
  stackReference: "pulumi:pulumi:StackReference",
  backupServer: "retzien:proxmox:BackupServer",
  offsiteSync: "retzien:proxmox:OffsiteSync",
  siteLink: "retzien:proxmox:SiteLink",
  command: "command:remote:Command",
  pbsStorage: "proxmoxve:storage/pbs:Pbs",
  hostFirewall: "retzien:proxmox:HostFirewall",
  restoreDrill: "retzien:proxmox:RestoreDrill",
  deadManWatch: "retzien:proxmox:DeadManWatch",
  firewallRules: "proxmoxve:firewall/rulesLegacy:RulesLegacy",
  firewallOptions: "proxmoxve:firewall/optionsLegacy:OptionsLegacy",
  ipset: "proxmoxve:firewall/ipsetLegacy:IpsetLegacy",
  clusterFirewall: "proxmoxve:cluster/firewallLegacy:FirewallLegacy",
  nodeFirewall: "proxmoxve:node/firewall:Firewall",
} as const;

/** Runs a stack's real program with its real `Pulumi.<stack>.yaml`, config overridable. */
export async function runStack(
  stack: string,
  options: {
    config?: (c: Record<string, string>) => void;
    secretKeys?: string[];
    main?: string;
    stackName?: string;
    behaviour?: MockBehaviour;
    /** PROXMOX_VE_API_TOKEN for the run (`null`: unset); the offline deploy token stand-in by default. */
    apiToken?: string | null;
  } = {},
): Promise<StackRun> {
  const file = readStackFile(PROJECT_ROOT, stack);
  const config = { ...file.config };
  options.config?.(config);
  return runStackUnderMocks({
    projectRoot: PROJECT_ROOT,
    project: PROJECT,
    stack: options.stackName ?? stack,
    config,
    secretKeys: options.secretKeys ?? file.secretKeys,
    ...(options.main ? { main: options.main } : {}),
    ...(options.behaviour ? { behaviour: options.behaviour } : {}),
    ...(options.apiToken === undefined ? {} : { apiToken: options.apiToken }),
  });
}

/** Runs the real `declareStack` with the given site specs instead of the committed ones. */
export async function runWithSites(stack: string, sites: SiteSpecInput[], config?: (c: Record<string, string>) => void): Promise<StackRun> {
  (globalThis as { __retzienSites?: SiteSpecInput[] }).__retzienSites = sites;
  return runStack(stack, { main: "test/fixtures/program-with-sites.ts", ...(config ? { config } : {}) });
}

/** Mock behaviour in which the peer stacks have published `outputs` (default: nothing at all), `secret` among them secret. */
export function peersPublishing(outputs: Record<string, unknown> = {}, secret: string[] = []): MockBehaviour {
  return {
    newResource: (args) =>
      args.type === TYPES.stackReference ? { id: String(args.inputs["name"]), state: { name: args.inputs["name"], outputs, secretOutputNames: secret } } : undefined,
  };
}

/** Deep copies of the committed sites, for a test to break. */
export function cloneSites(): { rouans: SiteSpecInput; sthilaire: SiteSpecInput; all: SiteSpecInput[] } {
  const r = structuredClone(rouans);
  const s = structuredClone(sthilaire);
  return { rouans: r, sthilaire: s, all: [r, s] };
}

export function ofType(run: StackRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function byName(run: StackRun, type: string, name: string): RecordedResource {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`expected exactly one ${type} named ${name}, found ${found.length}`);
  return found[0] as RecordedResource;
}
