#!/usr/bin/env bash
# Rates a unit file's sandboxing with 'systemd-analyze security --offline=true'
# and fails when the exposure is above a threshold.
#
#   scripts/unit-security.sh [UNIT_FILE] [MAX_EXPOSURE]
#
# UNIT_FILE defaults to systemd/leafwatch.service and MAX_EXPOSURE to 2.0.
# The exposure runs from 0.0 (most restricted) to 10.0. The script prints
# systemd-analyze's whole table, then one line with the score and the
# verdict. Exit status: 0 at or below the threshold, 1 above it, 2 when the
# score cannot be computed. --offline needs systemd 250 or later.
set -euo pipefail

unit=${1:-systemd/leafwatch.service}
threshold=${2:-2.0}

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "unit-security.sh: systemd-analyze not found; install the package 'systemd' (apt-get install systemd)" >&2
  exit 2
fi
if [[ ! -f $unit ]]; then
  echo "unit-security.sh: unit file '$unit' not found" >&2
  exit 2
fi
if ! [[ $threshold =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
  echo "unit-security.sh: invalid threshold '$threshold'; expected a number such as 2.0" >&2
  exit 2
fi

status=0
output=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1) || status=$?
printf '%s\n' "$output"
if ((status != 0)); then
  echo "unit-security.sh: systemd-analyze failed with status $status on '$unit'" >&2
  exit 2
fi

# The last line reads "→ Overall exposure level for NAME.service: 0.4 SAFE 😀".
score=$(printf '%s\n' "$output" | sed -n 's/.*Overall exposure level for .*: \([0-9][0-9]*\.[0-9]\).*/\1/p' | tail -n 1)
if [[ -z $score ]]; then
  echo "unit-security.sh: no exposure level in the output of systemd-analyze for '$unit'" >&2
  exit 2
fi

if awk -v score="$score" -v limit="$threshold" 'BEGIN { exit !(score <= limit) }'; then
  echo "unit-security.sh: $unit exposure $score, at or below $threshold: pass"
else
  echo "unit-security.sh: $unit exposure $score, above $threshold: fail" >&2
  exit 1
fi
