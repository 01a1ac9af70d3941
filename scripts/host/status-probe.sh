#!/usr/bin/env bash
# retzien status probe: read-only facts from this host's Proxmox Backup Server,
# as one JSON document on stdout, for `npm run status` and the runbook (sent over
# ssh as `bash -s -- ARGS`). It only GETs the PBS API with the status token
# (role DatastoreAudit: it can read no backup), and writes nothing.
#
#   --datastore NAME   the datastore (required)
#   --ns NAME          a namespace whose snapshots to list (repeatable)
#   --api URL          the PBS API (default https://localhost:8007)
#   --cacert FILE      the certificate the API must present (default PBS's own, /etc/proxmox-backup/proxy.pem)
#   --token-file FILE  the status token's secret (default /etc/retzien/pbs/status_pbs_probe.secret)
#   --token-id ID      (default status@pbs!probe)
#
# Output: {"now": <epoch s>, "responses": {"<api path>": <the API's JSON or null>}, "errors": ["..."]}
set -euo pipefail
export LC_ALL=C

die() { printf 'status-probe: %s\n' "$*" >&2; exit 2; }

api=https://localhost:8007 cacert=/etc/proxmox-backup/proxy.pem
token_file=/etc/retzien/pbs/status_pbs_probe.secret token_id='status@pbs!probe'
datastore='' namespaces=()
while (($#)); do
  case $1 in
    --datastore) datastore=${2:?--datastore needs a name}; shift 2 ;;
    --ns) namespaces+=("${2:?--ns needs a name}"); shift 2 ;;
    --api) api=${2:?--api needs a URL}; shift 2 ;;
    --cacert) cacert=${2:?--cacert needs a file}; shift 2 ;;
    --token-file) token_file=${2:?--token-file needs a file}; shift 2 ;;
    --token-id) token_id=${2:?--token-id needs an id}; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[[ $datastore =~ ^[A-Za-z0-9_-]+$ ]] || die "--datastore: found '$datastore', expected a datastore name"

errors=() secret=''
if [[ -r $token_file ]]; then secret=$(<"$token_file"); else errors+=("no status token at $token_file"); fi

# A string as a JSON string: backslashes, quotes and control characters escaped.
json_string() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/ }
  s=${s//$'\t'/ }
  printf '"%s"' "$s"
}

# GET one API path into $body: its JSON, or null with the reason in errors. The
# secret reaches curl through its config on stdin, never its command line (which
# ps shows to every user).
get() {
  local path=$1 err
  body=null
  [[ -n $secret ]] || return 0
  err=$(mktemp)
  if body=$(curl --silent --show-error --fail --max-time 20 --connect-timeout 5 --cacert "$cacert" --config - \
    "$api/api2/json$path" 2>"$err" <<<"header = \"Authorization: PBSAPIToken=$token_id:$secret\""); then
    [[ -n $body ]] || body=null
  else
    errors+=("GET $path: $(tr '\n' ' ' <"$err")")
    body=null
  fi
  rm -f "$err"
}

paths=("/admin/datastore/$datastore/status" "/admin/sync" "/admin/prune" "/admin/verify" "/admin/gc/$datastore")
for ns in "${namespaces[@]}"; do
  [[ $ns =~ ^[A-Za-z0-9_-]+$ ]] || die "--ns: found '$ns', expected a namespace name"
  paths+=("/admin/datastore/$datastore/snapshots?ns=$ns")
done

out='' sep=''
for path in "${paths[@]}"; do
  get "$path"
  out+="$sep$(json_string "$path"):$body"
  sep=','
done
errs='' sep=''
for e in "${errors[@]}"; do errs+="$sep$(json_string "$e")"; sep=','; done
printf '{"now":%s,"responses":{%s},"errors":[%s]}\n' "$(date +%s)" "$out" "$errs"
