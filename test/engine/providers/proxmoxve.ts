/**
 * The proxmoxve resources the program declares, as the bpg provider bridged by
 * @muhlba91/pulumi-proxmoxve handles them: which inputs force a replacement, the
 * id each gets, what a create or a delete refuses, and what it leaves on the
 * host. Read at bpg/terraform-provider-proxmox v0.111.1, the version the newest
 * readable pulumi-proxmoxve tag (v8.3.0) bridges: the v8.6.0 tag this project
 * pins could not be read, so a newer bpg may differ (SOURCES.md, with every file
 * and function).
 */
import type { FakeHost } from "../fake-host";
import type { ResourceRules } from "./generic";

type Props = Record<string, unknown>;
const BPG = "bpg/terraform-provider-proxmox v0.111.1";
const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "");
const FILE = "proxmoxve:download/file:File";
const RULES = "proxmoxve:firewall/rulesLegacy:RulesLegacy";

/** The flags a features update sends (containerGetFeaturesForUpdate: all four bools, false as 0). */
const UPDATE_FLAGS = ["fuse", "keyctl", "nesting", "mknod"] as const;

export const PROXMOXVE_RULES: Record<string, ResourceRules> = {
  [FILE]: {
    source: `${BPG}, fwprovider/nodes/resource_download_file.go (Schema, Create)`,
    forceNew: ["contentType", "fileName", "datastoreId", "nodeName", "url", "checksum", "decompressionAlgorithm", "checksumAlgorithm"],
    idOf: (i) => `${str(i["datastoreId"])}:${str(i["contentType"])}/${str(i["fileName"])}`,
    // ImportState: node_name/datastore_id:content_type/file_name; the id is what follows the node.
    importIdOf: (importId) => importId.slice(importId.indexOf("/") + 1),
    computed: () => ({ size: 129_000_000 }),
    refuseCreate: (i, host, id) => {
      // PVE answers "refusing to override existing file"; without overwriteUnmanaged the provider stops there.
      if (host.get(FILE, id) !== undefined && i["overwriteUnmanaged"] !== true) {
        throw new Error(`File already exists in the datastore, it was created outside of Terraform or is managed by another resource.: File already exists in the datastore: '${str(i["fileName"])}', error: refusing to override existing file`);
      }
    },
  },
  "proxmoxve:index/containerLegacy:ContainerLegacy": {
    source: `${BPG}, proxmoxtf/resource/container/container.go (Container, containerUpdate, containerDelete)`,
    forceNew: [
      "nodeName", "unprivileged", "template", "poolId",
      // Blocks of one item are objects in Pulumi's inputs (the bridge flattens MaxItems 1).
      "operatingSystem.templateFileId",
      "initialization.userAccount",
      "disk.datastoreId",
      // The whole mount point list: its length, and any mount point's size or volume.
      "mountPoints.#", "mountPoints[].size", "mountPoints[].volume",
      "clone",
    ],
    // CustomizeDiff: a new vmId replaces; a smaller disk replaces ("Shrinking is not supported").
    replaceIf: (olds, news) => {
      const size = (p: Props) => Number((p["disk"] as Props | undefined)?.["size"] ?? 0);
      return [...(str(olds["vmId"]) !== str(news["vmId"]) ? ["vmId"] : []), ...(size(news) < size(olds) ? ["disk"] : [])];
    },
    idOf: (i) => str(i["vmId"]),
    refuseCreate: (i, host, id) => {
      // PVE refuses a VMID in use (PVE::Cluster::check_vmid_unused; its wording is from memory, not
      // checked against pve-cluster, which could not be read here): a replacement must delete first.
      if (host.get("proxmoxve:index/containerLegacy:ContainerLegacy", id) !== undefined) throw new Error(`error creating container ${id}: CT ${id} already exists on node '${str(i["nodeName"])}'`);
    },
    // parseImportIDWithNodeName: <node_name>/<vm_id>.
    importIdOf: (importId) => importId.slice(importId.indexOf("/") + 1),
    onUpdate: (olds, news, _host: FakeHost, id) => {
      // A features update sends all four flags (0 for false); PVE lets only root@pam change any but nesting
      // (pve-container check_ct_modify_config_perm), so the program's token is refused.
      if (JSON.stringify(olds["features"] ?? null) !== JSON.stringify(news["features"] ?? null)) {
        const old = (olds["features"] ?? {}) as Props;
        if (UPDATE_FLAGS.some((f) => f !== "nesting" && old[f] !== true)) {
          throw new Error(`error updating container ${id}: received an HTTP 403 response - Reason: Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)`);
        }
      }
    },
    refuseDelete: (state) => {
      // The provider checks nothing; PVE refuses a protected guest (pve-guest-common check_protection).
      if (state["protection"] === true) throw new Error(`error deleting container ${str(state["vmId"])}: can't remove CT ${str(state["vmId"])} - protection mode enabled`);
    },
  },
  [RULES]: {
    source: `${BPG}, proxmoxtf/resource/firewall/rules.go (RulesCreate: no ForceNew, refuses existing rules)`,
    forceNew: [],
    idOf: (i) => `rule-${str(i["nodeName"]) || "cluster"}-${str(i["containerId"] ?? i["vmId"]) || "node"}`,
    // RulesImport: container/<node_name>/<container_id> (the provider then names it by a hash of the path).
    importIdOf: (importId) => `rule-${importId.split("/").slice(1).join("-")}`,
    refuseCreate: (_i, host, id) => {
      if (host.get(RULES, id) !== undefined) throw new Error("Existing rules detected. Aborting...");
    },
  },
  "proxmoxve:firewall/optionsLegacy:OptionsLegacy": {
    source: `${BPG}, proxmoxtf/resource/firewall/options.go (no ForceNew; optionsDelete only forgets)`,
    forceNew: [],
    idOf: (i) => `options-${str(i["nodeName"])}-${str(i["containerId"] ?? i["vmId"])}`,
    // optionsImport: container/<node_name>/<container_id>.
    importIdOf: (importId) => `options-${importId.split("/").slice(1).join("-")}`,
    forgetOnDelete: true,
  },
  "proxmoxve:firewall/ipsetLegacy:IpsetLegacy": {
    source: `${BPG}, proxmoxtf/resource/firewall/ipset.go (cidr ForceNew; an existing set is adopted)`,
    forceNew: ["cidrs.#", "cidrs[].name", "cidrs[].nomatch", "cidrs[].comment"],
    idOf: (i) => str(i["name"]),
  },
  "proxmoxve:firewall/aliasLegacy:AliasLegacy": {
    source: `${BPG}, proxmoxtf/resource/firewall/alias.go (no ForceNew; the id is the alias's name)`,
    forceNew: [],
    idOf: (i) => str(i["name"]),
  },
  "proxmoxve:cluster/firewallLegacy:FirewallLegacy": {
    source: `${BPG}, proxmoxtf/resource/cluster/firewall/firewall.go (no ForceNew; firewallDelete only forgets)`,
    forceNew: [],
    idOf: () => "cluster-firewall",
    forgetOnDelete: true,
  },
  "proxmoxve:node/firewall:Firewall": {
    source: `${BPG}, fwprovider/nodes/firewall/resource_node_firewall.go (nodeName RequiresReplace)`,
    forceNew: ["nodeName"],
    idOf: (i) => str(i["nodeName"]),
  },
  "proxmoxve:backup/job:Job": {
    source: `${BPG}, fwprovider/cluster/backup/resource.go (id, resourceId in Pulumi, RequiresReplace)`,
    forceNew: ["resourceId"],
    idOf: (i) => str(i["resourceId"]),
  },
  "proxmoxve:storage/pbs:Pbs": {
    source: `${BPG}, fwprovider/storage/schema_factory.go and resource_pbs.go`,
    forceNew: ["resourceId", "server", "datastore", "username", "password", "namespace", "encryptionKey", "generateEncryptionKey"],
    idOf: (i) => str(i["resourceId"]),
  },
};
