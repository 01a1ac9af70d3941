/**
 * The values of a site that are still this repository's examples (documentation
 * addresses, the association's node names and disks): the spec lists them in
 * `placeholders`, `npm run plan` and `pulumi up` warn while any remain, and a
 * listed path that names nothing is refused, so the list cannot silently rot.
 */
import { stackConfigSchema } from "../config/stack-config";
import { type Problem, problem } from "../problems";
import type { SiteSpec } from "../site/schema";

/** The value at a dotted path of the spec (`network.ipv4.subnet`), or `undefined`. */
function valueAt(site: SiteSpec, path: string): unknown {
  let node: unknown = site;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const CONFIG_KEYS = Object.keys(stackConfigSchema.shape);

/** Every listed placeholder names a value of the spec, or a key of the site's stack file (`config.<key>`). */
export function validatePlaceholders(site: SiteSpec): Problem[] {
  return site.placeholders.flatMap((path, i) => {
    const at = `sites.${site.name}.placeholders[${i}]`;
    if (path.startsWith("config.")) {
      return CONFIG_KEYS.includes(path.slice("config.".length)) ? [] : [problem(at, path, `config.<key> with a key of Pulumi.${site.name}.yaml (${CONFIG_KEYS.join(", ")})`)];
    }
    return valueAt(site, path) === undefined ? [problem(at, path, "the dotted path of a value of this spec, such as network.ipv4 or recovery.publicIpv4")] : [];
  });
}

/** The warning while any example value remains. */
export function placeholderWarnings(site: SiteSpec): string[] {
  if (site.placeholders.length === 0) return [];
  return [
    `${site.name}: ${site.placeholders.length} value(s) are still this repository's examples, to replace with the site's own before a real deploy (README, "Deploy for real"), then remove from sites.${site.name}.placeholders: ${site.placeholders.join(", ")}`,
  ];
}
