/**
 * The ordered steps of each way back, as data: what a person does, or the exact
 * command to run, whether it changes anything, and how long it should take. The
 * CLI prints them (`--dry-run`) or runs them; tests assert them exactly.
 *
 * Every copy comes back through PBS: a failover restores from the survivor's
 * own PBS (storage `pbs-<lost>`); a rebuild brings PBS back first, pulls the
 * lost site's namespace back from the survivor (or from a carried disk), then
 * restores from the new host's own PBS.
 */
import type { RunbookInput, Step } from "../step";
import { diskSteps } from "./disk";
import { failbackSteps } from "./failback";
import { failoverSteps } from "./failover";
import { rebuildSteps } from "./rebuild";

/** Every step of a mode, in order. */
export function runbookSteps(input: RunbookInput): Step[] {
  switch (input.mode) {
    case "failover":
      return failoverSteps(input);
    case "rebuild":
      return rebuildSteps(input);
    case "disk":
      return diskSteps(input);
    case "failback":
      return failbackSteps(input);
  }
}
