#!/usr/bin/env bash
# retzien restore drill, run on a holder by its systemd timer: restores the newest
# copy of each guest it holds into a free scratch VMID, with no network, starts
# it, runs the guest's health check inside it, times it all, then destroys the
# scratch guest whatever happened. Never touches a VMID outside the scratch range,
# nor one in it that was in use before; refuses to start while vzdump or a pull runs.
#
#   --guests FILE      one guest per line, tab-separated: VMID, STORAGE (pbs-<source>),
#                      EXPECT (text the check's output must contain), then the check's words
#   --scratch A:B      the scratch VMID range
#   --datastore ID     where the scratch guests are restored
#   --max-minutes N    the longest one guest's restore, start and check may take
#   --results FILE     where the JSON results are written (replaced atomically)
#
# Exit 0 when every drill passed, 1 when one failed, 2 on bad arguments,
# 3 when it did not start (a backup or a pull is running, or PBS does not answer).
set -euo pipefail
export LC_ALL=C

die() { printf 'restore-drill: %s\n' "$*" >&2; exit 2; }

guests='' scratch='' datastore='' max_minutes='' results=''
while (($#)); do
  case $1 in
    --guests) guests=${2:?--guests needs a file}; shift 2 ;;
    --scratch) scratch=${2:?--scratch needs A:B}; shift 2 ;;
    --datastore) datastore=${2:?--datastore needs an id}; shift 2 ;;
    --max-minutes) max_minutes=${2:?--max-minutes needs a number}; shift 2 ;;
    --results) results=${2:?--results needs a file}; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[[ -r $guests ]] || die "--guests: found '$guests', expected a readable file"
[[ $scratch =~ ^([0-9]+):([0-9]+)$ ]] || die "--scratch: found '$scratch', expected FIRST:LAST"
first=${BASH_REMATCH[1]} last=${BASH_REMATCH[2]}
((first >= 100 && first <= last)) || die "--scratch: found '$scratch', expected 100 <= FIRST <= LAST"
[[ $datastore =~ ^[A-Za-z][A-Za-z0-9_-]*$ ]] || die "--datastore: found '$datastore', expected a storage id"
[[ $max_minutes =~ ^[1-9][0-9]*$ ]] || die "--max-minutes: found '$max_minutes', expected a number of minutes"
[[ -n $results ]] || die "--results: expected a file"

# -f: a scheduled backup runs as a worker named "task UPID:...:vzdump:...", not "vzdump".
if pgrep -f vzdump > /dev/null; then
  printf 'restore-drill: a backup (vzdump) is running: no drill now\n' >&2
  exit 3
fi
# Nor while this host's PBS pulls a copy (a task whose UPID names a syncjob): the
# restore would read the datastore the pull writes. PBS not answering: no drill either.
if ! tasks=$(proxmox-backup-manager task list --output-format json 2> /dev/null); then
  printf 'restore-drill: PBS does not list its running tasks: no drill now\n' >&2
  exit 3
fi
if [[ $tasks == *:syncjob:* ]]; then
  printf 'restore-drill: a pull (PBS sync job) is running: no drill now\n' >&2
  exit 3
fi

# The end of a text, at most 200 characters (${s: -200} would give nothing for a shorter one).
last200() { local s=$1; ((${#s} <= 200)) || s=${s: -200}; printf '%s' "$s"; }
json_string() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\t'/\\t}; printf '"%s"' "$s"; }

scratch_id='' created=0
cleanup() {
  # Only a guest this run restored is ever destroyed.
  if ((created)); then
    pct stop "$scratch_id" > /dev/null 2>&1 || true
    pct destroy "$scratch_id" --purge > /dev/null 2>&1 || printf 'restore-drill: could not destroy scratch %s\n' "$scratch_id" >&2
    created=0
  fi
}
trap cleanup EXIT
# bash runs no EXIT trap when a signal kills it: systemd's stop (TimeoutStartSec) sends
# TERM to the whole unit, so turn it into an exit, and the scratch guest still goes.
trap 'exit 143' TERM INT HUP

free_scratch() {
  local id
  for ((id = first; id <= last; id++)); do
    if ! pct status "$id" > /dev/null 2>&1; then printf '%s' "$id"; return 0; fi
  done
  return 1
}

entries=() failed=0
while IFS=$'\t' read -r -a fields; do
  ((${#fields[@]} >= 4)) || continue
  vmid=${fields[0]} storage=${fields[1]} expect=${fields[2]}
  check=("${fields[@]:3}")
  started=$(date +%s) ok=false reason='' volid='' bytes=0 restore_seconds=0
  listing=$(pvesm list "$storage" --vmid "$vmid" 2> /dev/null || true)
  line=$(awk 'NR > 1 && $1 != "" { print }' <<< "$listing" | sort -k1,1 | tail -n 1)
  volid=$(awk '{ print $1 }' <<< "$line") bytes=$(awk '{ print $4 }' <<< "$line")
  [[ $bytes =~ ^[0-9]+$ ]] || bytes=0
  if [[ -z $volid ]]; then
    reason="no copy of $vmid on $storage"
  elif ! scratch_id=$(free_scratch); then
    reason="no free scratch VMID in $first..$last"
  elif ! timeout "${max_minutes}m" pct restore "$scratch_id" "$volid" --storage "$datastore" --unique 1 > /dev/null 2>&1; then
    reason="pct restore of $volid into $scratch_id failed"
  else
    created=1
    restore_seconds=$(($(date +%s) - started))
    if ! pct set "$scratch_id" --delete net0 --onboot 0 > /dev/null 2>&1; then
      reason="could not detach the network of $scratch_id"
    elif ! timeout 300 pct start "$scratch_id" > /dev/null 2>&1; then
      reason="$scratch_id did not start"
    else
      output=$(timeout 300 pct exec "$scratch_id" -- "${check[@]}" 2>&1) && status=0 || status=$?
      if ((status != 0)); then
        reason="the check exited $status: $(last200 "$output")"
      elif [[ $output != *"$expect"* ]]; then
        reason="the check's output lacks \"$expect\": $(last200 "$output")"
      else
        ok=true
      fi
    fi
  fi
  cleanup
  [[ $ok == true ]] || failed=1
  total=$(($(date +%s) - started))
  entries+=("{\"vmid\": $vmid, \"storage\": $(json_string "$storage"), \"snapshot\": $(json_string "$volid"), \"ok\": $ok, \"reason\": $(json_string "$reason"), \"bytes\": $bytes, \"restoreSeconds\": $restore_seconds, \"totalSeconds\": $total, \"at\": $started}")
done < "$guests"

tmp=$(mktemp "${results}.XXXXXX")
{
  printf '{"drills": ['
  sep=''
  for e in "${entries[@]}"; do printf '%s%s' "$sep" "$e"; sep=', '; done
  printf ']}\n'
} > "$tmp"
mv "$tmp" "$results"
exit "$failed"
