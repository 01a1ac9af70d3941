/**
 * The restore drills on a holder: the drill script, its guests and their
 * checks, and a systemd timer at the drill's schedule, installed over SSH
 * (src/drill/drill-commands.ts). The drills read the copies through the PVE
 * storages `pbs-<source>`, so they come after the backup server.
 */
import { hostCommand } from "../host/host-command";
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { drillCommands } from "../drill/drill-commands";
import type { DrillPlan } from "../drill/plan";

/** The scripts the units run, as committed: the tests run these very files against stand-ins. */
const DRILL_SCRIPT = join(__dirname, "../../scripts/host/restore-drill.sh");
const MAILER_SCRIPT = join(__dirname, "../../scripts/host/unit-failed.sh");

export interface RestoreDrillArgs {
  readonly plan: DrillPlan;
  /** Who is mailed when a drill fails or does not run. */
  readonly mailTo: readonly string[];
  readonly connection: command.types.input.remote.ConnectionArgs;
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class RestoreDrill extends pulumi.ComponentResource {
  static readonly TYPE = "retzien:proxmox:RestoreDrill";

  constructor(name: string, args: RestoreDrillArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(RestoreDrill.TYPE, name, {}, opts);
    const cmds = drillCommands(args.plan, { drill: readFileSync(DRILL_SCRIPT, "utf8"), mailer: readFileSync(MAILER_SCRIPT, "utf8") }, args.mailTo);
    hostCommand(`${name}-timer`, { connection: args.connection, create: cmds.create, delete: cmds.delete }, { parent: this, dependsOn: args.dependsOn });
    this.registerOutputs({});
  }
}
