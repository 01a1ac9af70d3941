/**
 * Shell lines that put retzien's own files on a host (scripts, lists, systemd
 * units), for the components that install them over SSH. Pure text, so the exact
 * lines are tested; every file is written whole, so running them again converges.
 */
import { shq } from "../backup/pbs-commands";

const HEREDOC = "RETZIEN_HOST_FILE_END";

/** The folder a path is in. */
export const folderOf = (path: string): string => path.replace(/\/[^/]+$/, "");

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
