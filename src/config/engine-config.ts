/**
 * Reads the engine's config map synchronously, as plain data, so that it is
 * validated before any resource exists (never inside an `apply`), and the API
 * token from the environment the engine and the provider share.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EngineInput } from "../program";
import { API_TOKEN_VARIABLE } from "./api-token";

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
    // The same variable the provider reads: what is judged here is what reaches the host.
    apiToken: process.env[API_TOKEN_VARIABLE],
  };
}
