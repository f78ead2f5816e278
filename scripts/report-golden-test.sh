#!/usr/bin/env bash
# Runs `leafwatch report --format json` over the fixture week in
# Tests/Fixtures/report-week and compares its output with expected.json.
# Usage: scripts/report-golden-test.sh [BINARY]   (default .build/release/leafwatch)
#
# The comparison is a subset check: every key of expected.json must be in the
# output with an equal value, arrays must have the same length and match
# element by element, and keys that expected.json lacks are not checked. The
# same week is requested with the period's bounds written three ways. A
# negative control then changes one expected value in memory and checks that
# the comparison reports it. Last, the September files, cut short in a copy,
# must not be read for the week but must be read for September.
# Prints one line per case and `N passed, M failed`; exits 1 on a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/release/leafwatch}")
fixture=Tests/Fixtures/report-week
work=$(mktemp -d "${TMPDIR:-/tmp}/leafwatch-report-golden-XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0
failed=0

# The copy gets the configuration with absolute paths and an empty state
# directory, so that no daemon.json adds an address history.
cp -r "$fixture" "$work/week"
week="$work/week"
mkdir "$week/state"
sed "s|@DIR@|$week|g" "$fixture/leafwatch.conf" >"$week/leafwatch.conf"

# Modification times as logrotate would leave them: each rotated file was last
# written when it was rotated. Numbered files are ordered by their number,
# so the times only make the copy look real.
touch -d '2026-10-01 04:00:00 UTC' "$week/access.log.3.gz" "$week/error.log.3.gz"
touch -d '2026-10-20 04:25:00 UTC' "$week/access.log.2.gz" "$week/error.log.2.gz"
touch -d '2026-10-23 04:25:00 UTC' "$week/access.log.1" "$week/error.log.1"
touch -d '2026-10-26 08:00:00 UTC' "$week/access.log" "$week/error.log"

# Prints the differences between expected.json (argument 1) and the report
# (argument 2) and exits 1 when there is one. With a third argument
# `change-one-value`, one expected value is changed first.
compare() {
  python3 - "$@" <<'PYTHON'
import json
import sys

with open(sys.argv[1]) as file:
    expected = json.load(file)
with open(sys.argv[2]) as file:
    actual = json.load(file)
if len(sys.argv) > 3 and sys.argv[3] == "change-one-value":
    expected["days"][3]["usersLoggedIn"] += 1

differences = []

def compare(path, want, got):
    if isinstance(want, dict):
        if not isinstance(got, dict):
            differences.append((path, want, got))
            return
        for key, value in want.items():
            if key not in got:
                differences.append((path + "." + key, value, "<missing>"))
            else:
                compare(path + "." + key, value, got[key])
    elif isinstance(want, list):
        if not isinstance(got, list) or len(want) != len(got):
            differences.append((path, want, got))
            return
        for index, (a, b) in enumerate(zip(want, got)):
            compare("%s[%d]" % (path, index), a, b)
    elif want != got or type(want) is not type(got):
        differences.append((path, want, got))

compare("$", expected, actual)
if not differences:
    sys.exit(0)

def show(value):
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 400 else text[:400] + " ..."

for path, want, got in differences[:10]:
    print("  %s" % path)
    print("    expected: %s" % show(want))
    print("    actual:   %s" % show(got))
if len(differences) > 10:
    print("  ... and %d more differences" % (len(differences) - 10))
sys.exit(1)
PYTHON
}

# Runs the report with the given bounds and compares it with expected.json.
run_case() {
  local name=$1
  shift
  "$binary" report --config "$week/leafwatch.conf" "$@" --format json --no-journal --host fixture.example \
    >"$work/$name.json" 2>"$work/$name.err"
  local status=$?
  if [[ $status -ne 0 ]]; then
    failed=$((failed + 1))
    echo "FAIL $name: leafwatch report exited with status $status"
    sed 's/^/  stderr: /' "$work/$name.err" | head -5
    return
  fi
  if [[ -s "$work/$name.err" ]]; then
    sed "s/^/  $name stderr: /" "$work/$name.err" | head -5
  fi
  if compare "$fixture/expected.json" "$work/$name.json" >"$work/$name.diff"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name: the report differs from expected.json"
    cat "$work/$name.diff"
  fi
}

run_case local-dates --since 2026-10-19 --until 2026-10-26
run_case utc-offsets --since 2026-10-19T00:00+02:00 --until 2026-10-26T00:00+01:00
run_case utc-times --since 2026-10-18T22:00:00Z --until 2026-10-25T23:00:00Z

# Negative control: a comparison that must fail, so the cases above can fail too.
if [[ -s "$work/local-dates.json" ]]; then
  compare "$fixture/expected.json" "$work/local-dates.json" change-one-value >"$work/control.out"
  status=$?
  if [[ $status -eq 1 ]] && grep -q 'days\[3\].usersLoggedIn' "$work/control.out"; then
    passed=$((passed + 1))
    echo "ok   negative-control: a changed usersLoggedIn is reported"
  else
    failed=$((failed + 1))
    echo "FAIL negative-control: the comparison did not report the changed usersLoggedIn (status $status)"
    sed 's/^/  /' "$work/control.out" | head -10
  fi
else
  failed=$((failed + 1))
  echo "FAIL negative-control: no report output to compare"
fi

# The September files lie outside both periods and must be skipped after the
# check of their first lines. Cutting the gzip trailer off a copy makes
# reading them to the end fail visibly, so the week's report must not
# mention them, while a report on September must.
truncated="$work/truncated"
cp -r "$week" "$truncated"
sed "s|$week|$truncated|g" "$week/leafwatch.conf" >"$truncated/leafwatch.conf"
for file in "$truncated/access.log.3.gz" "$truncated/error.log.3.gz"; do
  size=$(stat -c %s "$file")
  truncate -s $((size - 8)) "$file"
done

# Prints the report's sentences about unreadable sources that name a .3.gz file.
september_problems() {
  python3 -c '
import json, sys
with open(sys.argv[1]) as file:
    report = json.load(file)
for sentence in report.get("dataQuality", {}).get("sourceProblems", []):
    if ".3.gz" in sentence:
        print(sentence)
' "$1"
}

for bounds in "week 2026-10-19 2026-10-26" "september 2026-09-07 2026-09-10"; do
  read -r name since until <<<"$bounds"
  "$binary" report --config "$truncated/leafwatch.conf" --since "$since" --until "$until" --format json --no-journal \
    --host fixture.example >"$work/skip-$name.json" 2>"$work/skip-$name.err"
  status=$?
  mentions=$( (september_problems "$work/skip-$name.json"; grep '\.3\.gz' "$work/skip-$name.err") | wc -l)
  if [[ $status -ne 0 ]]; then
    failed=$((failed + 1))
    echo "FAIL skip-$name: leafwatch report exited with status $status"
    sed 's/^/  stderr: /' "$work/skip-$name.err" | head -5
  elif [[ $name == week && $mentions -ne 0 ]]; then
    failed=$((failed + 1))
    echo "FAIL skip-week: the September files were read for the October week"
    september_problems "$work/skip-week.json" | sed 's/^/  /'
  elif [[ $name == september && $mentions -eq 0 ]]; then
    failed=$((failed + 1))
    echo "FAIL skip-september: the cut September files were read without a problem, so skip-week proves nothing"
  else
    passed=$((passed + 1))
    echo "ok   skip-$name: $mentions mentions of the cut September files"
  fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
