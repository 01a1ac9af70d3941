/**
 * Archives a container root the way vzdump does for an LXC guest, and lays it
 * out as a Proxmox dump directory. The tar command is vzdump's own (pve-container
 * PVE/VZDump/LXC.pm `archive`, with pve-storage's COMMON_TAR_FLAGS and the
 * default stdexcludes); the guest config goes first, as vzdump adds
 * ./etc/vzdump/pct.conf from its temp dir before the root. Left out: the
 * lxc-usernsexec wrapper of unprivileged guests (it changes who reads, not what
 * is written) and cstream (vzdump's own bwlimit, unset here).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const TAR_ARGS = [
  "cpf", "-", "--totals",
  // pve-storage PVE::Storage::Plugin::COMMON_TAR_FLAGS
  "--one-file-system", "-p", "--sparse", "--numeric-owner", "--acls", "--xattrs",
  "--xattrs-include=user.*", "--xattrs-include=security.capability",
  "--warning=no-file-ignored", "--warning=no-xattr-write",
  // pve-container's own additions
  "--one-file-system", "--warning=no-file-ignored",
  // Not vzdump's: it changes nothing in the archive. vzdump reads a read-only
  // snapshot, so its reads never change the live files' atime; the bench reads
  // the live tree, and O_NOATIME keeps its reads from doing so either (tar
  // records atime: --acls/--xattrs make the archive POSIX, with a PAX header per file).
  "--atime-preserve=system",
];

/** How a night's tar is compressed: the command reads the tar on stdin. */
export interface Compressor {
  readonly id: string;
  readonly ext: "gz" | "zst";
  readonly command: readonly string[];
  readonly label: string;
}

export const COMPRESSORS = {
  // vzdump `compress: gzip` with `pigz: 2` (the sites' pigzThreads): "pigz -p 2 --rsyncable".
  gzip: { id: "gzip", ext: "gz", command: ["pigz", "-p", "2", "--rsyncable"], label: "gzip (pigz -p 2 --rsyncable, as vzdump)" },
  // vzdump `compress: zstd` with its default `zstd: 1`: "zstd --rsyncable --threads=1" (level 3, zstd's default).
  zstd: { id: "zstd", ext: "zst", command: ["zstd", "-q", "--rsyncable", "--threads=1"], label: "zstd (--rsyncable --threads=1, as vzdump)" },
  // The same without --rsyncable: what a hand-made `zstd -T1` archive (or an old vzdump) gives.
  zstdPlain: { id: "zstd-plain", ext: "zst", command: ["zstd", "-q", "--threads=1"], label: "zstd (--threads=1, not rsyncable)" },
} as const satisfies Record<string, Compressor>;

function run(cmd: string, args: readonly string[], opts: { cwd?: string; stdinFile?: string; stdoutFile?: string } = {}): string {
  // Through bash for the redirections only; every argument is passed positionally.
  const redirect = `${opts.stdinFile ? ' <"$1"' : ""}${opts.stdoutFile ? ' >"$2"' : ""}`;
  const r = spawnSync("bash", ["-c", `set -o pipefail; "\${@:3}"${redirect}`, "run", opts.stdinFile ?? "", opts.stdoutFile ?? "", cmd, ...args], {
    cwd: opts.cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30 * 60_000,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

/** `vzdump-lxc-<vmid>-YYYY_MM_DD-HH_MM_SS` for a UTC epoch (the pull runs with TZ=UTC). */
export function dumpBase(vmid: number, epoch: number): string {
  const d = new Date(epoch * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `vzdump-lxc-${vmid}-${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}-${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}`;
}

/** The tar vzdump would stream for `root` (uncompressed), written to `out`; returns its tar command. */
export function tarLikeVzdump(root: string, confDir: string, vmid: number, out: string): string[] {
  mkdirSync(join(confDir, "etc", "vzdump"), { recursive: true });
  writeFileSync(join(confDir, "etc", "vzdump", "pct.conf"), `arch: amd64\nhostname: bench${vmid}\nmemory: 1024\nrootfs: local-lvm:vm-${vmid}-disk-0,size=8G\nunprivileged: 1\n`);
  const args = [
    ...TAR_ARGS,
    `--directory=${confDir}`, "./etc/vzdump/pct.conf",
    `--directory=${root}`,
    "--no-anchored", "--exclude=lost+found", "--anchored",
    "--exclude=./tmp/?*", "--exclude=./var/tmp/?*", "--exclude=./var/run/?*.pid",
    "./",
  ];
  run("tar", args, { stdoutFile: out });
  return ["tar", ...args];
}

/** The same tar flags over only `rels` (relative to `root`): the "what changed" archive. */
export function tarFiles(root: string, rels: readonly string[], listFile: string, out: string): void {
  writeFileSync(listFile, rels.map((r) => `./${r}\n`).join(""));
  run("tar", [...TAR_ARGS, `--directory=${root}`, `--files-from=${listFile}`], { stdoutFile: out });
}

/** Compresses `tarFile` into `out` with `c`, as vzdump pipes tar into it; returns seconds. */
export function compress(c: Compressor, tarFile: string, out: string): number {
  const t0 = performance.now();
  run(c.command[0] as string, c.command.slice(1), { stdinFile: tarFile, stdoutFile: out });
  return (performance.now() - t0) / 1000;
}

/** The `.log` vzdump leaves beside an archive (its presence is what marks the archive complete). */
export function writeDumpLog(dumpDir: string, base: string, vmid: number, tarCommand: readonly string[], c: Compressor, archiveBytes: number): void {
  writeFileSync(
    join(dumpDir, `${base}.log`),
    [
      `INFO: starting new backup job: vzdump ${vmid} --mode snapshot --compress ${c.ext === "gz" ? "gzip" : "zstd"} --storage backup`,
      `INFO: Starting Backup of VM ${vmid} (lxc)`,
      `INFO: creating vzdump archive '${join(dumpDir, `${base}.tar.${c.ext}`)}'`,
      `INFO: ${tarCommand.join(" ")} | ${c.command.join(" ")}`,
      `INFO: archive file size: ${archiveBytes} bytes`,
      `INFO: Finished Backup of VM ${vmid}`,
      "",
    ].join("\n"),
  );
}

export const sizeOf = (path: string): number => statSync(path).size;

/** Member names of a tar, in archive order. */
export function tarMembers(tarFile: string): string[] {
  return run("tar", ["-tf", tarFile]).split("\n").filter(Boolean);
}
