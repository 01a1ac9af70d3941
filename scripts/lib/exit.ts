/**
 * Exits once stdout and stderr have been flushed: `process.exit` right after a
 * large write to a pipe would cut the JSON a script or a monitor is reading.
 */
export function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
