/**
 * One stand-in provider made from a table of rules per resource type: Check,
 * Diff, Create, Read, Update and Delete as a Terraform-bridged provider does
 * them (a changed input updates in place, a changed ForceNew input replaces),
 * over the objects of the site's fake host. Each table names the upstream
 * source and version its rules were read from.
 */
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import type * as provider from "@pulumi/pulumi/provider";
import { FakeHost } from "../fake-host";

type Props = Record<string, unknown>;

export interface ResourceRules {
  /** Where these rules were read: repository, tag, file. */
  readonly source: string;
  /**
   * Inputs whose change replaces the resource (ForceNew / RequiresReplace), as
   * paths: `vmId`, `disk.datastoreId`, `mountPoints[].size` (any item's), and
   * `mountPoints.#` for a change in a list's length (an SDKv2 list block that is
   * ForceNew replaces on its count only). A path stands for everything under it.
   */
  readonly forceNew: readonly string[];
  /** Replacements the provider decides from the values (a CustomizeDiff), as the paths it reports. */
  readonly replaceIf?: (olds: Props, news: Props) => string[];
  /** The id an import id stands for (`sthilaire/210` is container 210); the id itself when absent. */
  readonly importIdOf?: (importId: string) => string;
  /** The provider's delete only forgets the object: it stays on the host (firewall options, say). */
  readonly forgetOnDelete?: boolean;
  /** The id the provider gives what it creates. */
  readonly idOf: (inputs: Props, urn: string) => string;
  /** Outputs the provider computes, added to the inputs in the state. */
  readonly computed?: (inputs: Props, id: string) => Props;
  /** Throws the provider's own error when the host refuses the create (an object already there, say). */
  readonly refuseCreate?: (inputs: Props, host: FakeHost, id: string) => void;
  /** Throws the provider's own error when the host refuses the delete. */
  readonly refuseDelete?: (state: Props, host: FakeHost) => void;
  /** What an update sends, when the provider sends more than what changed. */
  readonly onUpdate?: (olds: Props, news: Props, host: FakeHost, id: string) => void;
  /** Computed outputs the provider marks secret (random's `result`). */
  readonly secretOutputs?: readonly string[];
  /**
   * Whether the object lives on the host (the default) or only in the state
   * (random's passwords: nothing to read back).
   */
  readonly onHost?: boolean;
}

/** The stack of a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`): each stack is one site's host. */
export function stackOf(urn: string): string {
  return urn.split("::")[0]?.split(":").pop() ?? "";
}

export function typeOf(urn: string): string {
  return urn.split("::")[2]?.split("$").pop() ?? "";
}

/** A value with the engine's secret wrappers taken off, and the paths that were secret. */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object") {
    const record = value as Props;
    if (record[rpc.specialSigKey] === rpc.specialSecretSig) return unwrapSecrets(record["value"]);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

const isSecret = (value: unknown) => value !== null && typeof value === "object" && (value as Props)[rpc.specialSigKey] === rpc.specialSecretSig;
const secret = (value: unknown) => ({ [rpc.specialSigKey]: rpc.specialSecretSig, value });

/** Keeps secret what came in secret (the top-level inputs that were wrapped), and the outputs the provider makes secret. */
function rewrap(plain: Props, like: Props, secretOutputs: readonly string[] = []): Props {
  return Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, isSecret(like[k]) || secretOutputs.includes(k) ? secret(v) : v]));
}

const same = (a: unknown, b: unknown) => JSON.stringify(unwrapSecrets(a) ?? null) === JSON.stringify(unwrapSecrets(b) ?? null);

/**
 * The paths at which `news` differs from `olds`, list items as `[]` and a list
 * whose length changed also as `<list>.#`: `mountPoints.#`, `mountPoints[].size`.
 */
export function changedPaths(olds: unknown, news: unknown, path = ""): string[] {
  if (same(olds, news)) return [];
  const o = unwrapSecrets(olds);
  const n = unwrapSecrets(news);
  if (Array.isArray(o) && Array.isArray(n)) {
    const count = o.length === n.length ? [] : [`${path}.#`];
    const items = Array.from({ length: Math.max(o.length, n.length) }, (_, i) => changedPaths(o[i], n[i], `${path}[]`)).flat();
    return [...new Set([...count, ...items])];
  }
  const isRecord = (v: unknown): v is Props => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isRecord(o) && isRecord(n)) {
    const keys = new Set([...Object.keys(o), ...Object.keys(n)]);
    return [...keys].flatMap((k) => changedPaths(o[k], n[k], path === "" ? k : `${path}.${k}`));
  }
  return [path];
}

/** Whether a changed path falls under a ForceNew path. */
const under = (changed: string, forceNew: string) => changed === forceNew || changed.startsWith(`${forceNew}.`) || changed.startsWith(`${forceNew}[`);

/**
 * A provider over `world` (one fake host per stack) for the resource types of
 * `rules`, keyed by type token.
 */
export function tableProvider(version: string, world: string, rules: Readonly<Record<string, ResourceRules>>): provider.Provider {
  const rulesOf = (urn: string): ResourceRules => {
    const r = rules[typeOf(urn)];
    if (r === undefined) throw new Error(`the stand-in provider has no rules for ${typeOf(urn)} (add them with their upstream source)`);
    return r;
  };
  const hostOf = (urn: string) => FakeHost.of(world, stackOf(urn));
  /**
   * The host of `urn`, once its API has taken this plugin's token for the call.
   * bpg's provider reads PROXMOX_VE_API_TOKEN when it has no apiToken input
   * (fwprovider/provider.go Configure, v0.111.1), as the program's provider has none.
   */
  const apiOf = (urn: string, write: boolean): FakeHost => {
    const token = process.env["PROXMOX_VE_API_TOKEN"];
    // proxmox/api/client.go, NewConnection's credentials check.
    if (token === undefined || token === "") throw new Error("must provide either user credentials, an API token, or a ticket");
    const host = hostOf(urn);
    host.authorize(token, write, typeOf(urn));
    return host;
  };
  const inputKeys = (state: Props, r: ResourceRules, id: string) => {
    const computed = new Set(Object.keys(r.computed?.(unwrapSecrets(state) as Props, id) ?? {}));
    return Object.keys(state).filter((k) => !computed.has(k));
  };
  return {
    version,
    async check(_urn, _olds, news) {
      return { inputs: news };
    },
    async diff(id, urn, olds: Props, news: Props) {
      const r = rulesOf(urn);
      const keys = new Set([...Object.keys(news), ...inputKeys(olds, r, id)]);
      const changed = [...keys].flatMap((k) => changedPaths(olds[k], news[k], k));
      const forced = changed.filter((c) => r.forceNew.some((f) => under(c, f)));
      const custom = r.replaceIf?.(unwrapSecrets(olds) as Props, unwrapSecrets(news) as Props) ?? [];
      // The engine takes top-level property names.
      const replaces = [...new Set([...forced, ...custom].map((p) => p.split(/[.[]/)[0] ?? p))];
      return { changes: changed.length > 0, replaces };
    },
    async create(urn, inputs: Props) {
      const r = rulesOf(urn);
      const plain = unwrapSecrets(inputs) as Props;
      const id = r.idOf(plain, urn);
      const host = r.onHost === false ? hostOf(urn) : apiOf(urn, true);
      r.refuseCreate?.(plain, host, id);
      const outs = { ...plain, ...r.computed?.(plain, id) };
      if (r.onHost !== false) host.put(typeOf(urn), id, outs);
      return { id, outs: rewrap(outs, inputs, r.secretOutputs) };
    },
    async read(id, urn, props?: Props) {
      const r = rulesOf(urn);
      // Nothing on a host to read back: the state is the truth.
      if (r.onHost === false) return { id, props: props ?? {}, inputs: Object.fromEntries(inputKeys(props ?? {}, r, id).map((k) => [k, (props ?? {})[k]])) };
      // An import reads with no state yet, by the import id; a refresh reads its state's id.
      const importing = props === undefined || Object.keys(props).length === 0;
      const key = importing ? (r.importIdOf?.(id) ?? id) : id;
      const found = apiOf(urn, false).get(typeOf(urn), key);
      // Gone from the host: an empty answer, which the engine takes for "deleted".
      if (found === undefined) return {};
      const outs = rewrap(found, props ?? {}, r.secretOutputs);
      const inputs = Object.fromEntries(inputKeys(found, r, key).map((k) => [k, outs[k]]));
      return { id: key, props: outs, inputs };
    },
    async update(id, urn, olds: Props, news: Props) {
      const r = rulesOf(urn);
      const plain = unwrapSecrets(news) as Props;
      const host = r.onHost === false ? hostOf(urn) : apiOf(urn, true);
      r.onUpdate?.(unwrapSecrets(olds) as Props, plain, host, id);
      // What the provider computed at create stays: only the inputs change.
      const computedKeys = Object.keys(r.computed?.(plain, id) ?? {});
      const kept = Object.fromEntries(computedKeys.map((k) => [k, unwrapSecrets(olds[k])]));
      const outs = { ...plain, ...kept };
      if (r.onHost !== false) host.put(typeOf(urn), id, outs);
      return { outs: rewrap(outs, news, r.secretOutputs) };
    },
    async delete(id, urn, props: Props) {
      const r = rulesOf(urn);
      const host = r.onHost === false ? hostOf(urn) : apiOf(urn, true);
      r.refuseDelete?.(unwrapSecrets(props) as Props, host);
      if (r.onHost !== false && r.forgetOnDelete !== true) host.remove(typeOf(urn), id);
    },
  };
}
