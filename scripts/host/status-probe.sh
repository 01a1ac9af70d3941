#!/usr/bin/env bash
# retzien status probe: read-only facts about one host's backups, as one JSON
# document on stdout, for `npm run status` (sent over ssh as `bash -s -- ARGS`).
# It only lists directories, reads status files and asks df; it writes nothing.
#
#   --dump DIR            the local vzdump directory
#   --copies PEER=DIR     the directory of PEER's copies held here (repeatable)
#   --pull-status PEER=F  the status.json of this host's pull of PEER (repeatable)
set -euo pipefail
export LC_ALL=C

readonly ARCHIVE_RE='^vzdump-(lxc|qemu)-[0-9]+-[0-9]{4}_[0-9]{2}_[0-9]{2}-[0-9]{2}_[0-9]{2}_[0-9]{2}\.(tar|vma)(\.(gz|lzo|zst))?$'

die() { printf 'status-probe: %s\n' "$*" >&2; exit 2; }

# Archives with final names in DIR, as a JSON list of {name, bytes}; null if DIR is missing.
archives_json() {
  local dir=$1 f b sep='' out='['
  [[ -d $dir ]] || { printf 'null'; return; }
  for f in "$dir"/vzdump-*; do
    b=${f##*/}
    [[ -f $f && ! -L $f && $b =~ $ARCHIVE_RE ]] || continue
    out+="$sep{\"name\":\"$b\",\"bytes\":$(stat -c %s -- "$f")}"
    sep=','
  done
  printf '%s]' "$out"
}

# Free and total bytes of the filesystem holding DIR; null if DIR is missing.
df_json() {
  local dir=$1 avail size
  [[ -d $dir ]] || { printf 'null'; return; }
  read -r avail size < <(df -P -B1 -- "$dir" | awk 'NR == 2 { print $4, $2 }')
  printf '{"availBytes":%s,"sizeBytes":%s}' "${avail:-0}" "${size:-0}"
}

# A status file's content if it is there (the caller validates it), else null.
file_json() {
  if [[ -f $1 ]]; then cat -- "$1"; else printf 'null'; fi
}

dump='' copies=() statuses=()
while (($#)); do
  case $1 in
    --dump) dump=${2:?--dump needs a directory}; shift 2 ;;
    --copies) copies+=("${2:?--copies needs PEER=DIR}"); shift 2 ;;
    --pull-status) statuses+=("${2:?--pull-status needs PEER=FILE}"); shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[[ -n $dump ]] || die "--dump is required"

printf '{"host":"%s","now":%s,"dump":{"archives":%s,"df":%s},"copies":{' "$(hostname)" "$(date +%s)" "$(archives_json "$dump")" "$(df_json "$dump")"
sep=''
for pair in "${copies[@]}"; do
  printf '%s"%s":{"archives":%s,"df":%s}' "$sep" "${pair%%=*}" "$(archives_json "${pair#*=}")" "$(df_json "${pair#*=}")"
  sep=','
done
printf '},"pullStatus":{'
sep=''
for pair in "${statuses[@]}"; do
  printf '%s"%s":%s' "$sep" "${pair%%=*}" "$(file_json "${pair#*=}")"
  sep=','
done
printf '}}\n'
