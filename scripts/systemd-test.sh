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
# The weekly report's units are checked in the first container while the
# daemon runs. The checks are `systemd-analyze verify` and `systemd-analyze
# security` of leafwatch-report.service, and the enabled
# leafwatch-report.timer with its next run on a Friday at 08:00. Then come
# a run whose sendmail program fails (exit 75, no ledger), a run that mails
# the default period, and a second run that mails nothing because the
# ledger contains the period. A last run in the same sandbox writes the JSON
# report of the test's own hour, whose episodes must be the daemon's alerts,
# read from the system journal as the dynamic user. The test's sendmail
# program, /usr/local/libexec/leafwatch-test-sendmail, sends the message
# over TCP to a socket-activated receiver on 127.0.0.1:2525 in the
# container, which stores it under /var/spool/leafwatch-test. So a stored
# mail also proves that the unit can open Internet sockets. The test parses
# the stored message with Python's email package.
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
report_unit=leafwatch-report.service
timer_unit=leafwatch-report.timer
# The highest accepted 'systemd-analyze security' exposure of the report unit.
# The daemon's unit scores 0.4; the report's network access adds about 1.0.
report_max_exposure=1.5
mail_spool=/var/spool/leafwatch-test
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

# Apache's combined format, as the daemon expects it from a live log: one
# failed login (401 with a user name) from ADDRESS as USER at TIME, a GNU
# date string that defaults to now.
failure_line() {
  printf '%s - %s [%s] "GET /private/ HTTP/1.1" 401 381 "-" "curl/7.88.1"\n' \
    "$1" "$2" "$(LC_ALL=C date -u -d "${3:-now}" '+%d/%b/%Y:%H:%M:%S +0000')"
}
# failures ADDRESS COUNT [TIME]: COUNT failed logins from ADDRESS, each with
# another user name, so that only the per-address detector counts them.
failures() {
  local address=$1 count=$2 i
  for ((i = 1; i <= count; i++)); do
    failure_line "$address" "user${i}-${address//[.:]/-}" "${3:-now}"
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

[Report]
To=ops@example.org
Sendmail=/usr/local/libexec/leafwatch-test-sendmail -t -oi
TimeZone=UTC

[AuthFailuresPerIP]
Threshold=$1
Window=10min

[AuthFailuresPerUser]
Enabled=no
EOF
}

# ---------------------------------------------------------------- report units
# The test's sendmail program: it sends an envelope (its arguments, user and
# groups, and NoNewPrivs flag), a blank line and the message over TCP to the
# receiver on 127.0.0.1:2525.
test_sendmail_text() {
  cat <<'EOF'
#!/bin/bash
# Sendmail program of leafwatch's scripts/systemd-test.sh.
exec 3<>/dev/tcp/127.0.0.1/2525 || exit 75
{
  printf 'argv: %s\n' "$*"
  printf 'id: %s\n' "$(id)"
  grep '^NoNewPrivs:' /proc/self/status
  echo
  cat
} >&3
EOF
}
# The receiver stores each connection's bytes as one file, renamed into place
# once complete.
test_receiver_text() {
  cat <<EOF
#!/bin/sh
# Mail receiver of leafwatch's scripts/systemd-test.sh.
set -e
mkdir -p $mail_spool
tmp=$mail_spool/.incoming.\$\$
cat > "\$tmp"
mv "\$tmp" "$mail_spool/\$(date +%s%N)-\$\$.eml"
EOF
}
test_socket_text() {
  printf '[Socket]\nListenStream=127.0.0.1:2525\nAccept=yes\n'
}
test_receiver_unit_text() {
  printf '[Service]\nExecStart=/usr/local/libexec/leafwatch-test-mail-receiver\nStandardInput=socket\nStandardOutput=journal\n'
}

# Checks a stored message (envelope, blank line, message) with Python's email
# package. Arguments: FILE HOST FIRST_DAY LAST_DAY. Prints one line per check,
# "ok" or "FAIL", a tab, the check's name, a tab and its detail.
cat >"$work/mail_check.py" <<'EOF'
import email, email.policy, re, sys

path, host, first_day, last_day = sys.argv[1:5]
raw = open(path, "rb").read()
envelope_bytes, _, message_bytes = raw.partition(b"\n\n")
envelope = {}
for line in envelope_bytes.decode().splitlines():
    key, _, value = line.partition(":")
    envelope[key] = value.strip()
message = email.message_from_bytes(message_bytes, policy=email.policy.default)


def result(name, ok, detail):
    print(("ok" if ok else "FAIL") + "\t" + name + "\t" + str(detail).replace("\n", " ")[:300])


result("report mail: sendmail arguments are -t -oi", envelope.get("argv") == "-t -oi", "argv: " + envelope.get("argv", "?"))
result("report mail: sendmail runs as the dynamic user in group adm", re.search(r"groups=.*\(adm\)", envelope.get("id", "")) is not None, envelope.get("id", "?"))
result("report mail: sendmail runs with NoNewPrivs", envelope.get("NoNewPrivs") == "1", "NoNewPrivs: " + envelope.get("NoNewPrivs", "?"))

subject = str(message.get("Subject", ""))
pattern = rf"leafwatch report for {re.escape(host)}, {first_day} to {last_day}: (\d+) alerts?"
match = re.fullmatch(pattern, subject)
result("report mail: Subject names host and default period", match is not None, f"Subject: {subject!r}, expected /{pattern}/")
result("report mail: Subject counts the 1 alert episode in the period", match is not None and match.group(1) == "1", f"Subject: {subject!r}")
result("report mail: To is [Report] To=", str(message.get("To", "")) == "ops@example.org", f"To: {message.get('To')!r}")
for header in ("From", "Date", "Message-ID"):
    result(f"report mail: has {header}", bool(message.get(header)), f"{header}: {message.get(header)!r}")

long_lines = [line for line in message_bytes.split(b"\n") if len(line.rstrip(b"\r")) > 998]
result("report mail: no line over 998 bytes", not long_lines, f"{len(long_lines)} long lines, {len(message_bytes)} bytes")

parts = {}
if message.get_content_type() == "multipart/alternative":
    for part in message.iter_parts():
        parts[part.get_content_type()] = part
result("report mail: multipart/alternative with text/plain and text/html",
       set(parts) == {"text/plain", "text/html"},
       f"{message.get_content_type()} with {sorted(parts)}")
texts = {}
for kind, part in parts.items():
    charset = part.get_content_charset()
    texts[kind] = part.get_content()
    result(f"report mail: {kind} part is UTF-8", charset == "utf-8", f"charset={charset}, Content-Transfer-Encoding: {part.get('Content-Transfer-Encoding')}")
text = texts.get("text/plain", "")
html = texts.get("text/html", "")
result("report mail: text part lists the episode of yesterday's failures", "192.0.2.70" in text, f"{len(text)} characters")
result("report mail: HTML part lists the episode of yesterday's failures", "192.0.2.70" in html, f"{len(html)} characters")
result("report mail: text part leaves out today's episodes", "192.0.2.10" not in text and "192.0.2.60" not in text, "192.0.2.10 and 192.0.2.60 are after the period")
EOF

# Checks the JSON report of the test's own hour. Arguments: FILE HOST. Prints
# lines as mail_check.py does.
cat >"$work/json_check.py" <<'EOF'
import json, sys

path, host = sys.argv[1:3]


def result(name, ok, detail):
    print(("ok" if ok else "FAIL") + "\t" + name + "\t" + str(detail).replace("\n", " ")[:300])


try:
    report = json.load(open(path))
except (OSError, ValueError) as error:
    result("JSON report: valid JSON", False, error)
    sys.exit(0)
episodes = report.get("episodes", [])
clients = sorted({e.get("client") for e in episodes})
expected = {"192.0.2.10", "192.0.2.30", "192.0.2.40", "192.0.2.60"}
result("JSON report: episodes are the daemon's alerts of this hour, read from the journal",
       set(clients) == expected, f"clients {clients}, expected {sorted(expected)}")
result("JSON report: episodes carry the container's host name",
       bool(episodes) and all(e.get("host") == host for e in episodes), sorted({e.get("host") for e in episodes}))
counts = {e.get("client"): e.get("count") for e in episodes}
result("JSON report: episode counts", counts.get("192.0.2.10") == 5 and counts.get("192.0.2.30") == 3,
       f"{counts}")
# 4 + 5 + 3 + 3 + 3 failed logins from 192.0.2.20, .10, .30, .40 and .60.
result("JSON report: requests of this hour read from the access log", report.get("requests") == 18,
       f"requests={report.get('requests')}")
problems = report.get("dataQuality", {}).get("sourceProblems")
result("JSON report: no source problems", problems == [], f"sourceProblems={problems}")
EOF

# Turns the lines of mail_check.py or json_check.py on stdin into check lines.
# It must not run in a pipeline, whose subshell would lose the counts.
results() {
  local status name detail
  while IFS=$'\t' read -r status name detail; do
    if [[ $status == ok ]]; then
      pass "$name${detail:+ ($detail)}"
    else
      fail "$name${detail:+: $detail}"
    fi
  done
}

report_props() { in_container "$main_name" systemctl show -p ActiveState,Result,ExecMainStatus "$report_unit" | sort | paste -sd' ' -; }
# report_output: the messages of the report unit's last run.
report_output() {
  local invocation
  invocation=$(in_container "$main_name" systemctl show -p InvocationID --value "$report_unit")
  in_container "$main_name" journalctl --no-pager -o cat "_SYSTEMD_INVOCATION_ID=$invocation" 2>/dev/null
}
mail_files() { in_container "$main_name" sh -c "ls $mail_spool/*.eml 2>/dev/null"; }
# wait_mail COUNT SECONDS: waits until COUNT messages are stored.
wait_mail() {
  local deadline=$((SECONDS + $2))
  while (($(mail_files | wc -l) < $1 && SECONDS < deadline)); do
    sleep 0.2
  done
}
ledger=/var/lib/private/leafwatch/reports.json

report_checks() {
  local out state exposure next seconds host first_day last_day files daemon_uid state_uid since until t0
  host=$(in_container "$main_name" hostname)
  # An empty error log, so that every log pattern of the configuration
  # matches a file and the report has no source problem to note.
  in_container "$main_name" sh -c "install -m 0640 -o root -g adm /dev/null '$log_dir/error.log'"

  # Both units load without warnings, and the timer finds its service.
  out=$(in_container "$main_name" systemd-analyze verify --man=no "$unit_dir/$report_unit" "$unit_dir/$timer_unit" 2>&1)
  check "systemd-analyze verify $report_unit $timer_unit" "${out//$'\n'/ }" test -z "$out"

  out=$(in_container "$main_name" systemd-analyze security --offline=true --no-pager "$unit_dir/$report_unit" 2>&1)
  exposure=$(sed -n 's/.*Overall exposure level for .*: \([0-9][0-9]*\.[0-9]\).*/\1/p' <<<"$out")
  echo "info systemd-analyze security --offline=true $report_unit, the settings that add exposure:"
  grep '✗' <<<"$out" | sed 's/^/info   /'
  check "$report_unit exposure at most $report_max_exposure" "exposure ${exposure:-none}" \
    awk -v score="${exposure:-99}" -v limit="$report_max_exposure" 'BEGIN { exit !(score <= limit) }'

  # The timer: enabled from timers.target, next run on a Friday at 08:00.
  out=$(in_container "$main_name" systemctl enable --now "$timer_unit" 2>&1)
  state=$(in_container "$main_name" systemctl show -p ActiveState,Unit,Persistent,WantedBy "$timer_unit" | sort | paste -sd' ' -)
  check "systemctl enable --now $timer_unit" "is-enabled=$(in_container "$main_name" systemctl is-enabled "$timer_unit" 2>&1), $state" \
    test "$(in_container "$main_name" systemctl is-enabled "$timer_unit" 2>&1)" = enabled -a \
    "$state" = "ActiveState=active Persistent=yes Unit=$report_unit WantedBy=timers.target"
  next=$(in_container "$main_name" systemctl show -p NextElapseUSecRealtime --value "$timer_unit")
  out=$(in_container "$main_name" systemctl list-timers --all --no-pager "$timer_unit" 2>&1 | head -n 2 | tail -n 1)
  seconds=$(($(date -d "$next" +%s 2>/dev/null || echo 0) - $(date +%s)))
  check "next run on a Friday at 08:00 within 7 days" "NextElapseUSecRealtime=$next; list-timers: ${out//  / }" \
    test -n "$(grep -E '^Fri [0-9]{4}-[0-9]{2}-[0-9]{2} 08:00:00 ' <<<"$next")" -a "$seconds" -gt 0 -a "$seconds" -le $((7 * 86400))
  check "enabling the timer did not start the report" "$(report_props)" \
    test "$(in_container "$main_name" systemctl show -p InvocationID --value "$report_unit")" = ""

  # The test's sendmail program and the receiver; the receiver's socket
  # stays closed for the first run.
  test_sendmail_text | in_container "$main_name" sh -c 'mkdir -p /usr/local/libexec && cat > /usr/local/libexec/leafwatch-test-sendmail && chmod 0755 /usr/local/libexec/leafwatch-test-sendmail'
  test_receiver_text | in_container "$main_name" sh -c 'cat > /usr/local/libexec/leafwatch-test-mail-receiver && chmod 0755 /usr/local/libexec/leafwatch-test-mail-receiver'
  test_socket_text | in_container "$main_name" sh -c 'cat > /run/systemd/system/leafwatch-test-mail.socket'
  test_receiver_unit_text | in_container "$main_name" sh -c 'cat > /run/systemd/system/leafwatch-test-mail@.service'
  in_container "$main_name" systemctl daemon-reload

  # Nothing listens on 127.0.0.1:2525: the sendmail program fails, the run
  # exits 75 with the program's message and the ledger stays unwritten.
  t0=$(date +%s.%N)
  out=$(in_container "$main_name" systemctl start "$report_unit" 2>&1)
  state=$(report_props)
  check "report with a failing sendmail program: unit fails with exit 75 ($(seconds_since "$t0") s)" "$state" \
    test "$state" = "ActiveState=failed ExecMainStatus=75 Result=exit-code"
  out=$(report_output)
  check "report with a failing sendmail program: the journal shows the program's error" \
    "$(grep -m 1 -i 'refused' <<<"$out")" grep -qi 'connection refused' <<<"$out"
  check "report with a failing sendmail program: no ledger written" "" \
    in_container "$main_name" test ! -e "$ledger"

  # The receiver listens: the run mails the default period once.
  in_container "$main_name" systemctl start leafwatch-test-mail.socket
  t0=$(date +%s.%N)
  out=$(in_container "$main_name" systemctl start "$report_unit" 2>&1)
  state=$(report_props)
  check "report run mails the default period ($(seconds_since "$t0") s)" "$state${out:+, $out}" \
    test "$state" = "ActiveState=inactive ExecMainStatus=0 Result=success"
  wait_mail 1 5
  files=$(mail_files)
  check "receiver stored one message" "$(grep -c . <<<"$files") files: ${files//$'\n'/ }" test "$(grep -c . <<<"$files")" -eq 1
  if [[ -n $files ]]; then
    in_container "$main_name" cat "$(head -n 1 <<<"$files")" >"$work/mail.eml"
    first_day=$(date -u -d 'today -7 days' +%F)
    last_day=$(date -u -d yesterday +%F)
    results < <(python3 "$work/mail_check.py" "$work/mail.eml" "$host" "$first_day" "$last_day")
  fi
  check "ledger written after the mail" "$(in_container "$main_name" sh -c "ls -l $ledger 2>&1")" \
    in_container "$main_name" test -s "$ledger"

  # The daemon and the report share the dynamic user and the state directory.
  daemon_uid=$(in_container "$main_name" ps -o uid= -p "$(prop "$main_name" MainPID)" | tr -d ' ')
  state_uid=$(in_container "$main_name" stat -c %u /var/lib/private/leafwatch)
  out=$(sed -n 's/^id: uid=\([0-9]*\).*/\1/p' "$work/mail.eml" 2>/dev/null)
  check "report and daemon run as one dynamic user that owns the state directory" \
    "daemon uid $daemon_uid, report uid ${out:-?}, state directory owner $state_uid" \
    test -n "$daemon_uid" -a "$daemon_uid" = "$out" -a "$daemon_uid" = "$state_uid"

  # A second run finds the period in the ledger and mails nothing.
  out=$(in_container "$main_name" systemctl start "$report_unit" 2>&1)
  state=$(report_props)
  check "second report run succeeds" "$state${out:+, $out}" \
    test "$state" = "ActiveState=inactive ExecMainStatus=0 Result=success"
  out=$(report_output)
  check "second report run says the period was already mailed" "$(grep -m 1 -i 'already' <<<"$out")" \
    grep -qi 'already mailed' <<<"$out"
  sleep 1
  files=$(mail_files)
  check "second report run sends no message" "$(grep -c . <<<"$files") messages stored" test "$(grep -c . <<<"$files")" -eq 1

  # The JSON report of the test's own hour, in the unit's sandbox: its
  # episodes are the daemon's alerts, which only a reader of the system
  # journal finds.
  since=$(date -u -d "@$(printf '%.0f' "$start_time")" +%s)
  since=$(date -u -d "@$((since - 3600))" +%Y-%m-%dT%H:%M:%SZ)
  until=$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)
  in_container "$main_name" sh -c "mkdir -p /run/systemd/system/$report_unit.d && cat > /run/systemd/system/$report_unit.d/json.conf" <<EOF
[Service]
ExecStart=
ExecStart=/usr/local/bin/leafwatch report --format json --output /var/lib/leafwatch/test-report.json --since $since --until $until
EOF
  in_container "$main_name" systemctl daemon-reload
  out=$(in_container "$main_name" systemctl start "$report_unit" 2>&1)
  state=$(report_props)
  check "JSON report run from $since to $until in the unit's sandbox" "$state${out:+, $out}" \
    test "$state" = "ActiveState=inactive ExecMainStatus=0 Result=success"
  in_container "$main_name" cat /var/lib/private/leafwatch/test-report.json >"$work/report.json" 2>/dev/null
  results < <(python3 "$work/json_check.py" "$work/report.json" "$host")
  in_container "$main_name" rm -rf "/run/systemd/system/$report_unit.d" /var/lib/private/leafwatch/test-report.json
  in_container "$main_name" systemctl daemon-reload
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

# An episode inside the report's default period, which ends at the start of
# today: 5 failures from 192.0.2.70 at 12:00 UTC yesterday. They are the first
# lines the daemon reads, so no newer line makes them late.
failures 192.0.2.70 5 'yesterday 12:00' | append_log "$main_name"
entries=$(wait_journal "$main_name" 10 LEAFWATCH_CLIENT_IP=192.0.2.70)
alert_check "alert for failures dated yesterday" "$entries" \
  LEAFWATCH_CLIENT_IP=192.0.2.70 LEAFWATCH_EPISODE=open LEAFWATCH_COUNT=5 LEAFWATCH_THRESHOLD=5

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

# The restart kept the state directory: episode numbers go on from 4.
failures 192.0.2.60 3 | append_log "$main_name"
entries=$(wait_journal "$main_name" 10 LEAFWATCH_CLIENT_IP=192.0.2.60)
alert_check "after a restart, episode numbers continue" "$entries" \
  LEAFWATCH_CLIENT_IP=192.0.2.60 LEAFWATCH_EPISODE=open LEAFWATCH_EPISODE_ID=5

report_checks

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
enable_output=$(systemctl --root="$boot_root" enable "$timer_unit" 2>&1 | head -n 1)
check "systemctl --root=... enable $timer_unit" "$enable_output" \
  test -L "$boot_root/etc/systemd/system/timers.target.wants/$timer_unit"

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
# The timer has no record of a missed run, so the boot starts no report.
state=$(in_container "$boot_name" systemctl show -p ActiveState,NextElapseUSecRealtime "$timer_unit" | sort | paste -sd' ' -)
check "$timer_unit active after boot, no report started" "$state, report $(in_container "$boot_name" systemctl show -p ActiveState --value "$report_unit")" \
  test -n "$(grep -E '^ActiveState=active NextElapseUSecRealtime=Fri .* 08:00:00 ' <<<"$state")" -a \
  -z "$(in_container "$boot_name" systemctl show -p InvocationID --value "$report_unit")"

finish
