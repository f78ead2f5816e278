#!/usr/bin/env bash
# Times `leafwatch scan --json` on a 1,000,000-line combined log against
# `wc -l`, a mawk one-liner that computes the same counts, and goaccess, then
# checks leafwatch's counts against the generator's ground truth and an
# independent mawk recount.
#
#   scripts/bench.sh BINARY
#
# Environment:
#   LEAFWATCH_BENCH_DIR    work folder (default ${TMPDIR:-/tmp}/leafwatch-bench);
#                          generated files there are reused on the next run
#   LEAFWATCH_GENLOG       path of genlog.py (default ../shared/bench/genlog.py
#                          relative to the repository root)
#   LEAFWATCH_BENCH_INPUT  an existing combined-format log to time instead of
#                          a generated one. It has no ground truth, so status
#                          counts are checked against the mawk recount.
#   LEAFWATCH_BENCH_RUNS   timed runs per tool (default 10)
#   LEAFWATCH_GOACCESS_RUNS  timed runs of goaccess (default 3)
#
# Exit status: 0 when every tool ran and leafwatch's counts are correct, even
# if a performance target fails. 1 when a tool failed or a count differs, 2
# when the input or a tool is missing, and 64 for a usage error.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: scripts/bench.sh BINARY   (for example .build/release/leafwatch)" >&2
  exit 64
fi
binary=$(realpath "$1")
if [[ ! -x $binary ]]; then
  echo "bench.sh: leafwatch binary '$1' not found or not executable; build it with 'swift build -c release'" >&2
  exit 2
fi

repo_root=$(cd "$(dirname "$0")/.." && pwd)
work_dir=${LEAFWATCH_BENCH_DIR:-${TMPDIR:-/tmp}/leafwatch-bench}
runs=${LEAFWATCH_BENCH_RUNS:-10}
goaccess_runs=${LEAFWATCH_GOACCESS_RUNS:-3}

for tool in hyperfine goaccess mawk python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench.sh: $tool not found; install it with 'scripts/deps.sh bench'" >&2
    exit 2
  fi
done
# The shell keyword `time` cannot report peak RSS, so GNU time is called by path.
if [[ ! -x /usr/bin/time ]]; then
  echo "bench.sh: GNU time (/usr/bin/time) not found; install it with 'scripts/deps.sh bench'" >&2
  exit 2
fi

mkdir -p "$work_dir"
work_dir=$(cd "$work_dir" && pwd)

# --- Machine -----------------------------------------------------------------

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
memory_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
kernel=$(uname -sr)
os_name=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || echo unknown)

echo "# leafwatch benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- machine: $(nproc) CPUs ($cpu_model), $memory_total memory, $os_name, $kernel"
load_start=$(cut -d ' ' -f 1-3 /proc/loadavg)
echo "- load average at start: $load_start"
echo "- leafwatch: $("$binary" --version 2>&1 | head -n 1) ($binary)"
# "-dirty" means the working tree had uncommitted changes; the binary may
# also predate them if it was not rebuilt.
echo "- source: $(git -C "$repo_root" describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
echo "- $(hyperfine --version), $(goaccess --version 2>&1 | head -n 1), $(mawk -W version 2>&1 | head -n 1)"
echo

# --- Input -------------------------------------------------------------------

truth_file=
if [[ -n ${LEAFWATCH_BENCH_INPUT:-} ]]; then
  input=$(realpath "$LEAFWATCH_BENCH_INPUT")
  if [[ ! -f $input ]]; then
    echo "bench.sh: LEAFWATCH_BENCH_INPUT '$LEAFWATCH_BENCH_INPUT' is not a file" >&2
    exit 2
  fi
else
  genlog=${LEAFWATCH_GENLOG:-$repo_root/../shared/bench/genlog.py}
  input=$work_dir/access.log
  truth_file=$work_dir/truth.json
  if [[ ! -f $input || ! -f $truth_file || ! -f $work_dir/error.log ]]; then
    if [[ ! -f $genlog ]]; then
      cat >&2 <<EOF
bench.sh: the log generator genlog.py was not found at $genlog.
Give the benchmark an input in one of two ways:
  LEAFWATCH_GENLOG=/path/to/genlog.py scripts/bench.sh $1
  LEAFWATCH_BENCH_INPUT=/path/to/access.log scripts/bench.sh $1
where access.log is an existing Apache log in combined format.
EOF
      exit 2
    fi
    echo "Generating the input with $genlog (default seed, 1,000,000 lines) ..."
    # Files are written to a temporary folder and moved into place when
    # complete, so an interrupted run never leaves a partial input to reuse.
    partial=$work_dir/partial
    rm -rf "$partial"
    mkdir -p "$partial"
    python3 "$genlog" -o "$partial/access.log" --error-log "$partial/error.log" \
      --truth "$partial/truth.json"
    mv "$partial/access.log" "$partial/error.log" "$partial/truth.json" "$work_dir/"
    rmdir "$partial"
    echo
  fi
fi

input_bytes=$(stat -c %s "$input")
input_lines=$(wc -l < "$input")
echo "- input: $input ($input_lines lines, $input_bytes bytes)"
echo "- runs: $runs after 1 warm-up run (goaccess: $goaccess_runs, no warm-up); the file is in the page cache"
echo

# --- Tools -------------------------------------------------------------------

# The mawk one-liner: status counts, and per client address the requests,
# 401 + 403 responses and 5xx responses. Fields are split on '"', so field 2
# is the request and field 3 starts with the status. Apache writes a quote
# inside the request as \", which splits the request further. While a field
# ends in an odd number of backslashes, its quote was escaped, so the status
# is one field later. `$k + 0` reads the leading number of " 200 1234 ".
# NOTE: the split assumes no quote before the request, which holds for the
# generated log but not for a %u of "" or one containing \".
counts_awk=$work_dir/counts.awk
cat > "$counts_awk" <<'AWK'
BEGIN { FS = "\"" }
{ k = 3; while (k < NF && $(k - 1) ~ /\\$/ && match($(k - 1), /\\+$/) && RLENGTH % 2 == 1) k++
  status = $k + 0; host = substr($0, 1, index($0, " ") - 1); statuses[status]++; requests[host]++
  if (status == 401 || status == 403) denied[host]++; else if (status >= 500 && status <= 599) errors[host]++ }
END { for (status in statuses) print "status", status, statuses[status]
      for (host in requests) print "client", host, requests[host], denied[host] + 0, errors[host] + 0 }
AWK

# Status counts from the whitespace split ($9) that many scripts use, run once
# to show how many lines that split misreads.
naive_awk=$work_dir/naive.awk
cat > "$naive_awk" <<'AWK'
{ statuses[$9]++ }
END { for (status in statuses) print "status", status, statuses[status] }
AWK

q() { printf '%q' "$1"; }
leafwatch_out=$work_dir/leafwatch.json
wc_out=$work_dir/wc.txt
mawk_out=$work_dir/mawk-counts.txt
naive_out=$work_dir/mawk-naive.txt
goaccess_out=$work_dir/goaccess.json

# Every command writes its output to a file, because tools that detect
# /dev/null as their output (GNU grep does) may stop early and so time less
# than the work.
leafwatch_cmd="$(q "$binary") scan --json --no-alerts $(q "$input") > $(q "$leafwatch_out")"
detect_cmd="$(q "$binary") scan --json $(q "$input") > $(q "$work_dir/leafwatch-alerts.json")"
wc_cmd="wc -l $(q "$input") > $(q "$wc_out")"
mawk_cmd="mawk -f $(q "$counts_awk") $(q "$input") > $(q "$mawk_out")"
goaccess_cmd="goaccess $(q "$input") --log-format=COMBINED -o $(q "$goaccess_out")"

tool_failed=0

echo "Timing leafwatch, wc -l and mawk with hyperfine ..."
if ! hyperfine --warmup 1 --runs "$runs" --export-json "$work_dir/hyperfine.json" --style basic --shell bash \
  --command-name "leafwatch scan --json --no-alerts" "$leafwatch_cmd" \
  --command-name "leafwatch scan --json" "$detect_cmd" \
  --command-name "wc -l" "$wc_cmd" \
  --command-name "mawk one-liner" "$mawk_cmd"; then
  echo "bench.sh: hyperfine failed: a command exited non-zero (see above)" >&2
  tool_failed=1
fi
echo

echo "Timing goaccess with hyperfine (runs: $goaccess_runs) ..."
if ! hyperfine --warmup 0 --runs "$goaccess_runs" --export-json "$work_dir/hyperfine-goaccess.json" --style basic --shell bash \
  --command-name "goaccess" "$goaccess_cmd"; then
  echo "bench.sh: hyperfine failed on goaccess (see above)" >&2
  tool_failed=1
fi
echo

# Peak resident set size of one run of each, in KiB, from GNU time's %M.
measure_rss() {
  local name=$1 command=$2
  if ! /usr/bin/time -f %M -o "$work_dir/rss-$name.txt" bash -c "$command" >"$work_dir/rss-$name.log" 2>&1; then
    echo "bench.sh: '$command' failed while measuring peak RSS; see $work_dir/rss-$name.log" >&2
    tool_failed=1
  fi
}
echo "Measuring peak RSS with GNU time ..."
measure_rss leafwatch "exec $leafwatch_cmd"
measure_rss leafwatch-detect "exec $detect_cmd"
measure_rss wc "exec $wc_cmd"
measure_rss mawk "exec $mawk_cmd"
measure_rss goaccess "exec $goaccess_cmd"
echo

mawk -f "$naive_awk" "$input" > "$naive_out"
load_end=$(cut -d ' ' -f 1-3 /proc/loadavg)

if ((tool_failed)); then
  echo "bench.sh: a tool failed, so no table is printed" >&2
  exit 1
fi

# --- Table, targets and correctness ------------------------------------------

python3 - "$work_dir" "$input_lines" "$input_bytes" "$truth_file" "$load_start" "$load_end" <<'PY'
import json
import sys

work_dir, lines, size, truth_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
load_start, load_end = sys.argv[5], sys.argv[6]

results = {}
for export in ("hyperfine.json", "hyperfine-goaccess.json"):
    with open(f"{work_dir}/{export}") as f:
        for result in json.load(f)["results"]:
            results[result["command"]] = result

rows = [  # (table name, hyperfine command name, RSS file stem)
    ("leafwatch scan --json --no-alerts", "leafwatch scan --json --no-alerts", "leafwatch"),
    ("leafwatch scan --json", "leafwatch scan --json", "leafwatch-detect"),
    ("wc -l", "wc -l", "wc"),
    ("mawk one-liner", "mawk one-liner", "mawk"),
    ("goaccess", "goaccess", "goaccess"),
]


def peak_rss_mib(stem):
    # GNU time can write a status line before %M when the command fails, so
    # the number is the last line.
    with open(f"{work_dir}/rss-{stem}.txt") as f:
        return int(f.read().split()[-1]) / 1024


def cpu_seconds(command):
    return results[command]["user"] + results[command]["system"]


median = {name: results[command]["median"] for name, command, _ in rows}
rss = {name: peak_rss_mib(stem) for name, _, stem in rows}
wc_median = median["wc -l"]
leafwatch_median = median["leafwatch scan --json --no-alerts"]

header = ["tool", "runs", "median s", "CPU s", "lines/s", "MB/s", "peak RSS MiB", "× wc -l", "× leafwatch"]
table = []
for name, command, _ in rows:
    result = results[command]
    seconds = median[name]
    table.append([
        name,
        str(len(result["times"])),
        f"{seconds:.3f}",
        f"{cpu_seconds(command):.3f}",
        f"{lines / seconds / 1e6:.2f}M" if lines / seconds >= 1e6 else f"{lines / seconds / 1e3:.0f}k",
        f"{size / 1e6 / seconds:,.0f}",
        f"{rss[name]:.1f}",
        f"{seconds / wc_median:.1f}",
        f"{seconds / leafwatch_median:.2f}",
    ])

widths = [max(len(header[i]), *(len(row[i]) for row in table)) for i in range(len(header))]


def markdown_row(cells):
    padded = [cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(cells)]
    return "| " + " | ".join(padded) + " |"


print("## Results (Markdown)")
print()
print(markdown_row(header))
print("|" + "|".join(":" + "-" * (w + 1) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|")
for row in table:
    print(markdown_row(row))
print()
print(f"median s: wall-clock median; CPU s: mean user + system time; MB/s: {size / 1e6:.1f} MB input / median;")
print("× wc -l and × leafwatch: median divided by that tool's median.")
print(f"Load average (1, 5, 15 min): {load_start} before the runs, {load_end} after them.")
# mawk runs on one thread, so when its mean wall-clock time clearly exceeds
# its mean CPU time, it waited for a CPU that other processes were using.
mawk_result = results["mawk one-liner"]
waiting = mawk_result["mean"] / cpu_seconds("mawk one-liner")
if waiting > 1.15:
    print(f"NOTE: the mawk one-liner's wall-clock time was {waiting:.2f}× its CPU time, so other processes"
          " competed for the CPUs and wall-clock times are inflated; compare CPU s, or re-run on an idle machine.")
print()

speedup = median["mawk one-liner"] / leafwatch_median
cpu_speedup = cpu_seconds("mawk one-liner") / cpu_seconds("leafwatch scan --json --no-alerts")
print("## Targets")
print()
verdict = "PASS" if speedup >= 2 else "FAIL"
print(f"- {verdict}: leafwatch at least 2× faster than the mawk one-liner"
      f" (mawk / leafwatch = {speedup:.2f} by median wall-clock time; {cpu_speedup:.2f} by CPU time)")
verdict = "PASS" if rss["leafwatch scan --json --no-alerts"] < 64 else "FAIL"
print(f"- {verdict}: leafwatch peak RSS under 64 MiB ({rss['leafwatch scan --json --no-alerts']:.1f} MiB)")
detector_cost = median["leafwatch scan --json"] / leafwatch_median
verdict = "PASS" if detector_cost <= 1.5 else "FAIL"
print(f"- {verdict}: scan with the detectors at most 1.5× the time of scan without them"
      f" ({detector_cost:.2f}×; peak RSS {rss['leafwatch scan --json']:.1f} MiB)")
print()


def read_awk_counts(path):
    statuses, clients = {}, {}
    with open(path) as f:
        for line in f:
            fields = line.split()
            if fields[0] == "status":
                statuses[fields[1]] = int(fields[2])
            else:
                clients[fields[1]] = tuple(int(n) for n in fields[2:5])
    return statuses, clients


def count_differences(expected, actual):
    """Return the codes whose counts differ, the lines counted under a code in
    excess of the expected count, and the lines missing from a code's count."""
    codes = sorted(set(expected) | set(actual))
    differing = [code for code in codes if expected.get(code, 0) != actual.get(code, 0)]
    excess = sum(max(0, actual.get(code, 0) - expected.get(code, 0)) for code in codes)
    missing = sum(max(0, expected.get(code, 0) - actual.get(code, 0)) for code in codes)
    return differing, excess, missing


print("## Correctness")
print()
failures = 0
with open(f"{work_dir}/leafwatch.json") as f:
    report = json.load(f)
awk_statuses, awk_clients = read_awk_counts(f"{work_dir}/mawk-counts.txt")
naive_statuses, _ = read_awk_counts(f"{work_dir}/mawk-naive.txt")

if truth_path:
    with open(truth_path) as f:
        truth_statuses = json.load(f)["status"]
    reference_name = "truth.json"
    reference_note = ""
else:
    truth_statuses = awk_statuses
    reference_name = "the mawk recount"
    reference_note = ", as there is no truth.json for LEAFWATCH_BENCH_INPUT"

print(f"- leafwatch: {report['lines']} lines, {report['parsed']} parsed, {report['malformed']} malformed")
differing, excess, missing = count_differences(truth_statuses, report["statusCounts"])
verdict = "PASS" if not differing else "FAIL"
failures += bool(differing)
print(f"- {verdict}: leafwatch statusCounts equal the status counts of {reference_name}"
      f" ({len(differing)} codes differ, {excess} lines in excess, {missing} missing{reference_note})")
for code in differing:
    print(f"    status {code}: expected {truth_statuses.get(code, 0)}, leafwatch {report['statusCounts'].get(code, 0)}")

if truth_path:
    differing, excess, missing = count_differences(truth_statuses, awk_statuses)
    print(f"- mawk one-liner status counts against truth.json: {len(differing)} codes differ,"
          f" {excess} lines in excess, {missing} missing")
differing, excess, missing = count_differences(truth_statuses, naive_statuses)
print(f"- for comparison, a whitespace split ($9) against {reference_name}: {len(differing)} codes differ,"
      f" {excess} lines counted under a wrong code, {missing} missing from their code")

ours = {c["address"]: (c["requests"], c["denied"], c["serverErrors"]) for c in report["clients"]}
mismatched = []
for address in sorted(set(ours) | set(awk_clients)):
    mine = ours.get(address)
    theirs = awk_clients.get(address)
    # Requests are compared as well as denied and serverErrors: all three
    # come from the same split, so a misread line shows in one of them.
    if mine != theirs:
        mismatched.append((address, mine, theirs))
verdict = "PASS" if not mismatched else "FAIL"
failures += bool(mismatched)
print(f"- {verdict}: per-client requests, denied (401+403) and serverErrors (5xx) equal the mawk recount"
      f" ({len(ours)} clients in leafwatch, {len(awk_clients)} in mawk, {len(mismatched)} mismatching)")
for address, mine, theirs in mismatched[:20]:
    print(f"    {address}: leafwatch (requests, denied, 5xx) = {mine}, mawk = {theirs}")
if len(mismatched) > 20:
    print(f"    ... and {len(mismatched) - 20} more")

sys.exit(1 if failures else 0)
PY
