#!/usr/bin/env bash
# Runs `leafwatch scan --json` on every case under Tests/Fixtures/golden and
# compares the `alerts` array of its output with the case's expected.json.
# Usage: scripts/golden-test.sh [BINARY]   (default .build/release/leafwatch)
#
# A case folder contains access.log and/or error.log (read in name order),
# leafwatch.conf, expected.json and optionally `args`: extra scan arguments,
# one per line.
set -uo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/release/leafwatch}")
work=$(mktemp -d "${TMPDIR:-/tmp}/leafwatch-golden-XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0
failed=0

for case in Tests/Fixtures/golden/*/; do
  case=${case%/}
  name=$(basename "$case")
  extra=()
  if [[ -f "$case/args" ]]; then
    while IFS= read -r argument; do
      [[ -n "$argument" ]] && extra+=("$argument")
    done <"$case/args"
  fi
  logs=("$case"/*.log)

  "$binary" scan --json --config "$case/leafwatch.conf" "${extra[@]}" "${logs[@]}" >"$work/out" 2>"$work/err"
  status=$?
  if [[ $status -ne 0 ]]; then
    failed=$((failed + 1))
    echo "FAIL $name: leafwatch exited with status $status"
    sed 's/^/  stderr: /' "$work/err" | head -5
    continue
  fi

  if python3 - "$case/expected.json" "$work/out" <<'PYTHON'; then
import difflib
import json
import sys

with open(sys.argv[1]) as file:
    expected = json.load(file)
with open(sys.argv[2]) as file:
    actual = json.load(file).get("alerts")
if actual == expected:
    sys.exit(0)

def lines(alerts):
    return json.dumps(alerts, indent=2, sort_keys=True).splitlines()

for line in difflib.unified_diff(lines(expected), lines(actual), "expected.json", "leafwatch alerts", lineterm=""):
    print("  " + line)
sys.exit(1)
PYTHON
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name: alerts differ from expected.json"
  fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
