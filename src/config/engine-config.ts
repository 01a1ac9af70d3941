/**
 * Reads the engine's config map synchronously, as plain data, so that it is
 * validated before any resource exists (never inside an `apply`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { EngineInput } from "../program";

// `isConfigSecret` is exported by the runtime but marked internal in its typings.
// It is the only synchronous way to know whether a value came from a `secure:` entry,
// which is what lets the program refuse a token committed in plain text.
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret: (key: string) => boolean };

/** The engine's view of this stack: project, stack, config map and secretness. */
export function readEngineInput(): EngineInput {
  return {
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    config: pulumi.runtime.allConfig(),
    isSecret: (key) => runtimeConfig.isConfigSecret(key),
    dryRun: pulumi.runtime.isDryRun(),
  };
}
