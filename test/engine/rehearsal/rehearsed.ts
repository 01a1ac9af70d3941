/**
 * Every `npm run rebuild` the engine suite's rehearsals run (test/engine/runbook.engine.ts),
 * without the options each run adds (--status, --yes, --log, --from): the list
 * test/stack/runbook-doc.test.ts holds docs/runbook.md's commands to.
 */
export const REHEARSED = {
  sthilaireRebuild: ["--lost", "sthilaire", "--mode", "rebuild"],
  rouansRebuild: ["--lost", "rouans", "--mode", "rebuild"],
  rouansDisk: ["--lost", "rouans", "--mode", "disk"],
  sthilaireDisk: ["--lost", "sthilaire", "--mode", "disk"],
  sthilaireRebuildMail: ["--lost", "sthilaire", "--mode", "rebuild", "--only", "mail"],
  sthilaireFailover: ["--lost", "sthilaire", "--mode", "failover", "--only", "relay", "--only", "mail"],
  sthilaireFailback: ["--lost", "sthilaire", "--mode", "failback"],
  rouansFailover: ["--lost", "rouans", "--mode", "failover"],
  rouansFailbackKept: ["--lost", "rouans", "--mode", "failback", "--kept-host"],
} as const satisfies Record<string, readonly string[]>;

/** The options a rehearsal adds to every run, and --from, which the resumed rebuild of rouans rehearses. */
export const PER_RUN = ["--status", "--log", "--from"] as const;
