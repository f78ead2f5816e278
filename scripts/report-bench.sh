#!/usr/bin/env bash
# Times `leafwatch report` on a generated week of 1,000,000 access-log lines
# and its error log, stored as logrotate leaves them: `access.log.2.gz`,
# `access.log.1`, `access.log`, and the same for error.log. `wc -l`,
# `leafwatch scan --json` and goaccess run over the same files for
# comparison. The script then checks the report's counts against the
# generator's ground truth.
#
#   scripts/report-bench.sh BINARY
#
# Environment:
#   LEAFWATCH_BENCH_DIR      work folder (default .build/report-bench in the repository);
#                            the generated week there is reused on the next run
#   LEAFWATCH_GENLOG         path of genlog.py (default ../shared/bench/genlog.py
#                            relative to the repository root)
#   LEAFWATCH_BENCH_RUNS     timed runs per command (default 10)
#   LEAFWATCH_GOACCESS_RUNS  timed runs of goaccess (default 1, as one takes about 20 s;
#                            0 leaves goaccess out)
#
# Exit status: 0 when every command ran and the report's counts are correct,
# even if the 2 s target fails, and also when genlog.py is missing (the
# benchmark is skipped). 1 when a command failed or a count differs, 2 when
# a tool is missing, and 64 for a usage error.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: scripts/report-bench.sh BINARY   (for example .build/release/leafwatch)" >&2
  exit 64
fi
binary=$(realpath "$1")
if [[ ! -x $binary ]]; then
  echo "report-bench.sh: leafwatch binary '$1' not found or not executable; build it with 'swift build -c release'" >&2
  exit 2
fi

repo_root=$(cd "$(dirname "$0")/.." && pwd)
work_dir=${LEAFWATCH_BENCH_DIR:-$repo_root/.build/report-bench}
genlog=${LEAFWATCH_GENLOG:-$repo_root/../shared/bench/genlog.py}
runs=${LEAFWATCH_BENCH_RUNS:-10}
goaccess_runs=${LEAFWATCH_GOACCESS_RUNS:-1}

for tool in hyperfine goaccess python3 zcat gzip; do
  if ! command -v "$tool" >/dev/null; then
    echo "report-bench.sh: $tool not found; install it with 'scripts/deps.sh bench'" >&2
    exit 2
  fi
done
# The shell keyword `time` cannot report peak RSS, so GNU time is called by path.
if [[ ! -x /usr/bin/time ]]; then
  echo "report-bench.sh: GNU time (/usr/bin/time) not found; install it with 'scripts/deps.sh bench'" >&2
  exit 2
fi

mkdir -p "$work_dir"
work_dir=$(cd "$work_dir" && pwd)
logs=$work_dir/logs

# The generated week: 7 days from Monday 2024-03-04 00:00 UTC, the
# generator's default start, so the report's period is that week in UTC.
week_start_epoch=1709510400
since=2024-03-04
until=2024-03-11

# --- Input -------------------------------------------------------------------

rotated_files=(access.log.2.gz access.log.1 access.log error.log.2.gz error.log.1 error.log)
have_input=1
for name in "${rotated_files[@]}" truth.json; do
  [[ -f $logs/$name ]] || have_input=0
done

if ((!have_input)); then
  if [[ ! -f $genlog ]]; then
    echo "SKIP: report-bench.sh: the log generator genlog.py was not found at $genlog;" \
      "set LEAFWATCH_GENLOG=/path/to/genlog.py to run the benchmark" >&2
    exit 0
  fi
  echo "Generating the week with $genlog (default seed, 1,000,000 lines, 7 days) ..."
  # Files are written to a temporary folder and moved into place when
  # complete, so an interrupted run never leaves a partial input to reuse.
  partial=$work_dir/partial
  rm -rf "$partial" "$logs"
  mkdir -p "$partial"
  python3 "$genlog" --lines 1000000 --days 7 --start "$week_start_epoch" --alt-offset +0200 \
    -o "$partial/generated-access.log" --error-log "$partial/generated-error.log" \
    --truth "$partial/truth.json"

  # Split each log at 2024-03-07 00:00 and 2024-03-09 00:00 UTC, as
  # logrotate with `delaycompress` leaves it: the oldest part compressed,
  # the middle one as `.1`, the current one growing.
  # The access log's times carry their UTC offset. The error log's do not,
  # and the generator writes them in the offset of the access log's
  # alternate span (truth.json's alt_offset_window_utc) and in UTC
  # elsewhere. So an error-log cut is the first line whose wall-clock time
  # reaches the cut's wall-clock time in the offset in force then.
  # NOTE: this is exact only while no cut lies within the offset's size of
  # the span's ends, which is true for the default span (2024-03-07 03:36
  # to 2024-03-08 13:12 UTC) and these cuts.
  python3 - "$partial" "$week_start_epoch" <<'PY'
import calendar
import json
import re
import sys

folder, week_start = sys.argv[1], int(sys.argv[2])
cuts = [week_start + 3 * 86400, week_start + 5 * 86400]
with open(f"{folder}/truth.json") as f:
    # For example ["2024-03-07T03:36:00Z", "2024-03-08T13:12:00Z", "+0200"].
    window = json.load(f)["alt_offset_window_utc"]
alternate_start, alternate_end = (calendar.timegm(tuple(int(n) for n in re.split(r"[-T:Z]", time)[:6]))
                                  for time in window[:2])
sign, hours, minutes = window[2][0], int(window[2][1:3]), int(window[2][3:5])
alternate_offset = (hours * 3600 + minutes * 60) * (1 if sign == "+" else -1)
months = {name: number for number, name in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
access_time = re.compile(rb"\[(\d\d)/(\w\w\w)/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\]")
error_time = re.compile(rb"^\[\w\w\w (\w\w\w) (\d\d) (\d\d):(\d\d):(\d\d)\.\d+ (\d{4})\]")


def access_instant(line):
    m = access_time.search(line)
    day, month, year, hour, minute, second, sign, offset_hours, offset_minutes = m.groups()
    wall = calendar.timegm((int(year), months[month.decode()], int(day), int(hour), int(minute), int(second)))
    offset = (int(offset_hours) * 3600 + int(offset_minutes) * 60) * (1 if sign == b"+" else -1)
    return wall - offset


def error_wall_clock(line):
    m = error_time.match(line)
    month, day, hour, minute, second, year = m.groups()
    return calendar.timegm((int(year), months[month.decode()], int(day), int(hour), int(minute), int(second)))


def split(source, names, key, limits):
    """Write the lines of source to names in turn, moving to the next name at
    the first line whose key reaches the next limit."""
    outputs = [open(f"{folder}/{name}", "wb") for name in names]
    part = 0
    with open(f"{folder}/{source}", "rb") as f:
        for line in f:
            while part < len(limits) and key(line) >= limits[part]:
                part += 1
            outputs[part].write(line)
    for output in outputs:
        output.close()


def wall_clock_limit(instant):
    in_alternate_span = alternate_start <= instant < alternate_end
    return instant + (alternate_offset if in_alternate_span else 0)


split("generated-access.log", ["access.log.2", "access.log.1", "access.log"], access_instant, cuts)
split("generated-error.log", ["error.log.2", "error.log.1", "error.log"], error_wall_clock,
      [wall_clock_limit(cut) for cut in cuts])
PY
  gzip -n "$partial/access.log.2" "$partial/error.log.2"
  rm "$partial/generated-access.log" "$partial/generated-error.log"
  mv "$partial" "$logs"
  echo
fi

access_files=("$logs/access.log.2.gz" "$logs/access.log.1" "$logs/access.log")
error_files=("$logs/error.log.2.gz" "$logs/error.log.1" "$logs/error.log")
all_files=("${access_files[@]}" "${error_files[@]}")

# A configuration that reads the rotated logs as the report would on a
# server, with both time zones UTC so the period is the generated week.
# The state directory stays empty: no address history, no ledger.
config=$work_dir/leafwatch.conf
mkdir -p "$work_dir/state"
cat > "$config" <<EOF
[Input]
AccessLog=$logs/access.log
ErrorLog=$logs/error.log
TimeZone=UTC

[Report]
TimeZone=UTC

[State]
Directory=$work_dir/state
EOF

# --- Machine -----------------------------------------------------------------

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
memory_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
os_name=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || echo unknown)

echo "# leafwatch report benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- machine: $(nproc) CPUs ($cpu_model), $memory_total memory, $os_name, $(uname -sr)"
load_start=$(cut -d ' ' -f 1-3 /proc/loadavg)
echo "- load average at start: $load_start"
echo "- leafwatch: $("$binary" --version 2>&1 | head -n 1) ($binary)"
# "-dirty" means the working tree had uncommitted changes; the binary may
# also predate them if it was not rebuilt.
echo "- source: $(git -C "$repo_root" describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
echo "- $(hyperfine --version), $(goaccess --version 2>&1 | head -n 1)"

access_lines=0
for file in "${access_files[@]}"; do
  access_lines=$((access_lines + $(zcat -f "$file" | wc -l)))
done
error_lines=0
for file in "${error_files[@]}"; do
  error_lines=$((error_lines + $(zcat -f "$file" | wc -l)))
done
input_bytes=$(du -cb "${all_files[@]}" | tail -n 1 | cut -f 1)
echo "- input: $logs: $access_lines access-log lines and $error_lines error-log lines in" \
  "${#all_files[@]} files, $input_bytes bytes ($(cd "$logs" && stat -c '%n %s' "${rotated_files[@]}" | paste -sd ','))"
echo "- period: --since $since --until $until, [Report] TimeZone=UTC"
echo "- runs: $runs after 1 warm-up run (goaccess: $goaccess_runs, no warm-up); the files are in the page cache"
echo

# --- Commands ----------------------------------------------------------------

q() { printf '%q' "$1"; }
quoted_files() { local file; for file in "$@"; do printf '%q ' "$file"; done; }

report_arguments="report --config $(q "$config") --no-journal --host bench --since $since --until $until"
json_out=$work_dir/report.json
html_out=$work_dir/report.html

# Every command writes its output to a file, because tools that detect
# /dev/null as their output may stop early and so time less than the work.
json_cmd="$(q "$binary") $report_arguments --format json > $(q "$json_out")"
html_cmd="$(q "$binary") $report_arguments --format html > $(q "$html_out")"
wc_cmd="{ zcat $(quoted_files "$logs/access.log.2.gz" "$logs/error.log.2.gz"); cat $(quoted_files \
  "$logs/access.log.1" "$logs/access.log" "$logs/error.log.1" "$logs/error.log"); } | wc -l > $(q "$work_dir/wc.txt")"
scan_cmd="$(q "$binary") scan --json --time-zone UTC $(quoted_files "${all_files[@]}")> $(q "$work_dir/scan.json")"
count_cmd="$(q "$binary") scan --json --no-alerts --time-zone UTC $(quoted_files "${all_files[@]}")> $(q "$work_dir/scan-no-alerts.json")"
# goaccess analyses access logs only. Debian's goaccess 1.7 cannot read a
# gzip file, so the oldest part comes through a pipe as `-`.
goaccess_cmd="zcat $(q "$logs/access.log.2.gz") | goaccess - $(quoted_files "$logs/access.log.1" "$logs/access.log")\
--log-format=COMBINED -o $(q "$work_dir/goaccess.json")"

tool_failed=0

echo "Timing leafwatch report, wc -l and leafwatch scan with hyperfine ..."
if ! hyperfine --warmup 1 --runs "$runs" --export-json "$work_dir/hyperfine.json" --style basic --shell bash \
  --command-name "leafwatch report --format json" "$json_cmd" \
  --command-name "leafwatch report --format html" "$html_cmd" \
  --command-name "wc -l" "$wc_cmd" \
  --command-name "leafwatch scan --json --no-alerts" "$count_cmd" \
  --command-name "leafwatch scan --json" "$scan_cmd"; then
  echo "report-bench.sh: hyperfine failed: a command exited non-zero (see above)" >&2
  tool_failed=1
fi
echo

rm -f "$work_dir/hyperfine-goaccess.json"
if ((goaccess_runs > 0)); then
  echo "Timing goaccess with hyperfine (runs: $goaccess_runs) ..."
  if ! hyperfine --warmup 0 --runs "$goaccess_runs" --export-json "$work_dir/hyperfine-goaccess.json" --style basic \
    --shell bash --command-name "goaccess" "$goaccess_cmd"; then
    echo "report-bench.sh: hyperfine failed on goaccess (see above)" >&2
    tool_failed=1
  fi
  echo
fi

# Peak resident set size of one run of each, in KiB, from GNU time's %M.
measure_rss() {
  local name=$1 command=$2
  if ! /usr/bin/time -f %M -o "$work_dir/rss-$name.txt" bash -c "$command" >"$work_dir/rss-$name.log" 2>&1; then
    echo "report-bench.sh: '$command' failed while measuring peak RSS; see $work_dir/rss-$name.log" >&2
    tool_failed=1
  fi
}
echo "Measuring peak RSS with GNU time ..."
measure_rss report-json "exec $json_cmd"
measure_rss report-html "exec $html_cmd"
# The pipeline's largest process is reported, as GNU time gives the maximum
# over the shell's waited-for children.
measure_rss wc "$wc_cmd"
measure_rss scan-no-alerts "exec $count_cmd"
measure_rss scan "exec $scan_cmd"
if ((goaccess_runs > 0)); then
  measure_rss goaccess "$goaccess_cmd"
fi
echo
load_end=$(cut -d ' ' -f 1-3 /proc/loadavg)

if ((tool_failed)); then
  echo "report-bench.sh: a command failed, so no table is printed" >&2
  exit 1
fi

# --- Table, target and correctness -------------------------------------------

python3 - "$work_dir" "$access_lines" "$error_lines" "$load_start" "$load_end" <<'PY'
import json
import sys

work_dir = sys.argv[1]
access_lines, error_lines = int(sys.argv[2]), int(sys.argv[3])
load_start, load_end = sys.argv[4], sys.argv[5]
all_lines = access_lines + error_lines

results = {}
for export in ("hyperfine.json", "hyperfine-goaccess.json"):
    try:
        with open(f"{work_dir}/{export}") as f:
            for result in json.load(f)["results"]:
                results[result["command"]] = result
    except FileNotFoundError:
        pass  # goaccess is not timed when LEAFWATCH_GOACCESS_RUNS is 0.

rows = [  # (command name, RSS file stem, lines it reads)
    ("leafwatch report --format json", "report-json", all_lines),
    ("leafwatch report --format html", "report-html", all_lines),
    ("wc -l", "wc", all_lines),
    ("leafwatch scan --json --no-alerts", "scan-no-alerts", all_lines),
    ("leafwatch scan --json", "scan", all_lines),
    ("goaccess", "goaccess", access_lines),
]


def peak_rss_mib(stem):
    # GNU time can write a status line before %M when the command fails, so
    # the number is the last line.
    with open(f"{work_dir}/rss-{stem}.txt") as f:
        return int(f.read().split()[-1]) / 1024


def cpu_seconds(name):
    return results[name]["user"] + results[name]["system"]


def rate(lines, seconds):
    per_second = lines / seconds
    return f"{per_second / 1e6:.2f}M" if per_second >= 1e6 else f"{per_second / 1e3:.0f}k"


target = 2.0
header = ["command", "runs", "median s", "CPU s", "lines/s", "peak RSS MiB", "report under 2 s"]
table = []
for name, stem, lines in rows:
    if name not in results:
        continue
    seconds = results[name]["median"]
    verdict = ""
    if name.startswith("leafwatch report"):
        verdict = "PASS" if seconds < target else "FAIL"
    table.append([name, str(len(results[name]["times"])), f"{seconds:.3f}", f"{cpu_seconds(name):.3f}",
                  rate(lines, seconds), f"{peak_rss_mib(stem):.1f}", verdict])

widths = [max(len(row[i]) for row in [header] + table) for i in range(len(header))]
left = {0, 6}


def format_row(cells):
    return "| " + " | ".join(c.ljust(w) if i in left else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))) + " |"


print("## Results")
print()
print(format_row(header))
print("|" + "|".join((":" + "-" * (w + 1)) if i in left else ("-" * (w + 1) + ":")
                     for i, w in enumerate(widths)) + "|")
for row in table:
    print(format_row(row))
print()
print(f"lines/s is the {all_lines:,} lines of all six files ({access_lines:,} access, {error_lines:,} error)"
      " divided by the median; goaccess reads the three access logs only. CPU s is the mean user plus"
      " system time. Peak RSS comes from one separate run under GNU time (%M).")
print(f"Load average (1, 5, 15 min): {load_start} before the runs, {load_end} after them.")
if float(load_start.split()[0]) > 1.5:
    print(f"NOTE: the 1-minute load average was {load_start.split()[0]} at the start, so other processes"
          " competed for the CPUs and wall-clock times are inflated; re-run on an idle machine.")
print()

failures = 0
print("## Correctness")
print()
with open(f"{work_dir}/report.json") as f:
    report = json.load(f)
with open(f"{work_dir}/logs/truth.json") as f:
    truth = json.load(f)

expected_classes = {}
for code, count in truth["status"].items():
    name = f"{code[0]}xx"
    expected_classes[name] = expected_classes.get(name, 0) + count
actual_classes = {entry["class"]: entry["count"] for entry in report["statusClasses"]}


def check(condition, text):
    global failures
    failures += not condition
    print(f"- {'PASS' if condition else 'FAIL'}: {text}")


check(report["requests"] == truth["lines"],
      f"the report's requests equal the generated lines ({report['requests']:,} against {truth['lines']:,})")
differing = sorted(name for name in set(expected_classes) | set(actual_classes)
                   if expected_classes.get(name, 0) != actual_classes.get(name, 0))
check(not differing, f"the report's status classes equal truth.json's status counts by class"
      f" ({', '.join(f'{n} {actual_classes.get(n, 0):,}' for n in sorted(actual_classes))}"
      f"{'; differing: ' + ', '.join(differing) if differing else ''})")
day_total = sum(day["requests"] for day in report["days"])
check(len(report["days"]) == 7 and day_total == report["requests"],
      f"7 days whose requests add up to the total ({len(report['days'])} days, {day_total:,} requests)")
check_in = [day["date"] for day in report["days"] if day["isCheckInDay"]]
check(check_in == ["2024-03-07"], f"the check-in day is Thursday 2024-03-07 ({', '.join(check_in) or 'none'})")
quality = report["dataQuality"]
# The one expected source problem is the note that --no-journal left the alerts out.
problems = [problem for problem in quality["sourceProblems"] if "--no-journal" not in problem]
check(quality["malformedLines"] == 0 and not problems,
      f"no malformed lines and no source problem but the --no-journal note ({quality['malformedLines']}"
      f" malformed{'; ' + '; '.join(problems) if problems else ''})")
with open(f"{work_dir}/report.html", encoding="utf-8") as f:
    html = f.read()
check(html.lstrip().lower().startswith("<!doctype html") and html.rstrip().endswith("</html>"),
      f"the HTML report is a complete document ({len(html.encode()):,} bytes)")

sys.exit(1 if failures else 0)
PY
