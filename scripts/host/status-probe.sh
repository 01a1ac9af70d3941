#!/usr/bin/env bash
# retzien status probe: read-only facts from this host's Proxmox Backup Server,
# as one JSON document on stdout, for `npm run status` and the runbook (sent over
# ssh as `bash -s -- ARGS`, run as root). It only GETs the PBS API with the status
# token (DatastoreAudit, plus RemoteAudit so PBS lists the pull jobs: it can read
# no backup), and writes nothing but a temporary file for curl's error text.
#
#   --datastore NAME   the datastore (required)
#   --ns NAME          a namespace whose snapshots to list (repeatable)
#   --api URL          the PBS API, https only (default https://127.0.0.1:8007; PBS's own
#                      certificate names 127.0.0.1, localhost and the node)
#   --cacert FILE      the certificate the API must present (default PBS's own, /etc/proxmox-backup/proxy.pem)
#   --token-file FILE  the status token's secret (default /etc/retzien/pbs/status_pbs_probe.secret)
#   --token-id ID      (default status@pbs!probe)
#   --drill-results F  the restore drills' last results (default /var/lib/retzien/drill/results.json;
#                      absent until the first drill ran)
#   --watch-results F  the dead-man watch's last run (default /var/lib/retzien/watch/last.json;
#                      absent until its first run)
#   --postconf WHERE:PARAM  a Postfix parameter to read (repeatable): WHERE is `host`
#                      (this host's: its alarm path) or a guest's VMID (read with pct exec,
#                      running guests only: its smarthost, a relay's mynetworks)
#
# Output: {"now": <epoch s>, "responses": {"<api path>": <the API's JSON or null>},
#          "drills": <the drills' results file, or null>, "watch": <the watch's, or null>,
#          "mailQueue": [<postqueue -j's objects>] or null without postqueue,
#          "postconf": {"WHERE:PARAM": "<its value>" or null}, "errors": ["..."]}
# Exit 0 whenever that document is printed (what PBS did not answer is in
# "errors"); 2 on bad arguments.
set -euo pipefail
export LC_ALL=C

die() { printf 'status-probe: %s\n' "$*" >&2; exit 2; }

# Under a key restricted to this script (authorized_keys: restrict,command="<this
# script>", as `npm run bootstrap -- --status-key` prints), sshd runs it with the
# client's command in SSH_ORIGINAL_COMMAND: `npm run status` sends `bash -s -- ARGS`
# (the script on stdin, unread here). Only --datastore, --ns and --postconf are taken
# from it: no path and no API, so such a key reads nothing but what the defaults name
# and Postfix parameters (checked below to be a VMID and a parameter's name).
if (($# == 0)) && [[ -n ${SSH_ORIGINAL_COMMAND:-} ]]; then
  read -r -a words <<< "$SSH_ORIGINAL_COMMAND"
  [[ "${words[*]:0:3}" == "bash -s --" ]] && words=("${words[@]:3}")
  for ((i = 0; i < ${#words[@]}; i += 2)); do
    case ${words[i]} in
      --datastore | --ns | --postconf) set -- "$@" "${words[i]}" "${words[i + 1]:-}" ;;
      *) die "under a restricted key only --datastore, --ns and --postconf are taken: found '${words[i]}'" ;;
    esac
  done
fi

api=https://127.0.0.1:8007 cacert=/etc/proxmox-backup/proxy.pem
token_file=/etc/retzien/pbs/status_pbs_probe.secret token_id='status@pbs!probe'
drill_results=/var/lib/retzien/drill/results.json watch_results=/var/lib/retzien/watch/last.json
datastore='' namespaces=() postconfs=()
while (($#)); do
  case $1 in
    --datastore) datastore=${2:?--datastore needs a name}; shift 2 ;;
    --ns) namespaces+=("${2:?--ns needs a name}"); shift 2 ;;
    --api) api=${2:?--api needs a URL}; shift 2 ;;
    --cacert) cacert=${2:?--cacert needs a file}; shift 2 ;;
    --token-file) token_file=${2:?--token-file needs a file}; shift 2 ;;
    --token-id) token_id=${2:?--token-id needs an id}; shift 2 ;;
    --drill-results) drill_results=${2:?--drill-results needs a file}; shift 2 ;;
    --watch-results) watch_results=${2:?--watch-results needs a file}; shift 2 ;;
    --postconf) postconfs+=("${2:?--postconf needs WHERE:PARAM}"); shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[[ $datastore =~ ^[A-Za-z0-9_-]+$ ]] || die "--datastore: found '$datastore', expected a datastore name"
for ns in "${namespaces[@]}"; do
  [[ $ns =~ ^[A-Za-z0-9_-]+$ ]] || die "--ns: found '$ns', expected a namespace name"
done
for pc in "${postconfs[@]}"; do
  [[ $pc =~ ^(host|[1-9][0-9]{2,8}):[a-z][a-z0-9_]*$ ]] || die "--postconf: found '$pc', expected host:PARAM or VMID:PARAM (a Postfix parameter's name)"
done
# The token goes in a header: never over plain HTTP.
[[ $api =~ ^https://[^/[:space:]]+$ ]] || die "--api: found '$api', expected https://HOST:PORT"
[[ $token_id =~ ^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+![A-Za-z0-9._-]+$ ]] || die "--token-id: found '$token_id', expected user@realm!name"

errors=() secret=''
if [[ ! -r $token_file ]]; then
  errors+=("no status token at $token_file")
else
  secret=$(<"$token_file")
  # A PBS token secret is a UUID; anything else would also break curl's config line.
  if [[ ! $secret =~ ^[A-Za-z0-9-]+$ ]]; then
    errors+=("$token_file does not hold a token secret")
    secret=''
  fi
fi
[[ -r $cacert ]] || errors+=("no certificate to check PBS against at $cacert")

# A string as a JSON string: backslash and quote escaped, control characters
# (curl's messages may carry any) turned into spaces.
json_string() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//[[:cntrl:]]/ }
  printf '"%s"' "$s"
}

# GET one API path into $body: its JSON, or null with the reason in errors. The
# secret reaches curl through its config on stdin, never its command line (which
# ps shows to every user). TLS is checked against --cacert, never skipped.
get() {
  local path=$1 err
  body=null
  [[ -n $secret && -r $cacert ]] || return 0
  err=$(mktemp)
  if body=$(curl --silent --show-error --fail --proto =https --max-redirs 0 --max-time 20 --connect-timeout 5 \
    --cacert "$cacert" --config - "$api/api2/json$path" 2>"$err" \
    <<<"header = \"Authorization: PBSAPIToken=$token_id:$secret\""); then
    # PBS answers JSON objects; anything else (an empty body, a page from
    # something else on the port) would break the document: say so instead.
    if [[ $body != \{* ]]; then
      errors+=("GET $path: an answer that is not PBS's JSON (${#body} bytes)")
      body=null
    fi
  else
    errors+=("GET $path: $(tr '\n' ' ' <"$err")")
    body=null
  fi
  rm -f "$err"
}

paths=("/admin/datastore/$datastore/status" "/admin/sync" "/admin/prune" "/admin/verify" "/admin/gc/$datastore")
for ns in "${namespaces[@]}"; do paths+=("/admin/datastore/$datastore/snapshots?ns=$ns"); done

out='' sep=''
for path in "${paths[@]}"; do
  get "$path"
  out+="$sep$(json_string "$path"):$body"
  sep=','
done
# A results file as one of retzien's units writes it (one JSON object) into $json,
# or null before its first run.
results_of() {
  local file=$1 what=$2 content
  json=null
  [[ -e $file ]] || return 0
  content=$(<"$file") || content=''
  if [[ $content == \{* ]]; then json=$content; else errors+=("$file is not $what"); fi
}
results_of "$drill_results" "the drills' JSON"
drills=$json
results_of "$watch_results" "the dead-man watch's JSON"
watch=$json

# The host's own mail queue: the drills', the watch's and the failed units' alarms leave
# through this host's Postfix, and sendmail returns 0 once a mail is queued, so an alarm
# stuck here is seen nowhere else. postqueue -j (Postfix 3.1 and later, postqueue(1)): one
# JSON object per queued message. null when this host has no postqueue.
queue=null
if command -v postqueue >/dev/null 2>&1; then
  if lines=$(postqueue -j 2>/dev/null); then
    # An empty queue (a healthy host's) prints nothing, and grep then exits 1: not a failure.
    queue="[$( (grep '^{' <<<"$lines" || true) | paste -sd, -)]"
  else
    errors+=("postqueue -j failed: this host's mail queue is unknown")
  fi
fi

# The Postfix parameters asked for: the host's alarm path, a guest's smarthost or a
# relay's mynetworks, each compared by npm run status with what the spec compiles to.
# postconf -h prints the value alone (postconf(1)); a guest is read inside it.
settings='' sep=''
for pc in "${postconfs[@]}"; do
  where=${pc%%:*} param=${pc#*:} value=null
  if [[ $where == host ]]; then read_cmd=(postconf -h "$param"); else read_cmd=(pct exec "$where" -- postconf -h "$param"); fi
  if text=$("${read_cmd[@]}" 2>/dev/null); then value=$(json_string "$text"); else errors+=("${read_cmd[*]} failed: $pc is unknown"); fi
  settings+="$sep$(json_string "$pc"):$value"
  sep=','
done

errs='' sep=''
for e in "${errors[@]}"; do errs+="$sep$(json_string "$e")"; sep=','; done
printf '{"now":%s,"responses":{%s},"drills":%s,"watch":%s,"mailQueue":%s,"postconf":{%s},"errors":[%s]}\n' "$(date +%s)" "$out" "$drills" "$watch" "$queue" "$settings" "$errs"
