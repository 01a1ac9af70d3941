#!/bin/sh
# retzien: tells the operators that one of retzien's units failed or could not
# run (that unit's OnFailure): the end of its log and, if given, a file of its
# results, by mail, and pushed to their Gotify server when the host has one. A
# failed drill is a copy nobody could restore, a dead-man alarm a peer gone
# silent; either, untold, would wait for someone's next glance. The push matters
# when the association's own mail is at the site that is down.
#   unit-failed.sh UNIT ADDRESS[,ADDRESS...] SUBJECT [FILE]
# The Gotify server and token are read from RETZIEN_GOTIFY_FILE (default
# /etc/retzien/notify/gotify: the server's URL, then the token, one a line).
# Exit 0 when the mail and any push went out, 1 when one of them failed.
set -eu
unit=${1:?unit-failed.sh needs the unit that failed}
to=${2:?unit-failed.sh needs the operators addresses}
subject=${3:?unit-failed.sh needs a subject}
file=${4:-}
gotify_file=${RETZIEN_GOTIFY_FILE:-/etc/retzien/notify/gotify}
title="retzien: $subject on $(hostname)"
body=$(
  journalctl -u "$unit" -n 60 --no-pager || true
  if [ -n "$file" ]; then
    printf '\n%s:\n' "$file"
    cat "$file" 2>/dev/null || printf 'none written\n'
  fi
)
failed=0
printf 'To: %s\nSubject: %s\n\n%s\n' "$to" "$title" "$body" | sendmail -t || failed=1
if [ -r "$gotify_file" ]; then
  server=$(sed -n 1p "$gotify_file")
  token=$(sed -n 2p "$gotify_file")
  # The token goes in a header through curl's config on stdin, never on its command line.
  printf 'header = "X-Gotify-Key: %s"\n' "$token" |
    curl --silent --show-error --fail --proto =https --max-time 30 --config - \
      --form-string "title=$title" --form-string "message=$body" --form-string priority=8 \
      "${server%/}/message" > /dev/null || failed=1
fi
exit "$failed"
