/**
 * The site-to-site WireGuard tunnel on this host, through which the peers' PBS
 * reach this host's PBS API (8007) and this host reaches theirs: nothing of PBS
 * is exposed to the Internet, only one UDP port that answers no one without a
 * key. The private key is made on the host and never leaves it; the public key
 * is a stack output the peers read.
 */
import { hostCommand } from "../host/host-command";
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { renderLinkConfig, LINK_PATHS } from "../offsite/site-link";
import type { SiteSpec } from "../site/schema";

export interface SiteLinkArgs {
  readonly site: SiteSpec;
  readonly connection: command.types.input.remote.ConnectionArgs;
  /** The peers this host exchanges copies with, with the public key each published (undefined until it has). */
  readonly peers: readonly { readonly site: SiteSpec; readonly publicKey: string | undefined }[];
}

export class SiteLink extends pulumi.ComponentResource {
  static readonly TYPE = "retzien:proxmox:SiteLink";

  /** This host's WireGuard public key. */
  readonly publicKey: pulumi.Output<string>;
  /** The peers configured now. */
  readonly configured: string[];

  constructor(name: string, args: SiteLinkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(SiteLink.TYPE, name, {}, opts);
    const { site, connection } = args;
    const keys = hostCommand(
      `${name}-key`,
      {
        connection,
        create: [
          "set -eu",
          "command -v wg >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q wireguard-tools >&2",
          "install -d -m 700 /etc/wireguard",
          `[ -s ${LINK_PATHS.privateKey} ] || (umask 077 && wg genkey > ${LINK_PATHS.privateKey})`,
          `wg pubkey < ${LINK_PATHS.privateKey}`,
        ].join("\n"),
        // The key stays: a re-created tunnel keeps the identity its peers trust.
      },
      { parent: this },
    );
    this.publicKey = keys.stdout.apply((s) => s.trim());

    const peers = args.peers.flatMap((p) => (p.publicKey === undefined ? [] : [{ site: p.site, publicKey: p.publicKey }]));
    this.configured = peers.map((p) => p.site.name);
    if (peers.length > 0) {
      const config = renderLinkConfig(site, peers);
      hostCommand(
        `${name}-tunnel`,
        {
          connection,
          create: [
            "set -eu",
            // Quoted here-document: the file is written exactly as rendered, and readable in the plan.
            `cat > ${LINK_PATHS.config}.new <<'RETZIEN_LINK'`,
            config.trimEnd(),
            "RETZIEN_LINK",
            `chmod 600 ${LINK_PATHS.config}.new && mv -f ${LINK_PATHS.config}.new ${LINK_PATHS.config}`,
            `systemctl enable ${LINK_PATHS.unit} >&2`,
            `systemctl restart ${LINK_PATHS.unit}`,
          ].join("\n"),
          delete: ["set -eu", `systemctl disable --now ${LINK_PATHS.unit} || true`, `rm -f ${LINK_PATHS.config}`].join("\n"),
        },
        { parent: this, dependsOn: [keys] },
      );
    }

    this.registerOutputs({ publicKey: this.publicKey, configured: this.configured });
  }
}
