/**
 * The Pulumi CLI the runbook needs. Its `pulumi state delete` names many URNs
 * in one call; the CLI takes more than one from v3.228.0 on (pulumi/pulumi#22296:
 * read in pkg/cmd/pulumi/state/state_delete.go of the module versions, v3.227.0
 * takes one). An older CLI would stop the rebuild at its first step, so the
 * runbook checks the version before it runs anything.
 */
import { type Problem, problem } from "../problems";

export const MIN_PULUMI_FOR_RUNBOOK = "3.228.0";

const parts = (v: string) => v.split(".").map(Number);

/** `pulumi version`'s answer (`v3.276.0`), checked; undefined when it will do. */
export function pulumiVersionProblem(answer: string | undefined): Problem | undefined {
  const found = /^v?(\d+\.\d+\.\d+)/.exec(answer?.trim() ?? "")?.[1];
  const expected = `Pulumi CLI ${MIN_PULUMI_FOR_RUNBOOK} or newer (its state delete takes many URNs): upgrade it, then run the rebuild again`;
  if (found === undefined) return problem("pulumi version", answer?.trim() || "no answer", expected);
  const [a, b] = [parts(found), parts(MIN_PULUMI_FOR_RUNBOOK)];
  for (let i = 0; i < 3; i += 1) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0) ? undefined : problem("pulumi version", found, expected);
  }
  return undefined;
}
