/**
 * Shell lines that put retzien's own files on a host (scripts, lists, systemd
 * units), for the components that install them over SSH. Pure text, so the exact
 * lines are tested; every file is written whole, so running them again converges.
 */
import { type HostCommands, folderOf, shq } from "../backup/pbs-commands";

const HEREDOC = "RETZIEN_HOST_FILE_END";

/** A script written whole through a quoted here-document (nothing expanded in it), then made executable. */
export function installScript(path: string, content: string): string[] {
  if (content.includes(HEREDOC)) throw new Error(`${path} would contain ${HEREDOC}, which ends its here-document`);
  return [`cat > ${shq(path)} <<'${HEREDOC}'`, content.replace(/\n$/, ""), HEREDOC, `chmod 755 ${shq(path)}`];
}

/** A file of lines, written whole (one shell word per line, so any text is safe). */
export const writeLines = (path: string, lines: readonly string[]): string => `printf '%s\\n' ${lines.map(shq).join(" ")} > ${shq(path)}`;

/** A systemd unit's text from its lines. */
export const unitText = (...lines: string[]): string => lines.join("\n");

/**
 * The unit that mails the operators when `unit` fails (its `OnFailure=`): the
 * end of its log, and `attach` if given, through scripts/host/unit-failed.sh
 * installed at `mailer`.
 */
export function failureMailUnit(args: { unit: string; mailer: string; mailTo: readonly string[]; subject: string; attach?: string }): string {
  if (/["%\\]/.test(args.subject)) throw new Error(`the subject '${args.subject}' would need quoting in a unit file`);
  const words = [args.mailer, args.unit, args.mailTo.join(","), `"${args.subject}"`, ...(args.attach === undefined ? [] : [args.attach])];
  return unitText("[Unit]", `Description=retzien: mail the operators that ${args.unit} failed`, "[Service]", "Type=oneshot", `ExecStart=${words.join(" ")}`);
}

/** A retzien unit run by a systemd timer, with what it needs on the host. */
export interface TimedUnit {
  /** `retzien-watch`: the service, its timer and its failure mail are named from it. */
  readonly name: string;
  /** Scripts the unit runs, each installed whole and executable. */
  readonly scripts: readonly { readonly path: string; readonly content: string }[];
  /** Its configuration: files of lines in root-only folders. */
  readonly files: readonly { readonly path: string; readonly lines: readonly string[] }[];
  /** Where it records its runs: made, and kept on delete (the record of what it said). */
  readonly stateDirs: readonly string[];
  /** The texts of its service and timer, and of the unit that mails its failures. */
  readonly service: string;
  readonly timer: string;
  readonly failed: string;
}

/** Where systemd reads a unit of that name. */
export const unitPath = (unit: string): string => `/etc/systemd/system/${unit}`;

/** Create-or-update and delete of a timed unit: everything written whole, the timer enabled; delete leaves only its records. */
export function timedUnitCommands(u: TimedUnit): HostCommands {
  const units = [
    { path: unitPath(`${u.name}.service`), text: u.service },
    { path: unitPath(`${u.name}.timer`), text: u.timer },
    { path: unitPath(`${u.name}-failed.service`), text: u.failed },
  ];
  const scriptDirs = [...new Set(u.scripts.map((s) => folderOf(s.path)))];
  const fileDirs = [...new Set(u.files.map((f) => folderOf(f.path)))];
  return {
    create: [
      "set -eu",
      `install -d -m 755 ${[...scriptDirs, ...u.stateDirs].map(shq).join(" ")}`,
      ...(fileDirs.length > 0 ? [`install -d -m 700 ${fileDirs.map(shq).join(" ")}`] : []),
      ...u.scripts.flatMap((s) => installScript(s.path, s.content)),
      ...u.files.map((f) => writeLines(f.path, f.lines)),
      ...units.map((unit) => writeLines(unit.path, [unit.text])),
      "systemctl daemon-reload",
      `systemctl enable --now ${u.name}.timer`,
      "",
    ].join("\n"),
    delete: [
      "set -eu",
      `systemctl disable --now ${u.name}.timer || true`,
      `rm -f ${[...units.map((unit) => unit.path), ...u.scripts.map((s) => s.path), ...u.files.map((f) => f.path)].map(shq).join(" ")}`,
      "systemctl daemon-reload",
      "",
    ].join("\n"),
  };
}
