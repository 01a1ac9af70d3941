/**
 * The one way the program runs a command on a host (`@pulumi/command`'s remote
 * Command). Every such command names fixed ids on the host: a datastore, a job,
 * a user, a unit, a file. Pulumi's default replacement creates the new resource
 * before it deletes the old one, so the old one's delete would then undo what
 * the new one's create had just made (a datastore, say: gone, with the state
 * saying all is well). The old one goes first.
 */
import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";

export function hostCommand(name: string, args: command.remote.CommandArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
  return new command.remote.Command(name, args, { ...opts, deleteBeforeReplace: true });
}
