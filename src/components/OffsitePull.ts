/**
 * The cross-site shipping, on this host: its own pull key, a pull of every site
 * whose copies it holds (script, env file, timer, Proxmox storage over the
 * copies, the source's host key), and the read-only authorisation of every site
 * that holds this one's copies. Everything goes over SSH with @pulumi/command.
 */
import { createHash } from "node:crypto";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { PullDirection } from "../offsite/directions";
import {
  HOST_PATHS,
  authorizationMarker,
  authorizedKeyLine,
  knownHostsLine,
  pullNames,
  renderPullEnv,
  renderPullUnits,
} from "../offsite/host-files";
import type { PeerPublication } from "../offsite/peer-stack";
import type { SiteSpec } from "../spec/schema";

export interface OffsitePullArgs {
  /** This site. */
  readonly site: SiteSpec;
  /** How to reach this host's SSH. */
  readonly connection: command.types.input.remote.ConnectionArgs;
  /** Directions in which this host pulls (it holds the source's copies). */
  readonly pulls: readonly PullDirection[];
  /** Directions in which another site pulls from this host. */
  readonly pulledBy: readonly PullDirection[];
  /** What the other sites published, by site name. */
  readonly peers: ReadonlyMap<string, PeerPublication>;
  /** The host files shipped in scripts/host/. */
  readonly hostFiles: { script: string; service: string; timer: string };
}

/** `printf <base64> | base64 -d > tmp && install`: a file written whole, or not at all. */
function installFile(path: string, content: string, mode: string): string {
  const b64 = Buffer.from(content, "utf8").toString("base64");
  return `printf '%s' '${b64}' | base64 -d > '${path}.new' && chmod ${mode} '${path}.new' && mv -f '${path}.new' '${path}'`;
}

/** A line owned by a marker in a file: older lines with the marker go, the new one is appended. */
function replaceMarkedLine(file: string, marker: string, line: string | undefined, mode: string): string {
  const keep = `grep -v -F -e ' ${marker}' '${file}' > '${file}.new' || true`;
  const add = line === undefined ? "" : ` && printf '%s\\n' '${line}' >> '${file}.new'`;
  // cat > keeps the file itself (authorized_keys is a symlink into /etc/pve on Proxmox).
  return `touch '${file}' && chmod ${mode} '${file}' && ${keep}${add} && cat '${file}.new' > '${file}' && rm -f '${file}.new'`;
}

export class OffsitePull extends pulumi.ComponentResource {
  static readonly TYPE = "retzien:proxmox:OffsitePull";

  /** This host's pull public key (and its SSH host key), published for the other sites. */
  readonly publication: pulumi.Output<{ publicKey: string; hostKey: string }>;
  /** Sites whose pull key this host authorises now (read-only, dump directory only). */
  readonly authorized: string[];
  /** Sites whose copies this host pulls, by name: the Proxmox storage over the copies. */
  readonly storages: Record<string, proxmoxve.storage.Directory>;

  constructor(name: string, args: OffsitePullArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(OffsitePull.TYPE, name, {}, opts);
    const { site, connection } = args;
    const sh = (body: string) => `set -eu\n${body}\n`;

    // The private key is made on the host and never leaves it: only the public
    // halves (of the pull key and of the host's own SSH key) come back as stdout.
    const keys = new command.remote.Command(
      `${name}-keys`,
      {
        connection,
        create: sh(
          [
            `install -d -m 700 '${HOST_PATHS.keyDir}'`,
            `[ -s '${HOST_PATHS.privateKey}' ] || ssh-keygen -q -t ed25519 -N '' -C 'retzien-offsite-pull@${site.name}' -f '${HOST_PATHS.privateKey}'`,
            `cat '${HOST_PATHS.publicKey}'`,
            `cat '${HOST_PATHS.hostKey}'`,
          ].join("\n"),
        ),
      },
      { parent: this },
    );
    this.publication = keys.stdout.apply((out) => {
      const [publicKey = "", hostKey = ""] = out.trim().split("\n");
      return { publicKey: publicKey.trim(), hostKey: hostKey.trim() };
    });

    this.storages = {};
    for (const d of args.pulls) {
      const names = pullNames(d.source);
      const key = `${name}-${d.source}`;
      this.storages[d.source] = new proxmoxve.storage.Directory(
        `${key}-storage`,
        // Content `backup` over the copies: `pct restore` and the web UI list them.
        { resourceId: d.storageId, path: d.storagePath, contents: ["backup"], nodes: [site.nodeName], shared: false },
        { parent: this },
      );
      const hostKey = args.peers.get(d.source)?.hostKey;
      const trust = hostKey
        ? [
            new command.remote.Command(
              `${key}-known-host`,
              {
                connection,
                create: sh(replaceMarkedLine(HOST_PATHS.knownHosts, `retzien-peer-${d.source}`, `${knownHostsLine(d.sourceHost, d.sourcePort, hostKey)} retzien-peer-${d.source}`, "644")),
                delete: sh(replaceMarkedLine(HOST_PATHS.knownHosts, `retzien-peer-${d.source}`, undefined, "644")),
              },
              { parent: this, dependsOn: [keys] },
            ),
          ]
        : [];
      const units = renderPullUnits(d, { service: args.hostFiles.service, timer: args.hostFiles.timer });
      const files = [
        installFile(HOST_PATHS.script, args.hostFiles.script, "755"),
        installFile(names.envFile, renderPullEnv(d, site), "600"),
        installFile(`${HOST_PATHS.unitDir}/${names.service}`, units.service, "644"),
        installFile(`${HOST_PATHS.unitDir}/${names.timer}`, units.timer, "644"),
      ];
      const digest = createHash("sha256").update(files.join("\n")).digest("hex").slice(0, 16);
      new command.remote.Command(
        `${key}-install`,
        {
          connection,
          // The content is part of the command, so any change re-runs it (create
          // doubles as update); the digest makes the change visible in a preview.
          create: sh(
            [
              `# content ${digest}`,
              `install -d -m 700 /etc/retzien '${names.stateDir}' '${d.storagePath}/.staging'`,
              `install -d -m 755 '${d.copiesDumpDir}'`,
              ...files,
              "systemctl daemon-reload",
              `systemctl enable --now '${names.timer}'`,
            ].join("\n"),
          ),
          // Stop pulling; never delete a copy, the key or the state.
          delete: sh(
            [
              `systemctl disable --now '${names.timer}' || true`,
              `rm -f '${HOST_PATHS.unitDir}/${names.service}' '${HOST_PATHS.unitDir}/${names.timer}' '${names.envFile}'`,
              "systemctl daemon-reload",
            ].join("\n"),
          ),
        },
        { parent: this, dependsOn: [keys, this.storages[d.source] as pulumi.Resource, ...trust] },
      );
    }

    this.authorized = [];
    for (const d of args.pulledBy) {
      const pullKey = args.peers.get(d.holder)?.pullKey;
      if (pullKey === undefined) continue; // the peer-stack reader has already warned
      const marker = authorizationMarker(d.holder);
      new command.remote.Command(
        `${name}-authorize-${d.holder}`,
        {
          connection,
          create: sh(`install -d -m 700 /root/.ssh\n${replaceMarkedLine(HOST_PATHS.authorizedKeys, marker, authorizedKeyLine(d.sourceDumpDir, pullKey, marker), "600")}`),
          delete: sh(replaceMarkedLine(HOST_PATHS.authorizedKeys, marker, undefined, "600")),
        },
        { parent: this },
      );
      this.authorized.push(d.holder);
    }

    this.registerOutputs({ publication: this.publication, authorized: this.authorized });
  }
}
