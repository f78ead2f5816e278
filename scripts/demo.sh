#!/usr/bin/env bash
# Runs the daemon on the bundled sample: `leafwatch run` follows two empty
# log files while this script writes the sample's lines into them in time
# order, as Apache would, and the alerts appear on standard error as the
# lines arrive. Then `leafwatch report` sums up the sample's day. Nothing
# outside a temporary directory is touched.
#
# Usage: scripts/demo.sh BINARY
set -euo pipefail

binary=${1:?usage: scripts/demo.sh BINARY}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/leafwatch-demo.XXXXXX)
daemon=""
cleanup() {
    if [[ -n $daemon ]] && kill -0 "$daemon" 2>/dev/null; then kill -TERM "$daemon"; wait "$daemon" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/logs" "$work/state"
: >"$work/logs/access.log"
: >"$work/logs/error.log"
cat >"$work/leafwatch.conf" <<EOF
[Input]
AccessLog=$work/logs/access.log
ErrorLog=$work/logs/error.log
# The sample's error log has no UTC offset; its server ran at UTC+01:00.
TimeZone=Europe/Berlin
StartAt=beginning

[Report]
TimeZone=Europe/Berlin

[State]
Directory=$work/state
EOF

echo "== leafwatch run --config $work/leafwatch.conf --log-target stderr"
"$binary" run --config "$work/leafwatch.conf" --log-target stderr &
daemon=$!
sleep 0.5

# Every sample line with its time of day, in time order. All lines are from
# one day, so the clock time orders them.
{
    awk 'match($0, /:[0-9][0-9]:[0-9][0-9]:[0-9][0-9] /) { print substr($0, RSTART + 1, 8) "\taccess\t" $0 }' \
        "$root/samples/access.log"
    awk 'match($0, / [0-9][0-9]:[0-9][0-9]:[0-9][0-9]/) { print substr($0, RSTART + 1, 8) "\terror\t" $0 }' \
        "$root/samples/error.log"
} | sort -s -t "$(printf '\t')" -k1,1 >"$work/lines"

while IFS=$'\t' read -r _ kind line; do
    printf '%s\n' "$line" >>"$work/logs/$kind.log"
    sleep 0.01
done <"$work/lines"

# Episodes still open now close only after their window plus MaxLateness=
# without events; the daemon saves them in its state when it stops.
sleep 2
kill -TERM "$daemon"
wait "$daemon"
daemon=""
echo "== the daemon stopped; under systemd these lines go to the journal (journalctl -t leafwatch)"

# The report of the sample's day. The alerts above went to standard error,
# not to the journal, so the report leaves them out and marks them as not read.
echo "== leafwatch report --config $work/leafwatch.conf --since 2026-12-03 --until 2026-12-04 --no-journal"
"$binary" report --config "$work/leafwatch.conf" --since 2026-12-03 --until 2026-12-04 --no-journal --host demo
