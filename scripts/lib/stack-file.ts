/**
 * Reads a `Pulumi.<stack>.yaml` the way the CLI hands it to a program: every value
 * a string (objects and lists as JSON), `secure:` values listed as secret. Secure
 * values are never decrypted: the offline plan needs no passphrase, so it puts a
 * well-formed stand-in in their place and marks them secret.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parse, parseDocument } from "yaml";
import { InvalidInfrastructureError, problem } from "../../src/problems";

/**
 * The API token the offline plan runs with, in place of the operator's
 * PROXMOX_VE_API_TOKEN: the deploy token's id, as the real one has (the program
 * refuses any other), and an obviously fake secret.
 */
export const OFFLINE_API_TOKEN = "pulumi@pve!deploy=00000000-0000-0000-0000-000000000000";

/** Stand-ins for secrets in the offline plan: well-formed, obviously fake, never shown (always `[secret]`). */
export const OFFLINE_SECRET_STANDINS: Readonly<Record<string, string>> = {
  sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nofflineplanstandin\n-----END OPENSSH PRIVATE KEY-----",
};

export interface StackFileConfig {
  /** `namespace:key` → value, as the engine passes config to a program. */
  readonly config: Record<string, string>;
  /** Keys that were `secure:` in the file. */
  readonly secretKeys: string[];
}

/**
 * Parses the text of a stack file. A YAML syntax error is a problem naming the
 * file, line and column (the volunteer's editor goes there), not a parser trace.
 */
export function parseStackFile(text: string, fileName: string): StackFileConfig {
  const parsed = parseDocument(text);
  if (parsed.errors.length > 0) {
    throw new InvalidInfrastructureError(
      parsed.errors.map((e) => {
        const at = e.linePos?.[0];
        return problem(`${basename(fileName)}${at ? `:${at.line}:${at.col}` : ""}`, `a YAML syntax error (${(e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")})`, "valid YAML: fix that line, or compare with the other site's file");
      }),
    );
  }
  const doc = (parsed.toJS() ?? {}) as { config?: Record<string, unknown> };
  if (doc.config !== undefined && (typeof doc.config !== "object" || doc.config === null || Array.isArray(doc.config))) {
    throw new Error(`${fileName}: "config" must be a map of namespace:key to value`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [fullKey, value] of Object.entries(doc.config ?? {})) {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      const key = fullKey.split(":").slice(1).join(":");
      config[fullKey] = OFFLINE_SECRET_STANDINS[key] ?? "offline-plan-secret-standin";
      secretKeys.push(fullKey);
    } else {
      config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { config, secretKeys };
}

/** Reads `Pulumi.<stack>.yaml` from the project root. */
export function readStackFile(projectRoot: string, stack: string): StackFileConfig {
  const fileName = join(projectRoot, `Pulumi.${stack}.yaml`);
  return parseStackFile(readFileSync(fileName, "utf8"), fileName);
}

/** The project name from `Pulumi.yaml`. */
export function readProjectName(projectRoot: string): string {
  const doc = parse(readFileSync(join(projectRoot, "Pulumi.yaml"), "utf8")) as { name?: unknown };
  if (typeof doc?.name !== "string") throw new Error("Pulumi.yaml has no project name");
  return doc.name;
}

/** `sshUser@sshAddress` of a site, from its stack file (user root by default). */
export function sshDestinationOf(projectRoot: string, project: string, stack: string): string {
  const { config } = readStackFile(projectRoot, stack);
  return `${config[`${project}:sshUser`] ?? "root"}@${config[`${project}:sshAddress`] ?? ""}`;
}
