#!/usr/bin/env bash
# retzien restore drill, run on a holder by its systemd timer: restores the newest
# copy of each guest it holds into a free scratch VMID (tagged retzien-drill,
# unprotected, with no network), after checking that the datastore has room for
# it, starts it, waits for it to finish booting, runs the guest's health check
# inside it, times it all, then destroys the scratch guest whatever happened.
# Destroys only guests it tagged, never a VMID outside the scratch range nor one
# in it that someone else uses; refuses to start while vzdump or a pull runs. A
# scratch guest it cannot destroy fails the drill and stops it: the next restore
# would fill the datastore that holds the production volumes.
#
#   --guests FILE      one guest per line, tab-separated: VMID, STORAGE (pbs-<source>),
#                      EXPECT (text the check's output must contain), then the check's words
#   --scratch A:B      the scratch VMID range
#   --datastore ID     where the scratch guests are restored
#   --max-minutes N    the longest one guest's restore, start and check may take
#   --results FILE     where the JSON results are written (replaced atomically)
#
# Behaviours relied on, from pve-container (94f5585) and pve-storage (9.1.7):
# - pct restore brings back the backed-up config but a few keys, options given on
#   the command line winning (PVE::LXC::Create::sanitize_and_merge_config): a
#   copy of a protected guest is protected, and pct destroy then refuses it
#   (PVE::AbstractConfig::check_protection), hence --protection 0 at restore;
# - pct start returns once the container's init runs (PVE::LXC::vm_start), not
#   once its services are up: the check waits for systemd to finish booting;
# - pct exec hands its stdin to the command: every pct call here gets /dev/null,
#   and the guests file is read on its own descriptor;
# - pvesm status prints sizes in KiB, pvesm list in bytes, maybe "~" for an
#   approximate size (PVE::CLI::pvesm $print_status, $print_content_list).
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

TAG=retzien-drill
# How long a started guest may take to finish booting before its check.
BOOT_SECONDS=300

# Whether a guest carries the drill's tag: only those are ever destroyed.
tagged() { pct config "$1" < /dev/null 2> /dev/null | grep -Eq "^tags: (.*;)?${TAG}(;|$)"; }

# Stops and destroys a scratch guest this drill tagged; prints why not on failure.
destroy_scratch() {
  local id=$1 out
  tagged "$id" || { printf 'scratch %s does not carry the %s tag: left alone' "$id" "$TAG"; return 1; }
  pct stop "$id" < /dev/null > /dev/null 2>&1 || true
  out=$(pct destroy "$id" --purge < /dev/null 2>&1) || { printf 'could not destroy scratch %s: %s' "$id" "$(last200 "$out")"; return 1; }
}

scratch_id='' created=0 cleanup_error=''
cleanup() {
  # Only a guest this run restored is ever destroyed.
  if ((created)); then
    created=0
    if ! cleanup_error=$(destroy_scratch "$scratch_id"); then
      printf 'restore-drill: %s\n' "$cleanup_error" >&2
      return 1
    fi
  fi
  cleanup_error=''
}
trap cleanup EXIT
# bash runs no EXIT trap when a signal kills it: systemd's stop (TimeoutStartSec) sends
# TERM to the whole unit, so turn it into an exit, and the scratch guest still goes.
trap 'exit 143' TERM INT HUP

free_scratch() {
  local id
  for ((id = first; id <= last; id++)); do
    if ! pct status "$id" < /dev/null > /dev/null 2>&1; then printf '%s' "$id"; return 0; fi
  done
  return 1
}

# Free bytes on the datastore the scratch guests go to, from pvesm status (KiB).
free_bytes() {
  local kib
  kib=$(pvesm status --storage "$datastore" < /dev/null 2> /dev/null | awk 'NR == 2 { print $6 }')
  [[ $kib =~ ^[0-9]+$ ]] || return 1
  printf '%s' "$((kib * 1024))"
}

# A scratch guest an earlier run left behind (killed hard, host rebooted) goes first:
# it holds room on the datastore. Only ours, by its tag.
leftovers_failed=''
for ((id = first; id <= last; id++)); do
  if pct status "$id" < /dev/null > /dev/null 2>&1 && tagged "$id"; then
    if ! why=$(destroy_scratch "$id"); then leftovers_failed="a scratch guest left by an earlier drill: $why"; fi
  fi
done

entries=() failed=0 stop_reason=$leftovers_failed
while IFS=$'\t' read -r -u 3 -a fields; do
  ((${#fields[@]} >= 4)) || continue
  vmid=${fields[0]} storage=${fields[1]} expect=${fields[2]}
  check=("${fields[@]:3}")
  started=$(date +%s) ok=false reason='' volid='' bytes=0 restore_seconds=0
  listing=$(pvesm list "$storage" --vmid "$vmid" < /dev/null 2> /dev/null || true)
  line=$(awk 'NR > 1 && $1 != "" { print }' <<< "$listing" | sort -k1,1 | tail -n 1)
  volid=$(awk '{ print $1 }' <<< "$line") bytes=$(awk '{ print $4 }' <<< "$line")
  bytes=${bytes#\~}
  [[ $bytes =~ ^[0-9]+$ ]] || bytes=0
  if [[ -n $stop_reason ]]; then
    reason="not drilled: $stop_reason"
  elif [[ -z $volid ]]; then
    reason="no copy of $vmid on $storage"
  elif ((bytes == 0)); then
    reason="pvesm list gives no size for $volid: no room can be checked, nothing restored"
  elif ! free=$(free_bytes); then
    reason="pvesm status --storage $datastore gives no free space: nothing restored"
  elif ((free < bytes * 12 / 10)); then
    reason="only $((free / 1024 ** 2)) MiB free on $datastore, the copy needs $((bytes * 12 / 10 / 1024 ** 2)) MiB (its size and 20 %): nothing restored"
  elif ! scratch_id=$(free_scratch); then
    reason="no free scratch VMID in $first..$last"
  elif ! out=$(timeout "${max_minutes}m" pct restore "$scratch_id" "$volid" --storage "$datastore" --unique 1 --protection 0 --onboot 0 --tags "$TAG" < /dev/null 2>&1); then
    reason="pct restore of $volid into $scratch_id failed: $(last200 "$out")"
    # A restore that failed or was cut short may leave its guest: ours only if it got the tag.
    if pct status "$scratch_id" < /dev/null > /dev/null 2>&1; then created=1; fi
  else
    created=1
    restore_seconds=$(($(date +%s) - started))
    if ! pct set "$scratch_id" --delete net0 < /dev/null > /dev/null 2>&1; then
      reason="could not detach the network of $scratch_id"
    elif ! timeout 300 pct start "$scratch_id" < /dev/null > /dev/null 2>&1; then
      reason="$scratch_id did not start"
    elif ! booted=$(timeout "$BOOT_SECONDS" pct exec "$scratch_id" -- systemctl is-system-running --wait < /dev/null 2>&1) && [[ $booted != degraded ]]; then
      # "degraded" (a unit failed) is booted all the same: the check says whether the service works.
      reason="$scratch_id did not finish booting within $BOOT_SECONDS s (systemctl is-system-running: $(last200 "${booted:-no answer}"))"
    else
      output=$(timeout 300 pct exec "$scratch_id" -- "${check[@]}" < /dev/null 2>&1) && status=0 || status=$?
      if ((status != 0)); then
        reason="the check exited $status: $(last200 "$output")"
      elif [[ $output != *"$expect"* ]]; then
        reason="the check's output lacks \"$expect\": $(last200 "$output")"
      else
        ok=true
      fi
    fi
  fi
  if ! cleanup; then
    # The guest stays on the datastore: this drill fails, and no further guest is restored beside it.
    ok=false
    reason="${reason:+$reason; }$cleanup_error"
    stop_reason=$cleanup_error
  fi
  [[ $ok == true ]] || failed=1
  total=$(($(date +%s) - started))
  entries+=("{\"vmid\": $vmid, \"storage\": $(json_string "$storage"), \"snapshot\": $(json_string "$volid"), \"ok\": $ok, \"reason\": $(json_string "$reason"), \"bytes\": $bytes, \"restoreSeconds\": $restore_seconds, \"totalSeconds\": $total, \"at\": $started}")
done 3< "$guests"

tmp=$(mktemp "${results}.XXXXXX")
{
  printf '{"drills": ['
  sep=''
  for e in "${entries[@]}"; do printf '%s%s' "$sep" "$e"; sep=', '; done
  printf ']}\n'
} > "$tmp"
mv "$tmp" "$results"
if [[ -n $leftovers_failed ]]; then
  printf 'restore-drill: %s\n' "$leftovers_failed" >&2
  failed=1
fi
exit "$failed"
