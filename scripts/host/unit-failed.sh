#!/bin/sh
# retzien: mails the operators when one of retzien's units failed or could not
# run (that unit's OnFailure): the end of its log and, if given, a file of its
# results. A failed drill is a copy nobody could restore, a dead-man alarm a
# peer gone silent; either, unmailed, would wait for someone's next glance.
#   unit-failed.sh UNIT ADDRESS[,ADDRESS...] SUBJECT [FILE]
set -eu
unit=${1:?unit-failed.sh needs the unit that failed}
to=${2:?unit-failed.sh needs the operators addresses}
subject=${3:?unit-failed.sh needs a subject}
file=${4:-}
{
  printf 'To: %s\n' "$to"
  printf 'Subject: retzien: %s on %s\n\n' "$subject" "$(hostname)"
  journalctl -u "$unit" -n 60 --no-pager || true
  if [ -n "$file" ]; then
    printf '\n%s:\n' "$file"
    cat "$file" 2>/dev/null || printf 'none written\n'
  fi
} | sendmail -t
