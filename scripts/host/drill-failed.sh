#!/bin/sh
# retzien: mails the operators when a restore drill failed or did not run (the
# drill unit's OnFailure): the end of its log and its results. A failed drill is
# a copy nobody could restore; a silent one would wait for the next glance.
#   drill-failed.sh ADDRESS[,ADDRESS...] [RESULTS_FILE]
set -eu
to=${1:?drill-failed.sh needs the operators addresses}
results=${2:-/var/lib/retzien/drill/results.json}
{
  printf 'To: %s\n' "$to"
  printf 'Subject: retzien: restore drill FAILED on %s\n\n' "$(hostname)"
  journalctl -u retzien-restore-drill.service -n 60 --no-pager || true
  printf '\nResults (%s):\n' "$results"
  cat "$results" 2>/dev/null || printf 'none written\n'
} | sendmail -t
