/**
 * Every site of the hoster, in one list: each stack validates all of them, so a
 * VMID or hostname clash between the two hosts is caught by either stack.
 */
import type { SiteSpecInput } from "../src/site/schema";
import { rouans } from "./rouans";
import { sthilaire } from "./sthilaire";

export const allSites: readonly SiteSpecInput[] = [rouans, sthilaire];
