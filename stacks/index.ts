/**
 * The program Pulumi runs (`pulumi up -s rouans`): the site named by the stack,
 * validated with every other site, the pairing and the stack's config before any
 * resource is declared. Pulumi calls the exported function and awaits it; what it
 * returns are the stack outputs (see `StackOutputs`).
 */
import { readEngineInput } from "../src/config/engine-config";
import { declareStack } from "../src/stack";
import { allSites } from "./sites";

export = async () => declareStack(allSites, readEngineInput());
