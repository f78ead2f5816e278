#!/usr/bin/env bash
# End-to-end test of the installed service under a real systemd (252, in a
# systemd-nspawn container booted by the workplace tool systemd-container.sh).
# It installs leafwatch with `make install DESTDIR=...`, writes a test
# configuration that follows /var/log/apache2/access.log, and checks: start
# (Type=notify reaches READY=1), the STATUS= text, alerts with their
# LEAFWATCH_ fields in `journalctl -u leafwatch -o json`, a threshold edit
# applied by `systemctl reload`, an invalid configuration rejected by reload,
# watchdog pings, episode numbers that go on after a restart, a clean stop,
# and the start at boot in a second container that boots with the unit
# already enabled by `systemctl --root=... enable`.
#
#   scripts/systemd-test.sh [BINARY]   (default .build/release/leafwatch)
#
# Environment:
#   LEAFWATCH_SYSCONTAINER  path of systemd-container.sh; otherwise
#                           ../shared/tools/systemd-container.sh relative to the
#                           repository root, then /work/shared/tools/systemd-container.sh.
#                           Without the tool the test prints SKIPPED and exits 0.
#   SYSCONTAINER_BASE       the tool's cache and state root (default /tmp/syscontainer)
#
# The binary's shared libraries outside /lib and /usr/lib (the Swift runtime
# of a toolchain in /opt) are bound read-only into the containers at the same
# path, because the image has no Swift runtime.
#
# Prints one line per check and "N passed, M failed". Exit status: 0 when
# every check passed or the test was skipped, 1 when a check failed (a failed
# `make install` included), 2 when the binary or one of its libraries is missing.
set -uo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
start_time=$(date +%s.%N)

skip() {
  echo "systemd-test: SKIPPED: $*"
  exit 0
}

tool=
for candidate in "${LEAFWATCH_SYSCONTAINER:-}" "$repo_root/../shared/tools/systemd-container.sh" /work/shared/tools/systemd-container.sh; do
  if [[ -n $candidate && -x $candidate ]]; then
    tool=$(realpath "$candidate")
    break
  fi
done
[[ -n $tool ]] || skip "systemd-container.sh not found (set LEAFWATCH_SYSCONTAINER to its path)"
[[ $(id -u) -eq 0 ]] || skip "systemd-container.sh needs root (systemd-nspawn)"

binary=$(realpath "${1:-$repo_root/.build/release/leafwatch}" 2>/dev/null || true)
if [[ -z $binary || ! -x $binary ]]; then
  echo "systemd-test: leafwatch binary '${1:-.build/release/leafwatch}' not found or not executable; build it with 'swift build -c release'" >&2
  exit 2
fi

unit=leafwatch.service
log_dir=/var/log/apache2
access_log=$log_dir/access.log
config=/etc/leafwatch/leafwatch.conf
main_name=lwtest$$
boot_name=lwboot$$
work=$(mktemp -d "${TMPDIR:-/tmp}/leafwatch-systemd-XXXXXX")
chmod 755 "$work"
containers=()

cleanup() {
  local name
  for name in "${containers[@]}"; do
    SYSCONTAINER_QUIET=1 "$tool" down "$name" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

passed=0
failed=0
pass() {
  passed=$((passed + 1))
  echo "ok   $*"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL $*"
}
# check NAME DETAIL CONDITION...: one check line from a test command.
check() {
  local name=$1 detail=$2
  shift 2
  if "$@"; then
    pass "$name${detail:+ ($detail)}"
  else
    fail "$name${detail:+: $detail}"
  fi
}

finish() {
  local elapsed
  elapsed=$(awk -v a="$start_time" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  echo "$passed passed, $failed failed (${elapsed} s)"
  if ((failed > 0)); then
    exit 1
  fi
  exit 0
}

seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

# Runs a command inside container $1.
in_container() {
  local name=$1
  shift
  "$tool" exec "$name" "$@"
}
prop() { in_container "$1" systemctl show -p "$2" --value "$unit" 2>/dev/null; }

# Apache's combined format with the current time, as the daemon expects it
# from a live log: one failed login (401 with a user name) from ADDRESS as USER.
failure_line() {
  printf '%s - %s [%s] "GET /private/ HTTP/1.1" 401 381 "-" "curl/7.88.1"\n' \
    "$1" "$2" "$(LC_ALL=C date -u '+%d/%b/%Y:%H:%M:%S +0000')"
}
# failures ADDRESS COUNT: COUNT failed logins from ADDRESS, each with another
# user name, so that only the per-address detector counts them.
failures() {
  local address=$1 count=$2 i
  for ((i = 1; i <= count; i++)); do
    failure_line "$address" "user${i}-${address//[.:]/-}"
  done
}
append_log() { in_container "$1" sh -c "cat >> '$access_log'"; }

# journal NAME [MATCH]...: the unit's journal entries as JSON lines.
journal() {
  local name=$1
  shift
  in_container "$name" journalctl --no-pager -o json -u "$unit" "$@" 2>/dev/null
}

# wait_journal NAME SECONDS MATCH...: waits until an entry matching MATCH
# is in the unit's journal; prints the entries.
wait_journal() {
  local name=$1 seconds=$2 out deadline
  shift 2
  deadline=$((SECONDS + seconds))
  while :; do
    out=$(journal "$name" "$@")
    if [[ -n $out || $SECONDS -ge $deadline ]]; then
      printf '%s' "$out"
      return 0
    fi
    sleep 0.2
  done
}

# wait_active NAME: waits up to 15 seconds for ActiveState=active (a reload
# passes through "reloading").
wait_active() {
  local i state
  for ((i = 0; i < 75; i++)); do
    state=$(prop "$1" ActiveState)
    [[ $state == active ]] && return 0
    [[ $state == failed || $state == inactive ]] && return 1
    sleep 0.2
  done
  return 1
}

# Checks journal entries (JSON lines on stdin) with Python; prints what is
# wrong and exits 1, or exits 0. Arguments: KEY=VALUE pairs that one entry
# must have; the entry must also carry every alert field of the journal
# contract in a valid form.
cat >"$work/alert_fields.py" <<'EOF'
import json, re, sys

expected = dict(arg.split("=", 1) for arg in sys.argv[1:])
entries = [json.loads(line) for line in sys.stdin if line.strip()]
matching = [e for e in entries if all(e.get(k) == v for k, v in expected.items())]
if len(matching) != 1:
    print(f"{len(matching)} entries with {expected} among {len(entries)}: "
          + "; ".join(e.get("MESSAGE", "?") for e in entries[:5]))
    sys.exit(1)
entry = matching[0]
iso = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
rules = {
    "SYSLOG_IDENTIFIER": r"leafwatch",
    "_SYSTEMD_UNIT": r"leafwatch\.service",
    "MESSAGE": r".{10,}",
    "PRIORITY": r"[0-7]",
    "MESSAGE_ID": r"[0-9a-f]{32}",
    "LEAFWATCH_RULE": r"auth-failures-per-ip",
    "LEAFWATCH_EPISODE": r"open|update|close",
    "LEAFWATCH_EPISODE_ID": r"\d+",
    "LEAFWATCH_CLIENT_IP": r"[0-9a-fA-F.:]+",
    "LEAFWATCH_COUNT": r"\d+",
    "LEAFWATCH_THRESHOLD": r"\d+",
    "LEAFWATCH_WINDOW_SEC": r"\d+",
    "LEAFWATCH_FIRST_SEEN": iso,
    "LEAFWATCH_LAST_SEEN": iso,
    "LEAFWATCH_LOG_PATH": r"/var/log/apache2/access\.log",
}
problems = []
for field, pattern in rules.items():
    value = entry.get(field)
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        problems.append(f"{field}={value!r}")
if problems:
    print("invalid or missing fields: " + ", ".join(problems))
    sys.exit(1)
print(", ".join(f"{k}={entry[k]}" for k in ("LEAFWATCH_EPISODE_ID", "LEAFWATCH_COUNT", "LEAFWATCH_THRESHOLD", "PRIORITY", "MESSAGE_ID")))
EOF
# alert_check NAME JOURNAL_JSON KEY=VALUE...: one check line from alert_fields.py.
alert_check() {
  local name=$1 entries=$2 result
  shift 2
  if result=$(python3 "$work/alert_fields.py" "$@" <<<"$entries"); then
    pass "$name ($result)"
  else
    fail "$name: $result"
  fi
}

# config_text THRESHOLD: the test configuration.
config_text() {
  cat <<EOF
# leafwatch configuration of scripts/systemd-test.sh
[Input]
AccessLog=$log_dir/*access.log
ErrorLog=$log_dir/*error.log
StartAt=end

[State]
CheckpointInterval=1s

[AuthFailuresPerIP]
Threshold=$1
Window=10min

[AuthFailuresPerUser]
Enabled=no
EOF
}

# ---------------------------------------------------------------- installation
# The binary's shared libraries outside the system's library folders (the
# Swift runtime of a toolchain in /opt) are bound read-only into the
# containers at the same path.
binds=()
missing_libraries=$(ldd "$binary" | awk '/not found/ { print $1 }')
if [[ -n $missing_libraries ]]; then
  echo "systemd-test: '$binary' needs libraries that are not found: $missing_libraries" >&2
  exit 2
fi
while read -r folder; do
  binds+=(--bind-ro "$folder")
done < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | xargs -r -n1 dirname | sort -u |
  grep -vE '^(/usr)?/lib(64|32|x32)?(/[a-z0-9_]+-linux-gnu[a-z0-9_]*)?$' || true)

stage=$work/stage
mkdir -p "$stage"
if make -C "$repo_root" -o build -o deps install DESTDIR="$stage" PREFIX=/usr/local BINARY="$binary" >"$work/make.log" 2>&1; then
  pass "make install DESTDIR=... PREFIX=/usr/local"
else
  fail "make install DESTDIR=... PREFIX=/usr/local: $(tail -n 3 "$work/make.log" | tr '\n' ' ')"
  finish
fi
unit_file=$(find "$stage" -name "$unit" -path '*systemd/system*' | head -n 1)
if [[ -z $unit_file ]]; then
  fail "make install installs $unit (not found under $stage)"
  finish
fi
unit_dir=/${unit_file#"$stage"/}
unit_dir=${unit_dir%/*}
installed_binary=$(find "$stage" -name leafwatch -type f -perm -u+x | head -n 1)
pass "installed files: $(cd "$stage" && find . -type f -o -type l | sed 's|^\./|/|' | sort | paste -sd' ' -)"

image_time=$(date +%s.%N)
SYSCONTAINER_QUIET=1 "$tool" build >/dev/null 2>"$work/build.log" || {
  fail "image build: $(tail -n 3 "$work/build.log" | tr '\n' ' ')"
  finish
}
echo "info container image ready ($(seconds_since "$image_time") s; cached under ${SYSCONTAINER_BASE:-/tmp/syscontainer})"

# ---------------------------------------------------------------- container: start, alerts, reload, stop
boot_time=$(date +%s.%N)
containers+=("$main_name")
if ! SYSCONTAINER_QUIET=1 "$tool" up "$main_name" "${binds[@]}" 2>"$work/up.log"; then
  fail "container boots: $(tail -n 5 "$work/up.log" | tr '\n' ' ')"
  finish
fi
echo "info container '$main_name' booted ($(seconds_since "$boot_time") s)"

# Copy the staged tree in; --no-overwrite-dir keeps the modes of existing
# folders such as / and /etc.
(cd "$stage" && tar --numeric-owner -cf - -- *) | in_container "$main_name" tar --no-overwrite-dir -xf - -C /
in_container "$main_name" systemctl daemon-reload
config_text 5 | in_container "$main_name" sh -c "mkdir -p /etc/leafwatch && cat > '$config'"
in_container "$main_name" sh -c "mkdir -p '$log_dir' && : > '$access_log' && chown root:adm '$access_log' && chmod 0640 '$access_log'"

out=$(in_container "$main_name" systemd-analyze verify --man=no "$unit_dir/$unit" 2>&1)
check "systemd-analyze verify $unit_dir/$unit" "${out//$'\n'/ }" test -z "$out"

out=$(in_container "$main_name" systemctl enable "$unit" 2>&1)
enabled=$(in_container "$main_name" systemctl is-enabled "$unit" 2>&1)
wanted_by=$(prop "$main_name" WantedBy)
default_target=$(in_container "$main_name" systemctl get-default 2>&1)
# The image's default target is graphical.target, which pulls in multi-user.target.
check "systemctl enable: is-enabled, WantedBy=multi-user.target, reached from the default target" \
  "is-enabled=$enabled WantedBy=$wanted_by default=$default_target" \
  test "$enabled" = enabled -a "$wanted_by" = multi-user.target -a \( "$default_target" = multi-user.target -o "$default_target" = graphical.target \)

t0=$(date +%s.%N)
start_output=$(in_container "$main_name" systemctl start "$unit" 2>&1)
start_status=$?
state=$(in_container "$main_name" systemctl show -p Type,ActiveState,SubState,NRestarts "$unit" | sort | paste -sd' ' -)
check "systemctl start returns after READY=1 ($(seconds_since "$t0") s)" "exit $start_status, $state${start_output:+, $start_output}" \
  test "$start_status" -eq 0 -a "$state" = "ActiveState=active NRestarts=0 SubState=running Type=notify"
main_pid=$(prop "$main_name" MainPID)

status_text=$(prop "$main_name" StatusText)
check "StatusText is the STATUS= line" "StatusText=$status_text" \
  grep -qE '^Following [0-9]+ files?, [0-9.]+ lines/s, [0-9]+ open episodes?$' <<<"$status_text"
check "StatusText counts the followed log" "StatusText=$status_text" grep -q '^Following 1 file' <<<"$status_text"

started=$(wait_journal "$main_name" 5 LEAFWATCH_EVENT=started)
check "journal has the started event" "" test -n "$started"

# 4 failures from 192.0.2.20 stay under the threshold of 5; 5 from
# 192.0.2.10 reach it. The daemon reads lines in order, so once the alert for
# 192.0.2.10 is there, the lines of 192.0.2.20 have been read.
{
  failures 192.0.2.20 4
  failures 192.0.2.10 5
} | append_log "$main_name"
entries=$(wait_journal "$main_name" 10 LEAFWATCH_CLIENT_IP=192.0.2.10)
alert_check "alert in journalctl -u leafwatch -o json with its fields" "$entries" \
  LEAFWATCH_CLIENT_IP=192.0.2.10 LEAFWATCH_EPISODE=open LEAFWATCH_COUNT=5 LEAFWATCH_THRESHOLD=5 LEAFWATCH_WINDOW_SEC=600
sleep 0.5
below=$(journal "$main_name" LEAFWATCH_CLIENT_IP=192.0.2.20)
if [[ -z $entries ]]; then
  fail "no alert for 4 failures under Threshold=5: not checked, because the lines after them raised no alert"
else
  check "no alert for 4 failures under Threshold=5" "${below:0:200}" test -z "$below"
fi

# Threshold 5 -> 3, reload: 3 failures from 192.0.2.30 must now open an episode.
config_text 3 | in_container "$main_name" sh -c "cat > '$config'"
t0=$(date +%s.%N)
reload_output=$(in_container "$main_name" systemctl reload "$unit" 2>&1)
reload_status=$?
wait_active "$main_name"
state=$(prop "$main_name" ActiveState)
check "systemctl reload ($(seconds_since "$t0") s), unit stays active with the same MainPID" \
  "exit $reload_status, ActiveState=$state, MainPID $main_pid -> $(prop "$main_name" MainPID)${reload_output:+, $reload_output}" \
  test "$reload_status" -eq 0 -a "$state" = active -a "$(prop "$main_name" MainPID)" = "$main_pid"
reloaded=$(wait_journal "$main_name" 5 LEAFWATCH_EVENT=reloaded)
check "journal has the reloaded event" "" test -n "$reloaded"

failures 192.0.2.30 3 | append_log "$main_name"
entries=$(wait_journal "$main_name" 10 LEAFWATCH_CLIENT_IP=192.0.2.30)
alert_check "reloaded Threshold=3 applies: alert after 3 failures" "$entries" \
  LEAFWATCH_CLIENT_IP=192.0.2.30 LEAFWATCH_EPISODE=open LEAFWATCH_COUNT=3 LEAFWATCH_THRESHOLD=3

# An invalid value on line 15: the reload is rejected with file and line and
# Threshold=3 stays in force.
{
  config_text 3
  echo "Window=tenminutes"
} | in_container "$main_name" sh -c "cat > '$config'"
bad_line=$(config_text 3 | wc -l)
bad_line=$((bad_line + 1))
in_container "$main_name" systemctl reload "$unit" >/dev/null 2>&1
wait_active "$main_name"
rejected=$(wait_journal "$main_name" 5 LEAFWATCH_EVENT=reload-failed)
rejected_fields=$(python3 -c '
import json, sys
for line in sys.stdin:
    if not line.strip():
        continue
    e = json.loads(line)
    print(str(e.get("LEAFWATCH_CONFIG_FILE")) + ":" + str(e.get("LEAFWATCH_CONFIG_LINE")), e.get("MESSAGE"))' <<<"$rejected" | head -n 1)
check "invalid configuration: reload-failed event names the file and line" "${rejected_fields:-no reload-failed event}" \
  test "${rejected_fields%% *}" = "$config:$bad_line"
state=$(prop "$main_name" ActiveState)
check "invalid configuration: unit stays active with the same MainPID" "ActiveState=$state, MainPID $(prop "$main_name" MainPID)" \
  test "$state" = active -a "$(prop "$main_name" MainPID)" = "$main_pid"
failures 192.0.2.40 3 | append_log "$main_name"
entries=$(wait_journal "$main_name" 10 LEAFWATCH_CLIENT_IP=192.0.2.40)
alert_check "invalid configuration: Threshold=3 stays in force" "$entries" \
  LEAFWATCH_CLIENT_IP=192.0.2.40 LEAFWATCH_EPISODE=open LEAFWATCH_THRESHOLD=3
config_text 3 | in_container "$main_name" sh -c "cat > '$config'"

# Watchdog: the installed WatchdogSec=, then 2 s through a drop-in and a
# restart; 5 s later the daemon must still run without a watchdog restart.
watchdog=$(prop "$main_name" WatchdogUSec)
check "unit sets WatchdogSec=" "WatchdogUSec=$watchdog" test -n "$watchdog" -a "$watchdog" != 0 -a "$watchdog" != infinity
in_container "$main_name" sh -c "mkdir -p /etc/systemd/system/$unit.d && printf '[Service]\nWatchdogSec=2s\n' > /etc/systemd/system/$unit.d/watchdog.conf"
in_container "$main_name" systemctl daemon-reload
in_container "$main_name" systemctl restart "$unit"
pid_before=$(prop "$main_name" MainPID)
sleep 5
state=$(in_container "$main_name" systemctl show -p ActiveState,NRestarts,WatchdogUSec "$unit" | sort | paste -sd' ' -)
check "WatchdogSec=2s: no watchdog restart in 5 s" "$state, MainPID $pid_before -> $(prop "$main_name" MainPID)" \
  test "$state" = "ActiveState=active NRestarts=0 WatchdogUSec=2s" -a "$(prop "$main_name" MainPID)" = "$pid_before"

# The restart kept the state directory: episode numbers go on from 3.
failures 192.0.2.60 3 | append_log "$main_name"
entries=$(wait_journal "$main_name" 10 LEAFWATCH_CLIENT_IP=192.0.2.60)
alert_check "after a restart, episode numbers continue" "$entries" \
  LEAFWATCH_CLIENT_IP=192.0.2.60 LEAFWATCH_EPISODE=open LEAFWATCH_EPISODE_ID=4

t0=$(date +%s.%N)
stop_output=$(in_container "$main_name" systemctl stop "$unit" 2>&1)
stop_status=$?
state=$(in_container "$main_name" systemctl show -p ActiveState,Result,ExecMainCode,ExecMainStatus "$unit" | sort | paste -sd' ' -)
check "systemctl stop ends cleanly ($(seconds_since "$t0") s)" "exit $stop_status, $state${stop_output:+, $stop_output}" \
  test "$stop_status" -eq 0 -a "$state" = "ActiveState=inactive ExecMainCode=1 ExecMainStatus=0 Result=success"
stopping=$(journal "$main_name" LEAFWATCH_EVENT=stopping)
check "journal has the stopping event" "" test -n "$stopping"
state_file=$(in_container "$main_name" sh -c 'ls -l /var/lib/private/leafwatch/daemon.json 2>&1')
check "state file written to the StateDirectory" "$state_file" \
  in_container "$main_name" test -s /var/lib/private/leafwatch/daemon.json

SYSCONTAINER_QUIET=1 "$tool" down "$main_name" >/dev/null 2>&1
containers=()

# ---------------------------------------------------------------- container: start at boot
# A second container boots with the unit enabled before boot: the image's
# /etc/systemd/system plus the staged files, enabled by `systemctl --root`,
# bound read-only into the container. The log folder is a host folder bound
# in, so that lines written on the host reach the daemon.
boot_root=$work/boot-root
image=$(SYSCONTAINER_QUIET=1 "$tool" build 2>/dev/null)
mkdir -p "$boot_root/etc/systemd" "$boot_root/etc/leafwatch" "$work/boot-logs"
cp -a "$image/etc/systemd/system" "$boot_root/etc/systemd/"
cp -a "$stage/." "$boot_root/"
config_text 5 >"$boot_root/etc/leafwatch/leafwatch.conf"
chmod 0644 "$boot_root/etc/leafwatch/leafwatch.conf"
: >"$work/boot-logs/access.log"
chown root:adm "$work/boot-logs/access.log"
chmod 0640 "$work/boot-logs/access.log"
# systemctl --root also warns that multi-user.target is missing, because
# the tree holds only the image's /etc/systemd/system; the first line is
# the symlink it created.
enable_output=$(systemctl --root="$boot_root" enable "$unit" 2>&1 | head -n 1)
check "systemctl --root=... enable" "$enable_output" \
  test -L "$boot_root/etc/systemd/system/multi-user.target.wants/$unit"

boot_binds=(--bind-ro "$boot_root/etc/systemd/system:/etc/systemd/system"
  --bind-ro "$boot_root/etc/leafwatch:/etc/leafwatch"
  --bind-ro "$work/boot-logs:$log_dir")
for folder in "$boot_root"/usr/local "$boot_root"/usr/lib/systemd "$boot_root"/lib/systemd; do
  [[ -d $folder && $folder != */usr/lib/systemd && $folder != */lib/systemd ]] &&
    boot_binds+=(--bind-ro "$folder:${folder#"$boot_root"}")
done
if [[ $unit_dir != /usr/local/* && $unit_dir != /etc/systemd/system ]]; then
  fail "start at boot: the unit is installed in $unit_dir, which this test does not bind into the container"
  finish
fi

boot_time=$(date +%s.%N)
containers+=("$boot_name")
if ! SYSCONTAINER_QUIET=1 "$tool" up "$boot_name" "${binds[@]}" "${boot_binds[@]}" 2>"$work/boot-up.log"; then
  fail "container with the enabled unit boots: $(tail -n 5 "$work/boot-up.log" | tr '\n' ' ')"
  finish
fi
echo "info container '$boot_name' booted ($(seconds_since "$boot_time") s)"
state=$(in_container "$boot_name" systemctl show -p ActiveState,SubState,NRestarts "$unit" | sort | paste -sd' ' -)
system_state=$(in_container "$boot_name" systemctl is-system-running 2>&1)
check "unit active after boot" "$state, system $system_state" \
  test "$state" = "ActiveState=active NRestarts=0 SubState=running" -a "$system_state" = running
unit_ready=$(prop "$boot_name" ActiveEnterTimestampMonotonic)
target_ready=$(in_container "$boot_name" systemctl show -p ActiveEnterTimestampMonotonic --value multi-user.target)
check "unit started by the boot transaction, before multi-user.target was reached" \
  "leafwatch active at ${unit_ready} us, multi-user.target at ${target_ready} us (monotonic)" \
  test -n "$unit_ready" -a -n "$target_ready" -a "${unit_ready:-0}" -gt 0 -a "${unit_ready:-0}" -le "${target_ready:-0}"
failures 192.0.2.50 5 >>"$work/boot-logs/access.log"
entries=$(wait_journal "$boot_name" 10 LEAFWATCH_CLIENT_IP=192.0.2.50)
alert_check "booted unit alerts on lines in a root:adm 0640 log" "$entries" \
  LEAFWATCH_CLIENT_IP=192.0.2.50 LEAFWATCH_EPISODE=open LEAFWATCH_COUNT=5

finish
