/**
 * The entry of the stand-in provider plugins: `serve.ts <proxmoxve|random|command>
 * <engine address>`, as the engine starts `pulumi-resource-<name>` (the harness
 * puts a shim of that name in the plugin directory). The fake hosts' world is
 * $RETZIEN_ENGINE_WORLD. Served by @pulumi/pulumi/provider's own gRPC server.
 */
import { main } from "@pulumi/pulumi/provider";
import { commandProvider } from "./command";
import { tableProvider } from "./generic";
import { PROXMOXVE_RULES } from "./proxmoxve";
import { RANDOM_RULES } from "./random";
import { PLUGIN_VERSIONS } from "./versions";


const [name, ...args] = process.argv.slice(2);
const world = process.env["RETZIEN_ENGINE_WORLD"];
if (world === undefined) throw new Error("RETZIEN_ENGINE_WORLD is not set: the stand-in providers need the fake hosts' directory");
const plugins = {
  proxmoxve: () => tableProvider(PLUGIN_VERSIONS.proxmoxve, world, PROXMOXVE_RULES),
  random: () => tableProvider(PLUGIN_VERSIONS.random, world, RANDOM_RULES),
  command: () => commandProvider(PLUGIN_VERSIONS.command, world),
};
const make = plugins[name as keyof typeof plugins];
if (make === undefined) throw new Error(`no stand-in provider named ${String(name)} (expected ${Object.keys(plugins).join(", ")})`);
void main(make(), args);
