/**
 * The program Pulumi runs (`pulumi up -s rouans`): the site named by the stack,
 * validated with every other site and with the stack's config before any resource
 * is declared. Its exports are the stack outputs (see `StackOutputs`).
 */
import { readEngineInput } from "../src/config/engine-config";
import { declareStack } from "../src/stack";
import { allSites } from "./sites";

const outputs = declareStack(allSites, readEngineInput());

export const containers = outputs.containers;
export const nightlyBackup = outputs.nightlyBackup;
