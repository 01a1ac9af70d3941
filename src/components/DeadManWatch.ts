/**
 * The dead-man watch of a holder: once a day it reads its own PBS through the
 * status probe and mails the operators when a site whose copies it holds has
 * gone silent (src/watch/plan.ts says what, and with which limits). Installed
 * over SSH (src/watch/watch-commands.ts), after the backup server whose status
 * token the probe reads with.
 */
import { hostCommand } from "../host/host-command";
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { WatchPlan } from "../watch/plan";
import { watchCommands } from "../watch/watch-commands";

/** The scripts the unit runs, as committed: the tests run these very files. */
const HOST_SCRIPTS = join(__dirname, "../../scripts/host");

export interface DeadManWatchArgs {
  readonly plan: WatchPlan;
  readonly connection: command.types.input.remote.ConnectionArgs;
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class DeadManWatch extends pulumi.ComponentResource {
  static readonly TYPE = "retzien:proxmox:DeadManWatch";

  constructor(name: string, args: DeadManWatchArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(DeadManWatch.TYPE, name, {}, opts);
    const read = (file: string) => readFileSync(join(HOST_SCRIPTS, file), "utf8");
    const cmds = watchCommands(args.plan, { probe: read("status-probe.sh"), judge: read("watch-copies.pl"), mailer: read("unit-failed.sh") });
    hostCommand(`${name}-timer`, { connection: args.connection, create: cmds.create, delete: cmds.delete }, { parent: this, dependsOn: args.dependsOn });
    this.registerOutputs({});
  }
}
