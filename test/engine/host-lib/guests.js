/*
 * A guest on a fake host of the engine suite, as ../host-standins/{pct,pvesm,vzdump}
 * keep it: its PVE objects (the container and the firewall objects naming it,
 * JSON files under <host>/pve/<type>/, as the proxmoxve stand-in provider writes
 * them; test/engine/fake-host.ts) and its files (<host>/guests/<vmid>/). The
 * newest copy of each guest in each PBS namespace is $FAKE_ARCHIVE/<namespace>/<vmid>/
 * (objects.json, guest/, time): one archive for every PBS at once, so a pull
 * moves nothing; what is checked is the namespace a storage reads.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

/** The directory of container objects: the type proxmoxve:index/containerLegacy:ContainerLegacy, as FakeHost names it. */
const CONTAINER = "proxmoxve_index_containerLegacy_ContainerLegacy";

/** The namespace a PVE storage reads on the host of `site`: `pbs` its own, `pbs-<site>` that site's copies (src/backup/names.ts). */
function namespaceOfStorage(storage, site) {
  return storage === "pbs" ? site : storage.replace(/^pbs-/, "");
}

/** Where the newest copy of `vmid` in the namespace `storage` reads is kept. */
function copyDir(storage, site, vmid) {
  return path.join(process.env.FAKE_ARCHIVE ?? "/nonexistent", namespaceOfStorage(storage, site), vmid);
}

/** Every object file of the guest `vmid` on the host at `root`: its container and the firewall objects naming it. */
function guestObjectFiles(root, vmid) {
  const base = path.join(root, "pve");
  if (!fs.existsSync(base)) return [];
  return fs.readdirSync(base).flatMap((type) =>
    fs
      .readdirSync(path.join(base, type))
      .map((file) => path.join(base, type, file))
      .filter((file) => (type === CONTAINER && path.basename(file) === `${vmid}.json`) || String(JSON.parse(fs.readFileSync(file, "utf8")).containerId) === vmid),
  );
}

/** The file of the guest's container object among `files`, if any. */
const containerFileOf = (files) => files.find((f) => path.basename(path.dirname(f)) === CONTAINER);

module.exports = { CONTAINER, copyDir, containerFileOf, guestObjectFiles, namespaceOfStorage };
