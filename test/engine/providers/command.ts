/**
 * pulumi-command's remote Command at v1.2.1 (what @pulumi/command 1.2.1 asks
 * for), run on the site's fake host instead of over SSH:
 * - Diff (pulumi-go-provider's infer default, provider/pkg/provider/common/inputs.go):
 *   a change of `triggers` replaces (`provider:"replaceOnChanges"`); any other
 *   input change (`create`, `update`, `delete`, `environment`, `stdin`,
 *   `connection`) is an update;
 * - Create runs `create` (nothing in a preview), Update runs `update`, or
 *   `create` when there is none, Delete runs `delete` if set
 *   (provider/pkg/provider/remote/commandController.go);
 * - a command that exits non-zero fails with its output
 *   (commandOutputs.go: "%w: running %q:\n%s");
 * - stdout and stderr are kept without their last newline; there is no real
 *   Read: refresh keeps the state as it is.
 */
import { randomBytes } from "node:crypto";
import type * as provider from "@pulumi/pulumi/provider";
import { FakeHost } from "../fake-host";
import { stackOf, unwrapSecrets } from "./generic";

type Props = Record<string, unknown>;

const INPUTS = ["connection", "create", "update", "delete", "environment", "stdin", "triggers", "logging", "addPreviousOutputInEnv"] as const;
const same = (a: unknown, b: unknown) => JSON.stringify(unwrapSecrets(a) ?? null) === JSON.stringify(unwrapSecrets(b) ?? null);

export function commandProvider(version: string, world: string): provider.Provider {
  const run = (urn: string, props: Props, which: "create" | "update" | "delete"): { stdout: string; stderr: string } => {
    const plain = unwrapSecrets(props) as Props;
    const script = plain[which];
    if (typeof script !== "string") return { stdout: String(plain["stdout"] ?? ""), stderr: String(plain["stderr"] ?? "") };
    const result = FakeHost.of(world, stackOf(urn)).run(script, typeof plain["stdin"] === "string" ? plain["stdin"] : "");
    if (result.status !== 0) {
      throw new Error(`Process exited with status ${String(result.status)}: running ${JSON.stringify(script.length > 200 ? `${script.slice(0, 200)}...` : script)}:\n${result.stdout}${result.stderr}`);
    }
    return { stdout: result.stdout.replace(/\n$/, ""), stderr: result.stderr.replace(/\n$/, "") };
  };
  return {
    version,
    async check(_urn, _olds, news) {
      return { inputs: news };
    },
    async diff(_id, _urn, olds: Props, news: Props) {
      const changed = INPUTS.filter((k) => !same(olds[k], news[k]));
      return { changes: changed.length > 0, replaces: changed.filter((k) => k === "triggers") };
    },
    async create(urn, inputs: Props) {
      const id = `${urn.split("::").pop() ?? "command"}${randomBytes(4).toString("hex")}`;
      return { id, outs: { ...inputs, ...run(urn, inputs, "create") } };
    },
    async read(id, _urn, props?: Props) {
      return { id, props: props ?? {}, inputs: Object.fromEntries(INPUTS.filter((k) => props?.[k] !== undefined).map((k) => [k, props?.[k]])) };
    },
    async update(_id, urn, _olds: Props, news: Props) {
      const which = typeof (unwrapSecrets(news) as Props)["update"] === "string" ? "update" : "create";
      return { outs: { ...news, ...run(urn, news, which) } };
    },
    async delete(_id, urn, props: Props) {
      run(urn, props, "delete");
    },
  };
}
