/**
 * How to reach a host, and its secrets: the only things a `Pulumi.<site>.yaml`
 * holds. Everything about what runs there is in `stacks/<site>.ts`.
 */
import { z } from "zod";
import { type Problem } from "../problems";
import { hasPort, withoutPort } from "../rules/added-parts";
import { parseWithProblems } from "../rules/schema-problems";
import { API_TOKEN_VARIABLE } from "./api-token";

/** Keys whose values must be `secure:` in the stack file and are never shown. */
export const SECRET_CONFIG_KEYS = ["sshPrivateKey", "gotifyToken", "alarmPassword"] as const;

export const stackConfigSchema = z.strictObject({
  /** Proxmox API, e.g. `https://192.168.10.2:8006/`. */
  endpoint: z
    .url({ protocol: /^https$/, error: "an https URL of the Proxmox API, such as https://192.168.10.2:8006/" })
    // The provider appends /api2/json itself: a path or a query here would reach the wrong URL.
    .refine((u) => {
      // zod runs this check even when the URL check above failed: that one already says what is wrong.
      if (!URL.canParse(u)) return true;
      const url = new URL(u);
      return url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && url.password === "";
    }, "the Proxmox API's address alone, with no path, query or user, such as https://192.168.10.2:8006/"),
  /**
   * Always "false": the API's certificate is verified, never skipped (whoever sits
   * on the path would get the token). Kept as a key so that a stack file saying
   * "true" is refused rather than ignored. @default "false"
   */
  insecure: z
    .enum(["false"], {
      error: '"false": the API\'s certificate is verified, never skipped; trust the host\'s own CA or give it an ACME certificate (docs/access.md, "TLS")',
    })
    .default("false")
    .transform(() => false),
  /** SSH user on the host, for the provider and for host commands. @default "root" */
  sshUser: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "a user name such as root").default("root"),
  /** SSH address of the host. */
  sshAddress: z.string().superRefine((address, ctx) => {
    // The provider and the host commands connect as `<sshUser>@<sshAddress>` on `sshPort`: neither belongs here.
    if (address.includes("@")) ctx.addIssue({ code: "custom", message: `the host name or address alone, such as ${JSON.stringify(address.split("@").pop())}: the user is sshUser, added to it` });
    else if (hasPort(address)) ctx.addIssue({ code: "custom", message: `the host name or address alone, such as ${JSON.stringify(withoutPort(address))}: the port is sshPort` });
    else if (!/^[A-Za-z0-9.:-]+$/.test(address)) ctx.addIssue({ code: "custom", message: "a host name or an IP address" });
  }),
  /** @default 22 */
  sshPort: z.coerce.number({ error: "a port number" }).int().min(1).max(65535).default(22),
  /** Private key for SSH; secret. Without it, the SSH agent (`SSH_AUTH_SOCK`) is used. */
  sshPrivateKey: z.string().regex(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/, "an OpenSSH private key").optional(),
  /**
   * The token of this host's application on the site's Gotify server
   * (`backup.gotify` in its spec); secret. Set with `pulumi config set --secret gotifyToken`.
   */
  gotifyToken: z.string().regex(/^[A-Za-z0-9._-]{8,128}$/, "a Gotify application token (letters, digits, . _ -)").optional(),
  /**
   * The password of the host's account on the outbound server, when its alarms
   * leave by submission (`backup.alarmPath`); secret. Set with `pulumi config set
   * --secret alarmPassword`. One line (Postfix's password map holds it as one).
   */
  alarmPassword: z.string().regex(/^[^\x00-\x1f\x7f]{8,256}$/, "the account's password: 8 to 256 characters on one line").optional(),
  /**
   * Services of this site that do not run here now (failed over to the other
   * site, or not yet brought back by a rebuild `--only`): the program leaves
   * them out, so that an up never makes an empty guest with the VMID of one
   * that runs elsewhere, and the nightly backup names only the guests here.
   * Set by the runbook (`pulumi config set --path 'away[0]' mail`); removed
   * with `pulumi config rm away` once they are home (and adopted: `adopt`). @default []
   */
  away: serviceList("away"),
  /**
   * Services of this site back on its host but not in the stack's state: after
   * an `--only` rebuild, the up that left them away dropped them from it. The
   * next up imports each (`<node>/<vmid>`, as the spec's `adopt` does) instead
   * of creating a second guest with its VMID. Removed with `pulumi config rm
   * adopt` once adopted. @default []
   */
  adopt: serviceList("adopt"),
  /**
   * Guests of another site that run on this host since a failover, as
   * `<site>/<service>` in the order they were restored. The program compiles
   * their firewall for this host (their addresses here, and those of the
   * guests they talk to) and puts it on them, as it does for its own. Set by
   * the runbook's failover (`pulumi config set hosting '["sthilaire/relay"]'`),
   * removed by its failback. @default []
   */
  hosting: z
    .preprocess(
      parseJsonString,
      z.array(z.string().regex(/^[a-z][a-z0-9-]*\/[a-z][a-z0-9-]*$/, "<site>/<service>, such as sthilaire/mail"), {
        error: `a list of <site>/<service>, such as ["sthilaire/relay", "sthilaire/mail"] (pulumi config set hosting '["sthilaire/relay"]')`,
      }),
    )
    .default([]),
});

/** A list given as one JSON string (`pulumi config set key '[...]'`) is read as the list; anything else is left to the schema. */
function parseJsonString(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** A list of this site's service names, set by path (`key[0]`) or as one JSON string. */
function serviceList(key: string) {
  return z
    .preprocess(
      parseJsonString,
      z.array(z.string().regex(/^[a-z][a-z0-9-]*$/, "a service name such as mail"), { error: `a list of service names, such as ["relay", "nextcloud"] (pulumi config set --path '${key}[0]' relay)` }),
    )
    .default([]);
}

/** The validated config of one stack. Secret fields are still plain strings here: wrap them before use. */
export type StackConfig = z.output<typeof stackConfigSchema>;

/** Namespaces allowed beside the project's own: the engine's. */
const ENGINE_NAMESPACES = ["pulumi"];

/**
 * Validates the whole config map of a stack (`namespace:key` → string, as the
 * engine passes it). Keys of other namespaces are errors: this program reads only
 * its own, so a `proxmoxve:endpoint` would be silently ignored otherwise.
 * @param stack names the stack in problem paths (`config[rouans].endpoint`).
 * @param isSecret whether the engine received the key as a `secure:` value.
 */
export function parseStackConfig(
  stack: string,
  project: string,
  all: Readonly<Record<string, string>>,
  isSecret: (fullKey: string) => boolean,
): { ok: true; value: StackConfig } | { ok: false; problems: Problem[] } {
  const prefix = `config[${stack}]`;
  const own: Record<string, string> = {};
  const problems: Problem[] = [];
  for (const [fullKey, value] of Object.entries(all)) {
    const [namespace = "", ...rest] = fullKey.split(":");
    const key = rest.join(":");
    if (namespace === project) own[key] = value;
    else if (!ENGINE_NAMESPACES.includes(namespace)) {
      problems.push({
        path: `${prefix}.${fullKey}`,
        found: "a key of another namespace",
        expected: `only ${project}:* keys (the provider is configured explicitly from them)`,
      });
    }
  }
  for (const key of SECRET_CONFIG_KEYS) {
    if (own[key] !== undefined && !isSecret(`${project}:${key}`)) {
      problems.push({
        path: `${prefix}.${key}`,
        found: "a plain-text value",
        expected: `a secure: value (pulumi config set --secret ${key})`,
      });
    }
  }
  // Where the token used to live: named with where it lives now, rather than as an unknown key.
  if (own["apiToken"] !== undefined) {
    problems.push({ path: `${prefix}.apiToken`, found: "the API token in the stack file", expected: `no apiToken key (pulumi config rm apiToken): the token is read from ${API_TOKEN_VARIABLE} in the environment (README, "Deploy for real")` });
    delete own["apiToken"];
  }
  const parsed = parseWithProblems(stackConfigSchema, own, prefix, SECRET_CONFIG_KEYS);
  if (!parsed.ok) problems.push(...parsed.problems);
  return problems.length === 0 && parsed.ok ? { ok: true, value: parsed.value } : { ok: false, problems };
}
