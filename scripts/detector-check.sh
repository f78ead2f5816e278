#!/usr/bin/env bash
# Checks the detectors against the ground truth of the generated 1M-line
# access log, measures peak memory with 1,000,000 distinct addresses, and
# compares the time of `scan --json` with and without `--no-alerts`.
# Usage: scripts/detector-check.sh [BINARY]   (default .build/release/leafwatch)
#
# Inputs are generated once into $LEAFWATCH_CHECK_DIR (default
# ${TMPDIR:-/tmp}/leafwatch-detector-check) and reused. The access log comes
# from ../shared/bench/genlog.py with its default seed; without ../shared
# the checks that need it are skipped. The exit status is non-zero only
# when a correctness check fails; the memory and time targets are reported.
set -uo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/release/leafwatch}")
work=${LEAFWATCH_CHECK_DIR:-${TMPDIR:-/tmp}/leafwatch-detector-check}
mkdir -p "$work"
generator=../shared/bench/genlog.py
failed=0

# The thresholds the ground truth is written for.
cat >"$work/thresholds.conf" <<'EOF'
[AuthFailuresPerIP]
Threshold=5
Window=10min
[ServerErrorBurst]
Threshold=20
Window=1min
[RequestFlood]
Threshold=300
Window=1min
EOF
# An empty file, so that /etc/leafwatch/leafwatch.conf cannot change the defaults.
: >"$work/defaults.conf"

# median FILE: prints the median of the numbers in FILE, one per line.
median() { sort -n "$1" | awk '{ value[NR] = $1 } END { print value[int((NR + 1) / 2)] }'; }

# --- Correctness on the generated log --------------------------------------

have_log=1
if [[ ! -f "$work/access.log" || ! -f "$work/truth.json" ]]; then
  if [[ -f "$generator" ]]; then
    echo "generating $work/access.log (1,000,000 lines)"
    python3 "$generator" -o "$work/access.log" --truth "$work/truth.json" || have_log=0
  else
    echo "SKIP generated-log checks: $generator not found"
    have_log=0
  fi
fi

if [[ $have_log -eq 1 ]]; then
  if "$binary" scan --json --config "$work/thresholds.conf" "$work/access.log" >"$work/alerts.json" 2>"$work/alerts.err"; then
    python3 - "$work/truth.json" "$work/alerts.json" <<'PYTHON' || failed=1
import datetime
import json
import sys

with open(sys.argv[1]) as file:
    truth = json.load(file)
with open(sys.argv[2]) as file:
    alerts = json.load(file)["alerts"]
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail and not ok else ""))
    if not ok:
        failures += 1


def keys(rule):
    return {alert["key"] for alert in alerts if alert["rule"] == rule}


def seconds(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


per_ip = keys("auth-failures-per-ip")
attackers = set(truth["attack_ips"])
check(f"per-IP alerts name exactly the {len(attackers)} attacker addresses", per_ip == attackers,
      f"missing {sorted(attackers - per_ip)}, extra {sorted(per_ip - attackers)}")

floods = keys("request-flood")
flooders = {entry[0] for entry in truth["flood_ips"]}
check(f"request-flood alerts name exactly the {len(flooders)} flooders", floods == flooders,
      f"missing {sorted(flooders - floods)}, extra {sorted(floods - flooders)}")

slow = truth["slow_bruteforce_ip"]
named = {alert["key"] for alert in alerts} | {alert.get("client") for alert in alerts}
check(f"no alert for the slow brute forcer {slow}", slow not in named)

bursts = sorted(seconds(entry[0]) for entry in truth["burst5xx_windows_utc"])
found = sorted(seconds(alert["firstSeen"]) for alert in alerts
               if alert["rule"] == "server-error-burst" and alert["key"] == "*")
check(f"{len(bursts)} server-wide 5xx episodes", len(found) == len(bursts),
      f"found {len(found)}: {[alert['firstSeen'] for alert in alerts if alert['rule'] == 'server-error-burst' and alert['key'] == '*']}")
if len(found) == len(bursts):
    offsets = [abs(start - burst) for start, burst in zip(found, bursts)]
    check("each 5xx episode starts within 60 s of a burst", all(offset <= 60 for offset in offsets),
          f"offsets in seconds: {offsets}")

print(f"alerts by rule: " + ", ".join(
    f"{rule} {sum(1 for alert in alerts if alert['rule'] == rule)}"
    for rule in sorted({alert['rule'] for alert in alerts})))
sys.exit(1 if failures else 0)
PYTHON
  else
    echo "FAIL scan of $work/access.log exited with an error"
    sed 's/^/  stderr: /' "$work/alerts.err" | head -5
    failed=1
  fi

  # --- Time with and without the detectors ---------------------------------
  : >"$work/wall-alerts"; : >"$work/wall-plain"; : >"$work/cpu-alerts"; : >"$work/cpu-plain"
  for run in 1 2 3 4 5 6 7; do
    for mode in alerts plain; do
      extra=()
      [[ $mode == plain ]] && extra=(--no-alerts)
      /usr/bin/time -f "%e %U %S" -o "$work/time" \
        "$binary" scan --json --config "$work/thresholds.conf" "${extra[@]}" "$work/access.log" >/dev/null 2>&1
      read -r wall user system <"$work/time"
      echo "$wall" >>"$work/wall-$mode"
      awk -v u="$user" -v s="$system" 'BEGIN { print u + s }' >>"$work/cpu-$mode"
    done
  done
  wall_alerts=$(median "$work/wall-alerts"); wall_plain=$(median "$work/wall-plain")
  cpu_alerts=$(median "$work/cpu-alerts"); cpu_plain=$(median "$work/cpu-plain")
  cpu_alerts=$(printf "%.2f" "$cpu_alerts"); cpu_plain=$(printf "%.2f" "$cpu_plain")
  wall_ratio=$(awk -v a="$wall_alerts" -v b="$wall_plain" 'BEGIN { printf "%.2f", a / b }')
  cpu_ratio=$(awk -v a="$cpu_alerts" -v b="$cpu_plain" 'BEGIN { printf "%.2f", a / b }')
  echo "time, median of 7: scan --json ${wall_alerts} s, with --no-alerts ${wall_plain} s: ratio ${wall_ratio} (CPU ${cpu_alerts} s / ${cpu_plain} s: ${cpu_ratio})"
  if awk -v r="$wall_ratio" 'BEGIN { exit !(r <= 1.5) }'; then
    echo "PASS time ratio ${wall_ratio} <= 1.5"
  else
    echo "FAIL time ratio ${wall_ratio} > 1.5 (reported only)"
  fi
fi

# --- Peak memory with 1,000,000 distinct addresses ---------------------------

distinct=$work/distinct-403.log
if [[ ! -f "$distinct" ]]; then
  echo "generating $distinct (1,000,000 addresses with one 403 each)"
  python3 - "$distinct" <<'PYTHON'
import sys
import time

months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
start = 1773100800  # 2026-03-10T00:00:00Z; 12 lines per second
with open(sys.argv[1], "w") as file:
    for index in range(1_000_000):
        number = (11 << 24) + index * 7
        address = "%d.%d.%d.%d" % (number >> 24, (number >> 16) & 255, (number >> 8) & 255, number & 255)
        t = time.gmtime(start + index // 12)
        file.write('%s - - [%02d/%s/%04d:%02d:%02d:%02d +0000] "GET /.env HTTP/1.1" 403 199 "-" "curl/8.5.0"\n' % (
            address, t.tm_mday, months[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min, t.tm_sec))
PYTHON
fi
for mode in alerts plain; do
  extra=()
  [[ $mode == plain ]] && extra=(--no-alerts)
  /usr/bin/time -f "%M %e" -o "$work/memory-$mode" \
    "$binary" scan --config "$work/defaults.conf" "${extra[@]}" "$distinct" >/dev/null 2>&1
done
read -r kilobytes seconds <"$work/memory-alerts"
read -r plain_kilobytes plain_seconds <"$work/memory-plain"
megabytes=$((kilobytes / 1024))
echo "peak RSS, 1,000,000 distinct addresses, default settings: ${megabytes} MB in ${seconds} s (with --no-alerts: $((plain_kilobytes / 1024)) MB in ${plain_seconds} s)"
if [[ $megabytes -lt 256 ]]; then
  echo "PASS peak RSS ${megabytes} MB < 256 MB"
else
  echo "FAIL peak RSS ${megabytes} MB >= 256 MB (reported only)"
fi

[[ $failed -eq 0 ]]
