/**
 * The proxmoxve resources the program declares, as the bpg provider bridged by
 * @muhlba91/pulumi-proxmoxve 8.6.0 handles them: which inputs force a
 * replacement, the id each gets, and what the host refuses. The facts and the
 * exact upstream files and tags are in SOURCES.md beside this file.
 */
import type { FakeHost } from "../fake-host";
import type { ResourceRules } from "./generic";

type Props = Record<string, unknown>;
const SOURCE = "bpg/terraform-provider-proxmox (the version @muhlba91/pulumi-proxmoxve 8.6.0 bridges: SOURCES.md)";
const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "");

/** Firewall rules on a node or a guest: the provider refuses to take over rules it did not make. */
function refuseExistingRules(type: string) {
  return (inputs: Props, host: FakeHost, id: string) => {
    if (host.get(type, id) !== undefined) throw new Error("Existing rules detected, please remove them before applying the firewall rules resource.");
  };
}

export const PROXMOXVE_RULES: Record<string, ResourceRules> = {
  "proxmoxve:download/file:File": {
    source: `${SOURCE}, fwprovider/nodes/resource_download_file.go`,
    forceNew: ["nodeName", "datastoreId", "contentType", "url", "fileName", "checksum", "checksumAlgorithm", "decompressionAlgorithm", "verify", "uploadTimeout"],
    idOf: (i) => `${str(i["datastoreId"])}:${str(i["contentType"])}/${str(i["fileName"])}`,
    computed: () => ({ size: 129_000_000 }),
    refuseCreate: (i, host, id) => {
      if (host.get("proxmoxve:download/file:File", id) !== undefined && i["overwriteUnmanaged"] !== true) {
        throw new Error(`refusing to override existing file '${id}'`);
      }
    },
  },
  "proxmoxve:index/containerLegacy:ContainerLegacy": {
    source: `${SOURCE}, proxmoxtf/resource/container/container.go`,
    forceNew: ["nodeName", "vmId", "unprivileged", "mountPoints", "disk", "operatingSystem", "initialization", "template", "poolId"],
    idOf: (i) => str(i["vmId"]),
    refuseDelete: (state) => {
      // pve-container's check_protection: PVE itself refuses, whoever asks.
      if (state["protection"] === true) throw new Error(`can't remove CT ${str(state["vmId"])} - protection mode enabled`);
    },
  },
  "proxmoxve:firewall/rulesLegacy:RulesLegacy": {
    source: `${SOURCE}, proxmoxtf/resource/firewall/rules.go`,
    forceNew: ["nodeName", "containerId", "vmId"],
    idOf: (i) => `${str(i["nodeName"]) || "cluster"}/${str(i["containerId"] ?? i["vmId"]) || "node"}`,
    refuseCreate: refuseExistingRules("proxmoxve:firewall/rulesLegacy:RulesLegacy"),
  },
  "proxmoxve:firewall/optionsLegacy:OptionsLegacy": {
    source: `${SOURCE}, proxmoxtf/resource/firewall/options.go`,
    forceNew: ["nodeName", "containerId", "vmId"],
    idOf: (i) => `${str(i["nodeName"])}/${str(i["containerId"] ?? i["vmId"])}`,
  },
  "proxmoxve:firewall/ipsetLegacy:IpsetLegacy": {
    source: `${SOURCE}, proxmoxtf/resource/firewall/ipset.go`,
    forceNew: ["name", "nodeName", "containerId", "vmId"],
    idOf: (i) => str(i["name"]),
  },
  "proxmoxve:cluster/firewallLegacy:FirewallLegacy": {
    source: `${SOURCE}, proxmoxtf/resource/cluster/firewall.go`,
    forceNew: [],
    idOf: () => "cluster-firewall",
  },
  "proxmoxve:node/firewall:Firewall": {
    source: `${SOURCE}, fwprovider/nodes/firewall`,
    forceNew: ["nodeName"],
    idOf: (i) => str(i["nodeName"]),
  },
  "proxmoxve:backup/job:Job": {
    source: `${SOURCE}, fwprovider/cluster/backup`,
    forceNew: ["resourceId"],
    idOf: (i) => str(i["resourceId"]),
  },
  "proxmoxve:storage/pbs:Pbs": {
    source: `${SOURCE}, fwprovider/storage/resource_pbs.go`,
    forceNew: ["resourceId", "server", "datastore", "username", "namespace", "fingerprint"],
    idOf: (i) => str(i["resourceId"]),
  },
};
