#!/usr/bin/env bash
# Benchmarks `leafwatch run` against a real journald and prints Markdown for
# BENCHMARKS.md: latency from a line's write to its alert in the journal
# (target p99 < 20 ms, next to fail2ban's figure from the benchmark anchors),
# following a file that grows by 200,000 lines per second, and CPU time and
# wake-ups while idle. scripts/latency_bench.py does the measuring.
#
#   scripts/latency-bench.sh [BINARY]   (default .build/release/leafwatch)
#
# journald: when no process is bound to /run/systemd/journal/socket, this
# script runs scripts/services.sh start (which also starts a test Apache; both
# keep running afterwards) or, when that fails or is missing, starts
# /lib/systemd/systemd-journald itself and stops it again by its PID at the end.
#
# Environment:
#   LEAFWATCH_BENCH_ANCHORS  ANCHORS.md with fail2ban's follow-mode latency
#                            (default ../shared/bench/ANCHORS.md relative to
#                            the repository root)
#   LEAFWATCH_LATENCY_ARGS   extra options for latency_bench.py, such as
#                            "--parts latency --lines 500" (see its --help)
#
# Exit status: 0 when every part ran, even if a target failed; 1 when a part
# could not run or the daemon misbehaved; 2 when the binary or journald is missing.
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
binary=$(realpath "${1:-$repo_root/.build/release/leafwatch}" 2>/dev/null || true)
if [[ -z $binary || ! -x $binary ]]; then
  echo "latency-bench.sh: leafwatch binary '${1:-.build/release/leafwatch}' not found or not executable; build it with 'swift build -c release'" >&2
  exit 2
fi
anchors=${LEAFWATCH_BENCH_ANCHORS:-$repo_root/../shared/bench/ANCHORS.md}
journald=/lib/systemd/systemd-journald
journal_socket=/run/systemd/journal/socket
started_journald=

# Returns 0 when a process is bound to journald's native socket: connecting
# to a socket file whose process ended fails with ECONNREFUSED. A second
# journald would take over the socket path from a running one, so this test
# does not depend on how fast a busy journald responds.
journald_bound() {
  python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.connect(sys.argv[1])' \
    "$journal_socket" 2>/dev/null
}

# Writes one entry through journald's native socket and waits up to 20 s for
# journalctl to return it.
journal_answers() {
  local marker=latency-bench-$$-$RANDOM attempt
  printf 'MESSAGE=leafwatch latency bench check\nLEAFWATCH_BENCH_CHECK=%s\n' "$marker" |
    logger --journald 2>/dev/null || return 1
  for attempt in $(seq 1 100); do
    journalctl --no-pager -q -o cat "LEAFWATCH_BENCH_CHECK=$marker" 2>/dev/null | grep -q . && return 0
    sleep 0.2
  done
  return 1
}

stop_own_journald() {
  if [[ -n $started_journald && $(readlink "/proc/$started_journald/exe" 2>/dev/null) == "$journald" ]]; then
    kill -TERM "$started_journald"
    wait "$started_journald" 2>/dev/null || true
  fi
}
trap stop_own_journald EXIT

# wait_bound: waits up to 5 s for a journald to bind the socket.
wait_bound() {
  local attempt
  for attempt in $(seq 1 50); do
    journald_bound && return 0
    sleep 0.1
  done
  return 1
}

if ! journald_bound && [[ -x $repo_root/scripts/services.sh ]]; then
  # services.sh may report a failure while the journald it started is still
  # binding its sockets, so wait before starting one here.
  "$repo_root/scripts/services.sh" start >&2 || wait_bound || echo "latency-bench.sh: scripts/services.sh start failed; starting journald alone" >&2
fi
if ! journald_bound; then
  [[ -x $journald ]] || { echo "latency-bench.sh: no journald runs and '$journald' is missing; install the systemd package" >&2; exit 2; }
  "$journald" </dev/null >"${TMPDIR:-/tmp}/latency-bench-journald.log" 2>&1 &
  started_journald=$!
  wait_bound || true
fi
journal_answers || { echo "latency-bench.sh: journald does not return an entry written to $journal_socket within 20 s" >&2; exit 2; }

commit=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$repo_root" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit="$commit with uncommitted changes"
fi
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
memory=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
os_name=$(. /etc/os-release && echo "$PRETTY_NAME")

echo "## Daemon: latency, throughput, idle"
echo
echo "Command: \`scripts/latency-bench.sh ${1:-.build/release/leafwatch}\`" \
  "${LEAFWATCH_LATENCY_ARGS:+(LEAFWATCH_LATENCY_ARGS=\"$LEAFWATCH_LATENCY_ARGS\")}"
echo "Date: $(date -u +%Y-%m-%dT%H:%M:%SZ). Machine: $(nproc) CPUs ($cpu_model), $memory, $os_name, Linux $(uname -r)."
echo "leafwatch: $("$binary" --version 2>/dev/null | head -n 1), commit $commit. journald: $(journalctl --version | head -n 1)."
echo

# shellcheck disable=SC2086
python3 "$repo_root/scripts/latency_bench.py" "$binary" --anchors "$anchors" ${LEAFWATCH_LATENCY_ARGS:-}
