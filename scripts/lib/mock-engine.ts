/**
 * Runs the real program of a stack under `pulumi.runtime.setMocks` and records
 * every resource the way the engine would see it: URN (as the engine builds it,
 * full parent type chain), parent, provider, protect, ignoreChanges, dependencies
 * and inputs with secrets masked. The offline plan and the stack tests share it,
 * so what the tests assert is what `npm run plan` shows.
 */
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { API_TOKEN_VARIABLE } from "../../src/config/api-token";
import { holdersOf, PAIRING } from "../../src/offsite/pairing";
import { OFFLINE_API_TOKEN } from "./stack-file";
import { simulatedCommandStdout, simulatedPeerOutputs } from "./simulated-host";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** What the plan shows for a secret value. */
export const SECRET_MASK = "[secret]";

export interface RecordedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** URN of the parent; `""` for the stack itself. */
  readonly parent: string;
  readonly custom: boolean;
  /** Provider reference `urn::id`, `""` when the default provider would be used. */
  readonly provider: string;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  /** A replacement deletes the old resource before creating the new one. */
  readonly deleteBeforeReplace: boolean;
  readonly ignoreChanges: string[];
  /** Every resource this one waits for: explicit `dependsOn` and the sources of its inputs. */
  readonly dependsOn: string[];
  /** Inputs with secrets as `[secret]` and unknowns as `[unknown]`. */
  readonly inputs: Record<string, unknown>;
  /** True for resources read (not managed), such as a StackReference. */
  readonly read: boolean;
  /** Id the resource is adopted from (`import` option), `""` if none. */
  readonly importId: string;
}

/** A provider function or resource behaviour the program under test may rely on. */
export interface MockBehaviour {
  /** State returned for a resource; the default echoes inputs. */
  readonly newResource?: (args: pulumi.runtime.MockResourceArgs) => { id: string; state: Record<string, unknown> } | undefined;
}

export interface StackRunOptions {
  readonly projectRoot: string;
  readonly project: string;
  readonly stack: string;
  readonly config: Record<string, string>;
  readonly secretKeys: readonly string[];
  /** Program entry, relative to the project root. @default "stacks/index.ts" */
  readonly main?: string;
  readonly behaviour?: MockBehaviour;
  /**
   * The API token the run sees in PROXMOX_VE_API_TOKEN (`null`: none), as an
   * operator's shell would hold it. @default the offline deploy token stand-in
   */
  readonly apiToken?: string | null;
}

/** An error thrown by a stack run carries what was registered before it: {@link registeredBefore}. */
export function registeredBefore(error: unknown): RecordedResource[] {
  const registered = (error as { registered?: unknown } | null)?.registered;
  return Array.isArray(registered) ? (registered as RecordedResource[]) : [];
}

export interface StackRun {
  readonly resources: RecordedResource[];
  /** Stack outputs with secrets masked. */
  readonly outputs: Record<string, unknown>;
  /** Warnings the program logged. */
  readonly warnings: string[];
}

/** Replaces secret, unknown and resource-reference encodings by readable markers. */
export function maskValue(value: unknown): unknown {
  if (value === UNKNOWN) return "[unknown]";
  if (Array.isArray(value)) return value.map(maskValue);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SIG] === SECRET_SIG) return SECRET_MASK;
    if (record[SIG] === RESOURCE_SIG) return record["urn"];
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, maskValue(v)]));
  }
  return value;
}

/** Masks secrets in already-resolved stack outputs (Outputs resolved with their secretness). */
async function resolveOutputs(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown>;
    const secret = await (output as unknown as { isSecret: Promise<boolean> }).isSecret;
    if (secret) return SECRET_MASK;
    const inner = await new Promise<unknown>((done) => output.apply((v) => done(v)));
    return resolveOutputs(inner);
  }
  if (Array.isArray(value)) return Promise.all(value.map(resolveOutputs));
  if (value !== null && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveOutputs(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDeletebeforereplace?(): boolean;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
  getImportid?(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getProperties?(): { toJavaScript(): Record<string, unknown> } | undefined;
}

// Internal to the runtime but exported: the only way to know every registration has arrived.
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

type Recorder = (resource: RecordedResource) => void;
let activeRecorder: Recorder | undefined;
let patched = false;

/** Wraps the mock monitor once: engine-accurate URNs, and a record of every request. */
function patchMockMonitor(): void {
  if (patched) return;
  patched = true;
  const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: Record<string, unknown> } };
  const proto = MockMonitor.prototype as {
    newUrn(parent: string, type: string, name: string): string;
    registerResource(req: RegisterRequest, cb: unknown): Promise<void>;
    readResource(req: RegisterRequest, cb: unknown): Promise<void>;
  };
  // The engine prefixes a type with its parent's whole qualified type, and leaves
  // the root stack out; the stock mock keeps only the parent's last type.
  proto.newUrn = (parent: string, type: string, name: string) => {
    let qualified = type;
    if (parent) {
      const parentType = parent.split("::")[2] ?? "";
      if (parentType !== "pulumi:pulumi:Stack") qualified = `${parentType}$${type}`;
    }
    return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
  };
  const record = (req: RegisterRequest, read: boolean) => {
    const self = proto.newUrn(req.getParent(), req.getType(), req.getName());
    const props = read ? req.getProperties?.() : req.getObject();
    activeRecorder?.({
      urn: self,
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent(),
      custom: read ? true : req.getCustom(),
      provider: req.getProvider(),
      protect: read ? false : req.getProtect(),
      retainOnDelete: read ? false : req.getRetainondelete(),
      deleteBeforeReplace: read ? false : (req.getDeletebeforereplace?.() ?? false),
      ignoreChanges: read ? [] : [...req.getIgnorechangesList()],
      dependsOn: read ? [] : [...req.getDependenciesList()].sort(),
      inputs: maskValue(props?.toJavaScript() ?? {}) as Record<string, unknown>,
      read,
      importId: read ? "" : (req.getImportid?.() ?? ""),
    });
  };
  const register = proto.registerResource;
  proto.registerResource = function (this: unknown, req, cb) {
    record(req, false);
    return register.call(this, req, cb);
  };
  const readResource = proto.readResource;
  proto.readResource = function (this: unknown, req, cb) {
    record(req, true);
    return readResource.call(this, req, cb);
  };
}

/** Ids the provider would return, so inputs derived from ids read like the real ones. */
function defaultState(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.type) {
    case "proxmoxve:download/file:File":
      return { id: `${String(inputs["datastoreId"])}:${String(inputs["contentType"])}/${String(inputs["fileName"])}`, state: inputs };
    case "proxmoxve:index/containerLegacy:ContainerLegacy":
      return { id: String(inputs["vmId"]), state: inputs };
    case "random:index/randomPassword:RandomPassword":
      return { id: args.name, state: { ...inputs, result: `mock-root-password-of-${args.name}` } };
    case "command:remote:Command":
      return { id: args.name, state: { ...inputs, stdout: simulatedCommandStdout(pulumi.getStack(), args.name), stderr: "" } };
    case "pulumi:pulumi:StackReference": {
      // `organization/project/<site>`: a deployed peer, as the offline plan assumes.
      const peer = String(inputs["name"]).split("/").pop() ?? "";
      return { id: String(inputs["name"]), state: { name: inputs["name"], ...simulatedPeerOutputs(peer, holdersOf(PAIRING, peer)) } };
    }
    default:
      return { id: `${args.name}-id`, state: inputs };
  }
}

/** Forgets the project's modules so the next `require` runs the program again. */
function forgetProjectModules(projectRoot: string): void {
  const root = resolve(projectRoot);
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(root) && !key.includes(`${join(root, "node_modules")}`) && !key.includes(join(root, "scripts", "lib"))) {
      delete require.cache[key];
    }
  }
}

/**
 * Runs the program of one stack under mocks inside a root stack resource, as
 * `pulumi up` does, and returns what it registered. Stacks run one after the other
 * in one process; concurrent runs are not supported (the runtime is global).
 */
export async function runStackUnderMocks(options: StackRunOptions): Promise<StackRun> {
  patchMockMonitor();
  const resources: RecordedResource[] = [];
  const warnings: string[] = [];
  activeRecorder = (r) => resources.push(r);
  // Pulumi's runtime captures a stack trace for every promise it wraps, and under
  // ts-node each goes through source maps: two thirds of a 250-container plan
  // (docs/performance.md). No trace is needed to plan; RETZIEN_PLAN_STACK_TRACES=1
  // brings them back to debug a program that throws.
  const traceLimit = Error.stackTraceLimit;
  if (process.env["RETZIEN_PLAN_STACK_TRACES"] !== "1") Error.stackTraceLimit = 0;
  const warn = pulumi.log.warn;
  const shellToken = process.env[API_TOKEN_VARIABLE];
  const runToken = options.apiToken === undefined ? OFFLINE_API_TOKEN : options.apiToken;
  if (runToken === null) delete process.env[API_TOKEN_VARIABLE];
  else process.env[API_TOKEN_VARIABLE] = runToken;
  pulumi.log.warn = async (message: string) => {
    warnings.push(message);
  };
  try {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => options.behaviour?.newResource?.(args) ?? defaultState(args),
        call: (args) => {
          throw new Error(`unexpected provider function ${args.token} called by the program`);
        },
      },
      options.project,
      options.stack,
      false,
      // Self-managed backends (local directory, S3 bucket) name every organization this way.
      "organization",
    );
    pulumi.runtime.setAllConfig(options.config, [...options.secretKeys]);
    forgetProjectModules(options.projectRoot);
    const main = join(resolve(options.projectRoot), options.main ?? "stacks/index.ts");
    // The program's own error is kept out of the root stack's promises (where it
    // would also surface as unhandled rejections) and rethrown once, here.
    let programError: unknown;
    let failed = false;
    // What the program returned, Outputs and all: the root stack's own promise
    // unwraps nested Outputs and loses their secretness, so masking reads this.
    let returned: Record<string, unknown> = {};
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        // As @pulumi/pulumi's cmd/run does: an exported function is called and awaited.
        const exported = require(main) as unknown;
        returned = (await (typeof exported === "function" ? (exported as () => unknown)() : exported)) as Record<string, unknown>;
        return returned;
      } catch (error) {
        [failed, programError] = [true, error];
        return {};
      }
    });
    // Registrations continue after the program returns (or throws); the engine waits for them, so do we.
    await settings.waitForRPCs();
    if (failed) throw programError;
    return { resources, outputs: (await resolveOutputs(returned ?? {})) as Record<string, unknown>, warnings };
  } catch (error) {
    // What was registered before the failure is part of the answer: a refused
    // spec must have registered nothing.
    if (error !== null && typeof error === "object") Object.assign(error, { registered: resources });
    throw error;
  } finally {
    activeRecorder = undefined;
    pulumi.log.warn = warn;
    if (shellToken === undefined) delete process.env[API_TOKEN_VARIABLE];
    else process.env[API_TOKEN_VARIABLE] = shellToken;
    Error.stackTraceLimit = traceLimit;
  }
}
