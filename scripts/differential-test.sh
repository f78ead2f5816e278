#!/usr/bin/env bash
# Differential test: compares the fields of `leafwatch scan --records` with
# those of the apachelogs Python package on the access logs under
# Tests/Fixtures, and on a generated log when the generator is present.
#
#   scripts/differential-test.sh [BINARY]   (default .build/release/leafwatch)
#
# Needs .build/venv with apachelogs, which `scripts/deps.sh test` creates.
# Ends with the line `N passed, M failed` (files) and exits non-zero when a
# file differs.
set -euo pipefail

cd "$(dirname "$0")/.."
binary=${1:-.build/release/leafwatch}
python=.build/venv/bin/python

if [[ ! -x $python ]] || ! "$python" -c 'import apachelogs' 2>/dev/null; then
  echo "differential-test.sh: $python with apachelogs not found; run 'scripts/deps.sh test' first" >&2
  exit 2
fi
if [[ ! -x $binary ]]; then
  echo "differential-test.sh: leafwatch binary '$binary' not found; build it with 'swift build -c release'" >&2
  exit 2
fi

# Without the log generator at this path, the generated-log case is skipped.
exec "$python" scripts/differential_test.py \
  --binary "$binary" \
  --fixtures Tests/Fixtures \
  --genlog ../shared/bench/genlog.py
