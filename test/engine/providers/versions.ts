/** The plugin versions the SDKs in package.json ask the engine for (their package.json's `pulumi.version`). */
export const PLUGIN_VERSIONS = { proxmoxve: "8.6.0", random: "4.21.2", command: "1.2.1" } as const;
