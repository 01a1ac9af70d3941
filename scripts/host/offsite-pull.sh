#!/usr/bin/env bash
# retzien-offsite-pull: pull the PEER site's finished vzdump archives into this
# host's offsite storage, test them, publish them atomically, prune them, and
# leave a machine-readable status. Installed as /usr/local/sbin/retzien-offsite-pull
# and run nightly by retzien-offsite-pull.timer.
#
# Why a pull and not a push: the site that holds a copy is the only one that can
# write or delete it. The peer authorises our key only for
# `restrict,command="rrsync -ro <dumpdir>"`, so a compromised peer can serve us
# bad data but can never touch what we already hold, and we never overwrite or
# delete anything in DEST_DIR ourselves (only `pvesm prune-backups` does, with
# Proxmox's own retention rules).
#
# Exit codes: 0 ok (or another run holds the lock), 1 problems (all reported in
# status.json, on stderr/journal and by mail), 2 bad usage or configuration.
set -Eeuo pipefail
# Archives contain whole guests (shadow files, keys): nothing we create is for
# other users. status.json is widened explicitly below.
umask 077
# Parsing rsync/df output relies on the C locale (no thousands separators in
# odd places, byte-wise string handling in the JSON escaper).
export LC_ALL=C

readonly PROG=retzien-offsite-pull
readonly DEFAULT_CONFIG=/etc/retzien/offsite-pull.env

# Every setting the env file may set, in the order --help documents them. The
# TypeScript side writes exactly these keys.
readonly SETTINGS=(
  PEER_NAME PEER_HOST PEER_PORT PEER_USER SSH_KEY KNOWN_HOSTS
  DEST_DIR STATE_DIR STAGING_DIR STORAGE_ID
  KEEP_LAST KEEP_DAILY KEEP_WEEKLY KEEP_MONTHLY KEEP_YEARLY
  BWLIMIT_KBPS IO_TIMEOUT_S CONNECT_TIMEOUT_S
  EXPECTED_VMIDS STALE_AFTER_HOURS FREE_SPACE_MARGIN_MB
  MAILTO SENDMAIL PVESM LOCK_WAIT_S NOW_EPOCH
)

# Final vzdump names only. Groups: 1 type, 2 vmid, 3 timestamp, 4 container
# format, 5 compression suffix (with dot). vzdump renames to such a name only
# once the archive is complete; .dat files and .tmp dirs never match.
readonly ARCHIVE_RE='^vzdump-(lxc|qemu)-([0-9]+)-([0-9]{4}_[0-9]{2}_[0-9]{2}-[0-9]{2}_[0-9]{2}_[0-9]{2})\.(tar|vma)(\.(gz|lzo|zst))?$'

# rsync exit codes that mean the link to the peer is gone; pulling further
# archives in this run would only wait for the same failure again.
readonly RSYNC_LINK_DOWN_CODES=" 5 10 12 30 35 255 "

usage() {
  cat <<EOF
Usage: $PROG [--config FILE] [--dry-run] [--help]

Pull the peer site's finished vzdump archives (rsync over ssh; the peer
restricts our key to 'rrsync -ro <its dump dir>'), test each one, publish it
atomically into DEST_DIR, prune DEST_DIR with 'pvesm prune-backups', check
that every guest has a fresh copy, and write STATE_DIR/status.json.

Options:
  --config FILE  env file to read (default: $DEFAULT_CONFIG)
  --dry-run      list what would be pulled and pruned; change nothing (no
                 transfer, no publish, no prune, no mail; the status JSON is
                 printed on stdout instead of written to STATE_DIR; the lock
                 is still taken so the listing matches what a run would see)
  --help         show this help

Settings (KEY=value lines in the env file, sourced by bash: quote values that
contain spaces; values come only from the file, never from the environment):
  PEER_NAME            site name of the peer, used in messages and status
                       (required, e.g. sthilaire)
  PEER_HOST            address of the peer host (required)
  PEER_PORT            ssh port of the peer (default 22)
  PEER_USER            ssh user on the peer (default root)
  SSH_KEY              private key authorised on the peer for rrsync -ro
                       (default /etc/retzien/offsite-pull/id_ed25519)
  KNOWN_HOSTS          known_hosts file holding the peer's host key; ssh runs
                       with StrictHostKeyChecking=yes against it only
                       (default /etc/retzien/offsite-pull/known_hosts)
  DEST_DIR             offsite dump directory, the 'dump' dir of a Proxmox
                       directory storage (required, must exist)
  STATE_DIR            lock file and status.json
                       (default /var/lib/retzien-offsite-pull)
  STAGING_DIR          where archives are received and tested; must be on the
                       same filesystem as DEST_DIR (publishing is a hard link)
                       and outside it (default: DEST_DIR/../.offsite-staging);
                       rsync's partial dir is STAGING_DIR/.partial
  STORAGE_ID           Proxmox storage id of DEST_DIR, for pvesm (required)
  KEEP_LAST            retention: --keep-last (default: not passed)
  KEEP_DAILY           retention: --keep-daily (default 7)
  KEEP_WEEKLY          retention: --keep-weekly (default 4)
  KEEP_MONTHLY         retention: --keep-monthly (default 3)
  KEEP_YEARLY          retention: --keep-yearly (default: not passed)
                       A KEEP_* set to an empty value is not passed; at least
                       one must be set.
  BWLIMIT_KBPS         rsync --bwlimit in KiB/s, 0 = no limit (default 0)
  IO_TIMEOUT_S         rsync --timeout in seconds (default 300)
  CONNECT_TIMEOUT_S    ssh ConnectTimeout in seconds (default 20)
  EXPECTED_VMIDS       space-separated VMIDs the peer backs up; one with no
                       copy in DEST_DIR is a problem (default: empty)
  STALE_AFTER_HOURS    a guest whose newest copy is older is a problem
                       (default 36)
  FREE_SPACE_MARGIN_MB space to leave free on the staging filesystem beyond
                       the archive being pulled (default 1024)
  MAILTO               space-separated addresses mailed on problems
                       (default: empty = no mail)
  SENDMAIL             sendmail-compatible program, called with -t -oi
                       (default /usr/sbin/sendmail)
  PVESM                pvesm command (default pvesm)
  LOCK_WAIT_S          seconds to wait for a running pull to finish before
                       giving up quietly with exit 0 (default 0)
  NOW_EPOCH            testing seam: "now" in epoch seconds for age
                       computations (default: the current time, date +%s)

Exit status: 0 ok or another pull holds the lock, 1 problems (listed in
status.json, on stderr and by mail), 2 bad usage or configuration.
EOF
}

# ---------------------------------------------------------------- logging ---

DRY_RUN=0
PROBLEMS=()

log() { printf '%s\n' "$*" >&2; }

# problem MESSAGE: record one problem (status.json, exit 1, mail) and log it
# now. Under systemd stderr already is the journal: a "<3>" prefix gives the
# line error priority there, and calling logger too would log it twice.
problem() {
  local msg=$1
  PROBLEMS+=("$msg")
  if [[ -n ${JOURNAL_STREAM:-} ]]; then
    printf '<3>error: %s\n' "$msg" >&2
  else
    printf 'error: %s\n' "$msg" >&2
    if (( ! DRY_RUN )) && command -v logger >/dev/null 2>&1; then
      logger -t "$PROG" -p user.err -- "$msg" >/dev/null 2>&1 || true
    fi
  fi
}

# usage_error MESSAGE...: print every message and exit 2 (nothing attempted).
usage_error() {
  local m
  for m in "$@"; do printf '%s: %s\n' "$PROG" "$m" >&2; done
  exit 2
}

# ------------------------------------------------------------------- JSON ---

# json_str S: S as a JSON string literal. Pure bash because Proxmox hosts may
# lack jq; LC_ALL=C makes this byte-wise, so multibyte UTF-8 passes unchanged.
json_str() {
  local s=$1 out='' c i
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  if [[ $s == *[$'\001'-$'\037']* ]]; then
    for (( i = 0; i < ${#s}; i++ )); do
      c=${s:i:1}
      if [[ $c == [$'\001'-$'\037'] ]]; then
        printf -v c '\\u%04x' "'$c"
      fi
      out+=$c
    done
    s=$out
  fi
  printf '"%s"' "$s"
}

# json_str_or_null S: null for an empty S.
json_str_or_null() {
  if [[ -z $1 ]]; then printf 'null'; else json_str "$1"; fi
}

# ----------------------------------------------------------------- time -----

# now_ms: wall clock in milliseconds, for durations.
now_ms() {
  local t=${EPOCHREALTIME/./}
  printf '%s' "$(( 10#${t:0:${#t}-3} ))"
}

# ms_to_seconds MS: "12.345" (JSON number).
ms_to_seconds() {
  local ms=$1
  printf '%d.%03d' "$(( ms / 1000 ))" "$(( ms % 1000 ))"
}

# seconds_to_hours S: hours with one decimal, truncated toward zero ("-1.5" ok).
seconds_to_hours() {
  local s=$1 sign='' tenths
  if (( s < 0 )); then sign='-'; s=$(( -s )); fi
  tenths=$(( s / 360 ))
  printf '%s%d.%d' "$sign" "$(( tenths / 10 ))" "$(( tenths % 10 ))"
}

# vzdump_epoch TS: epoch of a vzdump name timestamp (YYYY_MM_DD-HH_MM_SS).
# vzdump writes local time, so date -d interprets it in the local zone too.
vzdump_epoch() {
  local ts=$1
  date -d "${ts:0:4}-${ts:5:2}-${ts:8:2} ${ts:11:2}:${ts:14:2}:${ts:17:2}" +%s
}

# --------------------------------------------------------------- settings ---

CONFIG=$DEFAULT_CONFIG

parse_args() {
  while (( $# )); do
    case $1 in
      --config)
        (( $# >= 2 )) || usage_error "--config needs a file argument" "try --help"
        CONFIG=$2; shift 2 ;;
      --config=*) CONFIG=${1#--config=}; shift ;;
      --dry-run) DRY_RUN=1; shift ;;
      -h|--help) usage; exit 0 ;;
      *) usage_error "unknown option or argument '$1'" "try --help" ;;
    esac
  done
}

load_config() {
  local key owner_mode
  [[ -n $CONFIG ]] || usage_error "--config: empty file name"
  if [[ ! -f $CONFIG || ! -r $CONFIG ]]; then
    usage_error "config file '$CONFIG' does not exist or is not a readable file (expected KEY=value lines; see --help)"
  fi
  # The file is sourced as root: refuse one that someone else could have edited.
  owner_mode=$(stat -L -c '%u %a' -- "$CONFIG") ||
    usage_error "config file '$CONFIG': cannot stat it"
  if [[ ${owner_mode% *} != "0" && ${owner_mode% *} != "$(id -u)" ]]; then
    usage_error "config file '$CONFIG' is owned by uid ${owner_mode% *}; expected root or $(id -u)"
  fi
  if (( 8#${owner_mode#* } & 8#022 )); then
    usage_error "config file '$CONFIG' has mode ${owner_mode#* }; expected it not group/world-writable (e.g. 0600)"
  fi
  # Settings come from the file only: a stray variable in the caller's
  # environment must not change what a nightly run does.
  for key in "${SETTINGS[@]}"; do unset "$key"; done
  # shellcheck source=/dev/null
  if ! . "$CONFIG"; then
    usage_error "config file '$CONFIG' could not be read as KEY=value lines"
  fi
}

# Defaults. `${X-d}` (no colon) for KEEP_*: unset means the default, an empty
# value means "do not pass this option".
apply_defaults() {
  PEER_NAME=${PEER_NAME:-}
  PEER_HOST=${PEER_HOST:-}
  PEER_PORT=${PEER_PORT:-22}
  PEER_USER=${PEER_USER:-root}
  SSH_KEY=${SSH_KEY:-/etc/retzien/offsite-pull/id_ed25519}
  KNOWN_HOSTS=${KNOWN_HOSTS:-/etc/retzien/offsite-pull/known_hosts}
  DEST_DIR=${DEST_DIR:-}
  # Trailing slashes would make dirname() below pick DEST_DIR itself.
  while [[ $DEST_DIR == */ && $DEST_DIR != / ]]; do DEST_DIR=${DEST_DIR%/}; done
  STATE_DIR=${STATE_DIR:-/var/lib/retzien-offsite-pull}
  if [[ -z ${STAGING_DIR:-} && -n $DEST_DIR ]]; then
    STAGING_DIR="$(dirname -- "$DEST_DIR")/.offsite-staging"
  fi
  STAGING_DIR=${STAGING_DIR:-}
  while [[ $STAGING_DIR == */ && $STAGING_DIR != / ]]; do STAGING_DIR=${STAGING_DIR%/}; done
  STORAGE_ID=${STORAGE_ID:-}
  KEEP_LAST=${KEEP_LAST-}
  KEEP_DAILY=${KEEP_DAILY-7}
  KEEP_WEEKLY=${KEEP_WEEKLY-4}
  KEEP_MONTHLY=${KEEP_MONTHLY-3}
  KEEP_YEARLY=${KEEP_YEARLY-}
  BWLIMIT_KBPS=${BWLIMIT_KBPS:-0}
  IO_TIMEOUT_S=${IO_TIMEOUT_S:-300}
  CONNECT_TIMEOUT_S=${CONNECT_TIMEOUT_S:-20}
  EXPECTED_VMIDS=${EXPECTED_VMIDS:-}
  STALE_AFTER_HOURS=${STALE_AFTER_HOURS:-36}
  FREE_SPACE_MARGIN_MB=${FREE_SPACE_MARGIN_MB:-1024}
  MAILTO=${MAILTO:-}
  SENDMAIL=${SENDMAIL:-/usr/sbin/sendmail}
  PVESM=${PVESM:-pvesm}
  LOCK_WAIT_S=${LOCK_WAIT_S:-0}
  NOW_EPOCH=${NOW_EPOCH:-}
}

# Validation collects every problem and reports them together, so one edit of
# the env file fixes everything.
CONFIG_ERRORS=()
bad() { CONFIG_ERRORS+=("$1: found '$2', expected $3"); }

check_uint() {    # NAME VALUE MIN [MAX]
  local name=$1 value=$2 min=$3 max=${4:-}
  if [[ $value =~ ^[0-9]{1,12}$ ]] && (( 10#$value >= min )) &&
     { [[ -z $max ]] || (( 10#$value <= max )); }; then
    return 0
  fi
  if [[ -n $max ]]; then bad "$name" "$value" "an integer $min..$max"
  else bad "$name" "$value" "an integer >= $min"; fi
  return 1
}

# Paths go into rsync's -e string, which rsync splits on whitespace: allow only
# characters that need no quoting.
check_path() {    # NAME VALUE WHAT
  local name=$1 value=$2
  if [[ -z $value ]]; then
    CONFIG_ERRORS+=("$name: missing; expected $3")
  elif [[ ! $value =~ ^/[A-Za-z0-9._/+@=,:-]*$ ]]; then
    bad "$name" "$value" "an absolute path of letters, digits and ._/+@=,:- ($3)"
  fi
}

validate_config() {
  local key v
  if [[ -z $PEER_NAME ]]; then
    CONFIG_ERRORS+=("PEER_NAME: missing; expected the peer's site name (e.g. sthilaire)")
  elif [[ ! $PEER_NAME =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
    bad PEER_NAME "$PEER_NAME" "a site name of letters, digits and ._-"
  fi
  if [[ -z $PEER_HOST ]]; then
    CONFIG_ERRORS+=("PEER_HOST: missing; expected the peer's address (host name, IPv4 or IPv6)")
  elif [[ ! $PEER_HOST =~ ^[A-Za-z0-9:][A-Za-z0-9.:%_-]*$ ]]; then
    # A leading '-' would be read by ssh as an option.
    bad PEER_HOST "$PEER_HOST" "a host name, IPv4 or IPv6 address"
  fi
  check_uint PEER_PORT "$PEER_PORT" 1 65535 || true
  [[ $PEER_USER =~ ^[a-z_][a-z0-9_.-]*$ ]] ||
    bad PEER_USER "$PEER_USER" "a user name ([a-z_][a-z0-9_.-]*)"
  check_path SSH_KEY "$SSH_KEY" "the private key of the pull"
  check_path KNOWN_HOSTS "$KNOWN_HOSTS" "the known_hosts file with the peer's host key"
  check_path DEST_DIR "$DEST_DIR" "the offsite dump directory"
  check_path STATE_DIR "$STATE_DIR" "the state directory"
  check_path STAGING_DIR "$STAGING_DIR" "the staging directory"
  if [[ -n $DEST_DIR && -n $STAGING_DIR ]]; then
    if [[ $STAGING_DIR == "$DEST_DIR" || $STAGING_DIR == "$DEST_DIR"/* ]]; then
      bad STAGING_DIR "$STAGING_DIR" "a directory outside DEST_DIR ($DEST_DIR), so Proxmox never lists half-pulled files"
    fi
  fi
  if [[ -z $STORAGE_ID ]]; then
    CONFIG_ERRORS+=("STORAGE_ID: missing; expected the Proxmox storage id of DEST_DIR")
  elif [[ ! $STORAGE_ID =~ ^[A-Za-z][A-Za-z0-9_.-]*$ ]]; then
    bad STORAGE_ID "$STORAGE_ID" "a Proxmox storage id"
  fi
  local any_keep=0
  for key in KEEP_LAST KEEP_DAILY KEEP_WEEKLY KEEP_MONTHLY KEEP_YEARLY; do
    v=${!key}
    [[ -z $v ]] && continue
    any_keep=1
    # pvesm rejects 0: its keep-* options have minimum 1.
    check_uint "$key" "$v" 1 || true
  done
  if (( ! any_keep )); then
    # pvesm would fall back to the storage's own retention, which may keep
    # everything until the disk is full.
    CONFIG_ERRORS+=("KEEP_*: all empty; expected at least one of KEEP_LAST, KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY, KEEP_YEARLY")
  fi
  check_uint BWLIMIT_KBPS "$BWLIMIT_KBPS" 0 || true
  check_uint IO_TIMEOUT_S "$IO_TIMEOUT_S" 1 || true
  check_uint CONNECT_TIMEOUT_S "$CONNECT_TIMEOUT_S" 1 || true
  for v in $EXPECTED_VMIDS; do
    check_uint EXPECTED_VMIDS "$v" 100 999999999 || true
  done
  check_uint STALE_AFTER_HOURS "$STALE_AFTER_HOURS" 1 || true
  check_uint FREE_SPACE_MARGIN_MB "$FREE_SPACE_MARGIN_MB" 0 || true
  check_uint LOCK_WAIT_S "$LOCK_WAIT_S" 0 || true
  for v in $MAILTO; do
    # No spaces, commas or newlines: these end up in a mail header.
    [[ $v =~ ^[A-Za-z0-9._%+=-]+(@[A-Za-z0-9.-]+)?$ ]] ||
      bad MAILTO "$v" "space-separated mail addresses"
  done
  [[ $SENDMAIL =~ ^[A-Za-z0-9._/+-]+$ ]] ||
    bad SENDMAIL "$SENDMAIL" "a program path without spaces"
  [[ $PVESM =~ ^[A-Za-z0-9._/+-]+$ ]] ||
    bad PVESM "$PVESM" "a program name or path without spaces"
  if [[ -n $NOW_EPOCH && ! $NOW_EPOCH =~ ^[0-9]{1,12}$ ]]; then
    bad NOW_EPOCH "$NOW_EPOCH" "epoch seconds (testing only) or empty"
  fi
  # Files ssh needs: a missing one is a deployment mistake, not a bad night.
  if [[ ${#CONFIG_ERRORS[@]} -eq 0 ]]; then
    [[ -r $SSH_KEY ]] ||
      CONFIG_ERRORS+=("SSH_KEY: '$SSH_KEY' does not exist or is not readable; expected the pull's private key")
    [[ -r $KNOWN_HOSTS ]] ||
      CONFIG_ERRORS+=("KNOWN_HOSTS: '$KNOWN_HOSTS' does not exist or is not readable; expected a known_hosts file with the peer's host key")
  fi
  if (( ${#CONFIG_ERRORS[@]} )); then
    mail_config_errors
    usage_error "invalid configuration in $CONFIG:" "${CONFIG_ERRORS[@]}"
  fi
}

# ------------------------------------------------------------------- mail ---

# send_mail SUBJECT BODY: best effort; a mail failure is logged, never fatal,
# so it cannot hide the problems being reported.
send_mail() {
  local subject=$1 body=$2 to
  [[ -n $MAILTO ]] || return 0
  if ! command -v "$SENDMAIL" >/dev/null 2>&1; then
    log "cannot mail the operators: SENDMAIL '$SENDMAIL' not found"
    return 0
  fi
  # shellcheck disable=SC2086 # split the space-separated list on purpose
  to=$(printf '%s\n' $MAILTO | paste -sd, - | sed 's/,/, /g')
  if ! {
    printf 'To: %s\n' "$to"
    printf 'Subject: %s\n' "$subject"
    printf 'Auto-Submitted: auto-generated\n'
    printf 'Content-Type: text/plain; charset=UTF-8\n'
    printf '\n%s\n' "$body"
  } | "$SENDMAIL" -t -oi; then
    log "cannot mail the operators: '$SENDMAIL -t -oi' failed"
  fi
}

mail_config_errors() {
  # Only when the addresses themselves are usable.
  local v
  for v in $MAILTO; do
    [[ $v =~ ^[A-Za-z0-9._%+=-]+(@[A-Za-z0-9.-]+)?$ ]] || return 0
  done
  [[ $SENDMAIL =~ ^[A-Za-z0-9._/+-]+$ ]] || return 0
  (( ! DRY_RUN )) || return 0
  send_mail "[$PROG] $(uname -n): offsite pull from ${PEER_NAME:-?} not run: ${#CONFIG_ERRORS[@]} configuration problem(s)" \
    "$(printf 'The offsite pull on %s did not run: %s is invalid.\n\n' "$(uname -n)" "$CONFIG"; printf -- '- %s\n' "${CONFIG_ERRORS[@]}")"
}

# ---------------------------------------------------------------- runtime ---

WORK=''
FINISHED=0
INTERRUPTED=''
LAST_ERR=''
STARTED_AT=''
STARTED_MS=0
PULLED_JSON=()
GUESTS_JSON=()
BYTES_ON_WIRE_TOTAL=0
declare -A REMOTE_SIZE=()       # regular files in the peer's dump dir
declare -A PUBLISHED_GUEST=()   # "type vmid" of guests with a new copy
SSH_CMD=''
REMOTE=''
PARTIAL_DIR=''

acquire_lock() {
  # No status can be written without STATE_DIR: say so and stop.
  if ! mkdir -p -- "$STATE_DIR"; then
    problem "cannot create STATE_DIR $STATE_DIR; nothing done"
    exit 1
  fi
  exec 9>>"$STATE_DIR/lock"
  if ! flock -w "$LOCK_WAIT_S" 9; then
    log "another pull holds the lock ($STATE_DIR/lock); nothing to do"
    exit 0
  fi
}

on_signal() {
  INTERRUPTED=$1
  # Pass the signal on: rsync then keeps its partial file for the next run
  # instead of finishing a transfer nobody waits for.
  if [[ -n $CHILD_PID ]] && kill -0 "$CHILD_PID" 2>/dev/null; then
    kill -TERM "$CHILD_PID" 2>/dev/null || true
    wait "$CHILD_PID" 2>/dev/null || true
  fi
  exit 1
}

# run_child CMD...: run CMD as a waited-for background child, so that a signal
# reaches on_signal at once rather than after a transfer that may take hours.
# Returns CMD's status; its stdin is /dev/null.
CHILD_PID=''
run_child() {
  local rc=0
  "$@" </dev/null &
  CHILD_PID=$!
  wait "$CHILD_PID" || rc=$?
  CHILD_PID=''
  return "$rc"
}

on_exit() {
  local rc=$?
  set +e
  trap - EXIT ERR
  if (( ! FINISHED )); then
    if [[ -n $INTERRUPTED ]]; then
      problem "interrupted by SIG$INTERRUPTED; the run stopped early"
    else
      problem "internal error: the run aborted with status $rc${LAST_ERR:+ ($LAST_ERR)}"
    fi
  fi
  write_status
  report
  [[ -n $WORK ]] && rm -rf -- "$WORK"
  if (( ${#PROBLEMS[@]} )); then exit 1; fi
  exit 0
}

write_status() {
  local finished_ms dur json tmp
  finished_ms=$(now_ms)
  dur=$(ms_to_seconds $(( finished_ms - STARTED_MS )))
  local ok=true dry=false
  (( ${#PROBLEMS[@]} )) && ok=false
  (( DRY_RUN )) && dry=true
  json="{\"version\":1,\"peer\":$(json_str "$PEER_NAME")"
  json+=",\"startedAt\":$(json_str "$STARTED_AT")"
  json+=",\"finishedAt\":$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
  json+=",\"durationSeconds\":$dur,\"ok\":$ok,\"dryRun\":$dry"
  json+=",\"pulled\":[$(IFS=,; printf '%s' "${PULLED_JSON[*]}")]"
  json+=",\"bytesOnWire\":$BYTES_ON_WIRE_TOTAL"
  json+=",\"guests\":[$(IFS=,; printf '%s' "${GUESTS_JSON[*]}")]"
  local errs=() p
  for p in "${PROBLEMS[@]}"; do errs+=("$(json_str "$p")"); done
  json+=",\"errors\":[$(IFS=,; printf '%s' "${errs[*]}")]}"
  if (( DRY_RUN )); then
    printf '%s\n' "$json"
    return 0
  fi
  # Write beside the target, flush, then rename: a reader (monitoring) sees the
  # old status or the new one, never half of one.
  if tmp=$(mktemp -- "$STATE_DIR/.status.json.XXXXXX") &&
     printf '%s\n' "$json" >"$tmp" && sync -- "$tmp" && chmod 0644 -- "$tmp" &&
     mv -f -- "$tmp" "$STATE_DIR/status.json"; then
    return 0
  fi
  [[ -n ${tmp:-} ]] && rm -f -- "$tmp"
  PROBLEMS+=("cannot write $STATE_DIR/status.json")
  log "error: cannot write $STATE_DIR/status.json"
}

report() {
  local n=${#PROBLEMS[@]} host
  if (( n == 0 )); then
    log "offsite pull from $PEER_NAME ok: ${#PULLED_JSON[@]} archive(s) pulled, $BYTES_ON_WIRE_TOTAL bytes on the wire"
    return 0
  fi
  log "offsite pull from $PEER_NAME: $n problem(s)"
  (( DRY_RUN )) && return 0
  host=$(uname -n)
  send_mail "[$PROG] $host: offsite pull from $PEER_NAME failed: $n problem(s)" \
    "$(printf 'The offsite pull on %s of the archives of site %s (%s) found %d problem(s):\n\n' \
         "$host" "$PEER_NAME" "$PEER_HOST" "$n"
       printf -- '- %s\n' "${PROBLEMS[@]}"
       printf '\nStatus: %s/status.json\nLogs: journalctl -u retzien-offsite-pull.service\n' "$STATE_DIR")"
}

# tail_of FILE: the last lines of a command's stderr, on one line, for messages.
tail_of() {
  tail -n 3 -- "$1" 2>/dev/null | tr '\r\n' '  ' | sed 's/  */ /g; s/ *$//'
}

# ssh_failure FILE: the line in which ssh says why it could not connect or
# log in, if any. rsync's own exit status is not enough to tell: when ssh dies
# early, rsync reports 255 or 12 depending on which end noticed first.
ssh_failure() {
  grep -m1 -E '^ssh: |Host key verification failed|Permission denied|Connection (refused|timed out|closed by)|Could not resolve|No route to host|Network is unreachable' -- "$1" 2>/dev/null |
    tr -d '\r' || true
}

setup_transport() {
  local host=$PEER_HOST
  # rsync needs brackets around an IPv6 literal in user@host:path.
  [[ $host == *:* ]] && host="[$host]"
  REMOTE="$PEER_USER@$host"
  # -F none: root's own ssh config must not change where or how we connect.
  # IdentitiesOnly: offer this key only, never an agent's.
  # ServerAlive*: notice a dead link even while rsync waits on a checksum.
  SSH_CMD="ssh -F none -i $SSH_KEY -p $PEER_PORT -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$KNOWN_HOSTS -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o ConnectTimeout=$CONNECT_TIMEOUT_S -o ServerAliveInterval=15 -o ServerAliveCountMax=4"
}

# list_remote: fill REMOTE_SIZE with the peer's regular files. Returns 1 when
# the peer could not be listed (the problem is already recorded).
list_remote() {
  local rc=0 perm size _d _t name
  run_child rsync --list-only --no-human-readable --timeout="$IO_TIMEOUT_S" -e "$SSH_CMD" \
    "$REMOTE:" >"$WORK/list.out" 2>"$WORK/list.err" || rc=$?
  # 24: a file vanished while listing (vzdump renaming .dat): harmless.
  if (( rc != 0 && rc != 24 )); then
    local why
    why=$(ssh_failure "$WORK/list.err")
    if [[ -n $why || $rc == 255 ]]; then
      problem "cannot reach peer $PEER_NAME at $REMOTE port $PEER_PORT: ${why:-$(tail_of "$WORK/list.err")} (rsync exit $rc)"
    else
      problem "cannot list the dump directory of peer $PEER_NAME at $REMOTE port $PEER_PORT (rsync exit $rc): $(tail_of "$WORK/list.err")"
    fi
    return 1
  fi
  while read -r perm size _d _t name; do
    # Regular files only: a symlink or directory named like an archive is not
    # an archive (and rrsync would refuse to follow one out of the dump dir).
    [[ $perm == -* && $size =~ ^[0-9]+$ && -n $name ]] || continue
    REMOTE_SIZE["$name"]=$(( 10#$size ))
  done <"$WORK/list.out"
}

# candidates: "timestamp name" of complete archives on the peer, oldest first.
# Complete = final name AND its .log exists (vzdump writes the log last).
candidates() {
  local name base
  for name in "${!REMOTE_SIZE[@]}"; do
    [[ $name =~ $ARCHIVE_RE ]] || continue
    base="vzdump-${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-${BASH_REMATCH[3]}"
    [[ -n ${REMOTE_SIZE["$base.log"]+x} ]] || continue
    printf '%s %s\n' "${BASH_REMATCH[3]}" "$name"
  done | sort
}

# newest_basis NAME: the newest older archive in DEST_DIR of the same guest,
# type and format, to seed rsync's delta transfer. Prints nothing if none.
newest_basis() {
  local name=$1 type vmid ts fmt f b best='' best_ts=''
  [[ $name =~ $ARCHIVE_RE ]] || return 0
  type=${BASH_REMATCH[1]} vmid=${BASH_REMATCH[2]} ts=${BASH_REMATCH[3]}
  fmt=${BASH_REMATCH[4]}${BASH_REMATCH[5]}
  for f in "$DEST_DIR/vzdump-$type-$vmid-"*; do
    b=${f##*/}
    [[ -f $f && ! -L $f && $b =~ $ARCHIVE_RE ]] || continue
    [[ ${BASH_REMATCH[4]}${BASH_REMATCH[5]} == "$fmt" ]] || continue
    [[ ${BASH_REMATCH[3]} < "$ts" ]] || continue
    if [[ -z $best_ts || ${BASH_REMATCH[3]} > "$best_ts" ]]; then
      best=$b best_ts=${BASH_REMATCH[3]}
    fi
  done
  printf '%s' "$best"
}

# free_bytes DIR: bytes available to root-less writers on DIR's filesystem.
free_bytes() {
  local kb
  kb=$(df -P -k -- "$1" | awk 'NR == 2 { print $4 }') || return 1
  [[ $kb =~ ^[0-9]+$ ]] || return 1
  printf '%s' "$(( kb * 1024 ))"
}

# test_archive FILE: integrity test by format. Prints why on failure.
test_archive() {
  local f=$1 name=${1##*/}
  case $name in
    *.gz)
      if command -v pigz >/dev/null 2>&1; then pigz -t -- "$f"; else gzip -t -- "$f"; fi ;;
    *.zst) zstd -q -t -- "$f" ;;
    *.lzo)
      command -v lzop >/dev/null 2>&1 || { echo "lzop is not installed, cannot test a .lzo archive"; return 1; }
      lzop -t -- "$f" ;;
    *.tar) tar -tf "$f" >/dev/null ;;
    *.vma)
      command -v vma >/dev/null 2>&1 || { echo "vma is not installed, cannot test a .vma archive"; return 1; }
      vma verify "$f" ;;
    *) echo "unknown archive format"; return 1 ;;
  esac
}

# publish SRC DST: no-clobber atomic publish. link(2) fails if DST exists, so
# nothing in DEST_DIR is ever overwritten; the staging name is dropped after.
publish() {
  local src=$1 dst=$2
  if [[ -e $dst || -L $dst ]]; then
    echo "$dst already exists"
    return 1
  fi
  ln -- "$src" "$dst" 2>&1 || return 1
  rm -f -- "$src"
}

# publish_sidecar SRC DST: like publish, but an identical file already there
# (left by a run that stopped before publishing its archive) is accepted.
publish_sidecar() {
  local src=$1 dst=$2
  if [[ -f $dst && ! -L $dst ]] && cmp -s -- "$src" "$dst"; then
    rm -f -- "$src"
    return 0
  fi
  publish "$src" "$dst"
}

# clean_staging KEEP...: drop leftovers of earlier runs (rsync temp files,
# sidecars, archives the peer no longer serves) but keep the staged copies and
# partial files of archives still to pull: they are the cheapest basis there is.
clean_staging() {
  local -A keep=()
  local n f
  for n in "$@"; do keep["$n"]=1; done
  for f in "$STAGING_DIR"/* "$STAGING_DIR"/.[!.]* "$PARTIAL_DIR"/* "$PARTIAL_DIR"/.[!.]*; do
    [[ -e $f || -L $f ]] || continue
    [[ $f == "$PARTIAL_DIR" ]] && continue
    [[ -n ${keep["${f##*/}"]+x} && -f $f && ! -L $f ]] && continue
    rm -rf -- "$f"
  done
}

# pull_one NAME: pull, test and publish one archive with its .log and .notes.
# Returns 0 on success, 1 on a problem with this archive (recorded), 2 when no
# further archive should be tried in this run (space or link gone).
# delta_block_size BYTES: the rsync block for an archive of that size. rsync's
# own choice (about sqrt of the size: ~24 KB for 570 MB) makes every scattered
# change cost a whole block; 4 KiB blocks up to 16 GiB, then growing to keep
# the sender's block list near 4 Mi entries, cut a 2 % night from 5.5 % of the
# archive on the wire to 3.6 % (docs/performance.md). rsync caps it at 128 KiB.
delta_block_size() {
  local bs=$(( ($1 / 4194304 + 7) / 8 * 8 ))
  (( bs < 4096 )) && bs=4096
  (( bs > 131072 )) && bs=131072
  printf '%s' "$bs"
}

pull_one() {
  local name=$1 size=${REMOTE_SIZE["$1"]} type vmid base basis='' avail need
  [[ $name =~ $ARCHIVE_RE ]]
  type=${BASH_REMATCH[1]} vmid=$(( 10#${BASH_REMATCH[2]} ))
  base="vzdump-${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-${BASH_REMATCH[3]}"
  local files=("$name" "$base.log")
  [[ -n ${REMOTE_SIZE["$name.notes"]+x} ]] && files+=("$name.notes")

  # Refuse before transferring: a full offsite disk half-way through a 100 GB
  # archive costs a night of the peer's uplink for nothing.
  need=$(( size + FREE_SPACE_MARGIN_MB * 1024 * 1024 ))
  if ! avail=$(free_bytes "$STAGING_DIR"); then
    problem "cannot determine free space of $STAGING_DIR; not pulling $name"
    return 2
  fi
  if (( avail < need )); then
    problem "not enough space to pull $name from $PEER_NAME: archive is $size bytes + margin $FREE_SPACE_MARGIN_MB MiB = $need bytes needed, but $STAGING_DIR has only $avail bytes free; pulling stopped"
    return 2
  fi

  basis=$(newest_basis "$name")
  if [[ -e $STAGING_DIR/$name ]]; then
    log "$name: the copy an earlier run left in staging is the basis"
    basis=''
  elif [[ -n $basis ]]; then
    # Same filesystem, so a hard link: rsync reads it as the basis and, never
    # run with --inplace, writes a new file and renames it over this name, so
    # the published copy's inode is never written to.
    if ! ln -- "$DEST_DIR/$basis" "$STAGING_DIR/$name" 2>"$WORK/ln.err"; then
      log "$name: cannot use $basis as basis ($(tail_of "$WORK/ln.err")); pulling it whole"
      basis=''
    fi
  fi

  local srcs=() f
  for f in "${files[@]}"; do srcs+=("$REMOTE:$f"); done
  local opts=(
    --ignore-times          # always transfer: the basis has another mtime/size by design
    --times --perms --chmod=F0640
    --partial-dir="$PARTIAL_DIR"
    --timeout="$IO_TIMEOUT_S"
    --stats --no-human-readable
    -e "$SSH_CMD"
  )
  (( BWLIMIT_KBPS > 0 )) && opts+=(--bwlimit="$BWLIMIT_KBPS")
  opts+=(--block-size="$(delta_block_size "$size")")

  log "pulling $name ($size bytes) from $PEER_NAME${basis:+, basis $basis}"
  local t0 t1 rc=0
  t0=$(now_ms)
  run_child rsync "${opts[@]}" "${srcs[@]}" "$STAGING_DIR/" >"$WORK/pull.out" 2>"$WORK/pull.err" || rc=$?
  t1=$(now_ms)
  if (( rc != 0 )); then
    if [[ $RSYNC_LINK_DOWN_CODES == *" $rc "* ]]; then
      problem "pull of $name from $PEER_NAME interrupted (rsync exit $rc): $(tail_of "$WORK/pull.err"); the partial copy is kept for the next run; pulling stopped"
      return 2
    fi
    problem "pull of $name from $PEER_NAME failed (rsync exit $rc): $(tail_of "$WORK/pull.err")"
    return 1
  fi

  local sent recv wire
  sent=$(sed -n 's/^Total bytes sent: *\([0-9]*\).*/\1/p' "$WORK/pull.out")
  recv=$(sed -n 's/^Total bytes received: *\([0-9]*\).*/\1/p' "$WORK/pull.out")
  wire=$(( 10#${sent:-0} + 10#${recv:-0} ))
  BYTES_ON_WIRE_TOTAL=$(( BYTES_ON_WIRE_TOTAL + wire ))

  local staged=$STAGING_DIR/$name got why
  got=$(stat -c %s -- "$staged" 2>/dev/null || echo missing)
  if [[ $got != "$size" ]]; then
    problem "pulled $name from $PEER_NAME but it has $got bytes, the peer listed $size; not published"
    rm -f -- "$staged"
    return 1
  fi
  if ! why=$(test_archive "$staged" 2>&1); then
    problem "archive $name from $PEER_NAME failed its integrity test: $(printf '%s' "$why" | tail -n 2 | tr '\n' ' '); not published, staging copy removed"
    for f in "${files[@]}"; do rm -f -- "$STAGING_DIR/$f"; done
    return 1
  fi

  # Durable before visible: a crash right after publishing must not leave a
  # final name over blocks that never reached the disk.
  if ! sync -- "${files[@]/#/$STAGING_DIR/}"; then
    problem "cannot flush the staged copy of $name to disk; not published"
    return 1
  fi
  # Sidecars first, the archive last: its final name is what means "complete".
  for f in "${files[@]:1}"; do
    if ! why=$(publish_sidecar "$STAGING_DIR/$f" "$DEST_DIR/$f"); then
      problem "cannot publish $f into $DEST_DIR: $why; $name not published"
      return 1
    fi
  done
  if ! why=$(publish "$staged" "$DEST_DIR/$name"); then
    problem "cannot publish $name into $DEST_DIR: $why; nothing overwritten"
    return 1
  fi
  sync -- "$DEST_DIR" 2>/dev/null || log "warning: cannot flush directory $DEST_DIR"

  PUBLISHED_GUEST["$type $vmid"]=1
  log "published $name: $wire bytes on the wire for $size bytes"
  PULLED_JSON+=("{\"archive\":$(json_str "$name"),\"vmid\":$vmid,\"bytesOnWire\":$wire,\"archiveBytes\":$size,\"basis\":$(json_str_or_null "$basis"),\"seconds\":$(ms_to_seconds $(( t1 - t0 )))}")
}

keep_args() {
  local key opt
  for key in KEEP_LAST KEEP_DAILY KEEP_WEEKLY KEEP_MONTHLY KEEP_YEARLY; do
    [[ -n ${!key} ]] || continue
    opt=${key#KEEP_}
    printf -- '--keep-%s\n%s\n' "${opt,,}" "$(( 10#${!key} ))"
  done
}

prune() {
  local g type vmid args=() out
  mapfile -t args < <(keep_args)
  for g in $(printf '%s\n' "${!PUBLISHED_GUEST[@]}" | sort -k2,2n -k1,1 | tr ' ' ':'); do
    type=${g%%:*} vmid=${g#*:}
    if (( DRY_RUN )); then
      log "would prune: $PVESM prune-backups $STORAGE_ID --vmid $vmid --type $type ${args[*]}"
      continue
    fi
    if ! out=$("$PVESM" prune-backups "$STORAGE_ID" --vmid "$vmid" --type "$type" "${args[@]}" 2>&1); then
      problem "pruning guest $vmid ($type) on storage $STORAGE_ID failed: $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
    fi
  done
}

# staleness: one status entry per guest (EXPECTED_VMIDS and every guest with a
# copy); a guest with no copy or an old newest copy is a problem.
staleness() {
  local -A newest=() newest_type=() newest_name=()
  local f b vmid now limit_s v
  now=${NOW_EPOCH:-$(date +%s)}
  limit_s=$(( STALE_AFTER_HOURS * 3600 ))
  if [[ -d $DEST_DIR ]]; then
    for f in "$DEST_DIR"/vzdump-*; do
      b=${f##*/}
      [[ -f $f && ! -L $f && $b =~ $ARCHIVE_RE ]] || continue
      vmid=$(( 10#${BASH_REMATCH[2]} ))
      if [[ -z ${newest[$vmid]:-} || ${BASH_REMATCH[3]} > ${newest[$vmid]} ]]; then
        newest[$vmid]=${BASH_REMATCH[3]}
        newest_type[$vmid]=${BASH_REMATCH[1]}
        newest_name[$vmid]=$b
      fi
    done
  fi
  local -A all=()
  for v in $EXPECTED_VMIDS "${!newest[@]}"; do all[$(( 10#$v ))]=1; done
  local ts epoch age hours stale bytes
  for vmid in $(printf '%s\n' "${!all[@]}" | sort -n); do
    if [[ -z ${newest[$vmid]:-} ]]; then
      problem "guest $vmid of $PEER_NAME has no offsite copy at all in $DEST_DIR"
      GUESTS_JSON+=("{\"vmid\":$vmid,\"type\":null,\"newestCopy\":null,\"newestCopyBytes\":null,\"ageHours\":null,\"stale\":true}")
      continue
    fi
    ts=${newest[$vmid]}
    if ! epoch=$(vzdump_epoch "$ts"); then
      problem "guest $vmid: cannot read the date of ${newest_name[$vmid]}"
      continue
    fi
    age=$(( now - epoch ))
    hours=$(seconds_to_hours "$age")
    stale=false
    if (( age > limit_s )); then
      stale=true
      problem "guest $vmid (${newest_type[$vmid]}) of $PEER_NAME: newest offsite copy ${newest_name[$vmid]} is $hours hours old (limit $STALE_AFTER_HOURS hours)"
    fi
    # The size lets the runbook estimate a restore from what is really held.
    bytes=$(stat -c %s -- "$DEST_DIR/${newest_name[$vmid]}" 2>/dev/null || printf 'null')
    GUESTS_JSON+=("{\"vmid\":$vmid,\"type\":$(json_str "${newest_type[$vmid]}"),\"newestCopy\":$(json_str "${newest_name[$vmid]}"),\"newestCopyBytes\":$bytes,\"ageHours\":$hours,\"stale\":$stale}")
  done
}

# check_dirs: DEST_DIR must exist (else the offsite disk is probably not
# mounted and we would fill the root filesystem); STAGING_DIR must share its
# filesystem so that publishing is a hard link.
check_dirs() {
  if [[ ! -d $DEST_DIR ]]; then
    problem "DEST_DIR $DEST_DIR does not exist (offsite storage not mounted?); nothing pulled"
    return 1
  fi
  local probe=$STAGING_DIR
  if (( DRY_RUN )); then
    [[ -d $probe ]] || probe=$(dirname -- "$STAGING_DIR")
  elif ! mkdir -p -- "$PARTIAL_DIR"; then
    problem "cannot create $PARTIAL_DIR; nothing pulled"
    return 1
  fi
  local dev_dest dev_stage
  if ! dev_dest=$(stat -c %d -- "$DEST_DIR") || ! dev_stage=$(stat -c %d -- "$probe"); then
    problem "cannot stat $DEST_DIR or $probe; nothing pulled"
    return 1
  fi
  if [[ $dev_dest != "$dev_stage" ]]; then
    problem "STAGING_DIR $STAGING_DIR is not on the filesystem of DEST_DIR $DEST_DIR; publishing must be an atomic rename; nothing pulled"
    return 1
  fi
}

run() {
  local ts name rc=0 todo=() sim_free=''
  PARTIAL_DIR=$STAGING_DIR/.partial
  setup_transport
  if check_dirs && list_remote; then
    local complete=()
    mapfile -t complete < <(candidates)
    for ts in "${complete[@]}"; do
      name=${ts#* }
      [[ -e $DEST_DIR/$name || -L $DEST_DIR/$name ]] && continue
      todo+=("$name")
    done
    log "peer $PEER_NAME serves ${#complete[@]} complete archive(s); ${#todo[@]} not yet here"
    if (( DRY_RUN )); then
      sim_free=$(free_bytes "$( [[ -d $STAGING_DIR ]] && echo "$STAGING_DIR" || echo "$DEST_DIR")") || sim_free=''
      for name in "${todo[@]}"; do
        local b
        b=$(newest_basis "$name")
        log "would pull $name (${REMOTE_SIZE[$name]} bytes${b:+, basis $b})"
        if [[ -n $sim_free ]]; then
          if (( sim_free < REMOTE_SIZE[$name] + FREE_SPACE_MARGIN_MB * 1048576 )); then
            problem "not enough space to pull $name from $PEER_NAME: archive is ${REMOTE_SIZE[$name]} bytes + margin $FREE_SPACE_MARGIN_MB MiB, but only $sim_free bytes would be free; pulling would stop here"
            break
          fi
          sim_free=$(( sim_free - REMOTE_SIZE[$name] ))
        fi
        [[ $name =~ $ARCHIVE_RE ]]
        PUBLISHED_GUEST["${BASH_REMATCH[1]} $(( 10#${BASH_REMATCH[2]} ))"]=1
      done
    else
      clean_staging "${todo[@]}"
      for name in "${todo[@]}"; do
        rc=0
        pull_one "$name" || rc=$?
        (( rc == 2 )) && break
      done
    fi
    prune
  fi
  staleness
}

main() {
  parse_args "$@"
  load_config
  apply_defaults
  validate_config

  STARTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  STARTED_MS=$(now_ms)
  acquire_lock
  trap on_exit EXIT
  trap 'LAST_ERR="line $LINENO: $BASH_COMMAND"' ERR
  trap 'on_signal TERM' TERM
  trap 'on_signal INT' INT
  trap 'on_signal HUP' HUP
  WORK=$(mktemp -d -t "$PROG.XXXXXX")
  run
  FINISHED=1
}

main "$@"
