#!/usr/bin/env bash
# Runs the built leafwatch binary on the bundled samples and on files made
# here, and checks its output and exit statuses as a user would see them.
# Usage: scripts/cli-test.sh [BINARY]   (default .build/release/leafwatch)
set -uo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/release/leafwatch}")
work=$(mktemp -d "${TMPDIR:-/tmp}/leafwatch-cli-XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0
failed=0

# check NAME EXPECTED_STATUS COMMAND...: runs COMMAND, keeping stdout and
# stderr in $work/out and $work/err, and compares its exit status.
check() {
  local name=$1 expected=$2
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local status=$?
  if [[ $status -eq $expected ]]; then
    last_ok=1
  else
    last_ok=0
    echo "FAIL $name: exit status $status, expected $expected"
    sed 's/^/  stderr: /' "$work/err" | head -5
  fi
}

# expect NAME CONDITION...: records the result of the last check and a test command.
expect() {
  local name=$1
  shift
  if [[ $last_ok -eq 1 ]] && "$@"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    [[ $last_ok -eq 1 ]] && echo "FAIL $name: condition '$*' does not hold"
  fi
  last_ok=1
}

contains() { grep -qF -- "$2" "$work/$1"; }
json() { python3 -c "import json,sys; d=json.load(open('$work/out')); sys.exit(0 if ($1) else 1)"; }

check help 0 "$binary" --help
expect "help lists scan" contains out "scan [OPTION]... FILE..."

check version 0 "$binary" --version
expect "version prints the name" contains out "leafwatch "

check "sample text" 0 "$binary" scan samples/access.log
expect "sample text counts lines" contains out "Lines: 131 read, 131 parsed, 0 malformed"
expect "sample text names the sprayer first" bash -c "grep -A2 '^Clients' '$work/out' | tail -1 | grep -q '^  203.0.113.66 '"

check "sample json" 0 "$binary" scan --json samples/access.log
expect "json has status counts" json "d['statusCounts'] == {'200': 49, '303': 16, '400': 1, '401': 34, '403': 3, '404': 3, '408': 1, '502': 16, '503': 8}"
expect "json totals add up" json "d['lines'] == 131 and d['parsed'] == 131 and d['malformed'] == 0"
expect "json orders clients by denials" json "[c['address'] for c in d['clients'][:3]] == ['203.0.113.66', '198.51.100.16', '192.0.2.200']"
expect "json counts the sprayer" json "d['clients'][0] == {'address': '203.0.113.66', 'requests': 15, 'denied': 15, 'serverErrors': 0, 'errorLogFailures': 0}"
expect "json lists every client" json "len(d['clients']) == 19"
expect "json users with failures" json "d['usersWithFailures'][0]['name'] == 'greta' and d['usersWithFailures'][0]['failures'] == 4"

check "error log" 0 "$binary" scan --json --time-zone Europe/Berlin samples/error.log
expect "error log is recognized" json "d['errorLogLines'] == 38 and d['malformed'] == 0"
expect "error log counts failures per client" json "d['clients'][0]['address'] == '203.0.113.66' and d['clients'][0]['errorLogFailures'] == 15"
expect "error log times use the zone" json "d['firstTime'] == '2026-12-03T08:59:00Z'"

check "access and error log" 0 "$binary" scan --json samples/access.log samples/error.log
expect "both logs add up" json "d['lines'] == 169 and d['clients'][0] == {'address': '203.0.113.66', 'requests': 15, 'denied': 15, 'serverErrors': 0, 'errorLogFailures': 15}"

check "explicit error format" 0 "$binary" scan --json --format error samples/error.log
expect "explicit error format parses" json "d['errorLogLines'] == 38"

check "standard input" 0 bash -c "cat samples/access.log | '$binary' scan --json -"
expect "stdin gives the same counts" json "d['lines'] == 131 and d['statusCounts']['401'] == 34"

gzip -c samples/access.log >"$work/access.log.2.gz"
check "gzip file" 0 "$binary" scan --json "$work/access.log.2.gz"
expect "gzip gives the same counts" json "d['lines'] == 131 and d['statusCounts']['502'] == 16"

check "two files" 0 "$binary" scan --json samples/access.log "$work/access.log.2.gz"
expect "two files add up" json "d['lines'] == 262 and d['clients'][0]['denied'] == 30"

{
  head -5 samples/access.log
  printf 'this is not a log line\n'
  printf 'neither\tis\x01this\n'
  tail -5 samples/access.log
} >"$work/mixed.log"
check "malformed lines" 0 "$binary" scan --json "$work/mixed.log"
expect "malformed lines are counted" json "d['lines'] == 12 and d['parsed'] == 10 and d['malformed'] == 2"
expect "malformed line shown with file and line" contains err "'$work/mixed.log':6: "
expect "control bytes are escaped on stderr" contains err 'neither\x09is\x01this'

check "missing file" 66 "$binary" scan "$work/does-not-exist.log"
expect "missing file names the path" contains err "'$work/does-not-exist.log'"

check "missing file among others" 66 "$binary" scan --json samples/access.log "$work/does-not-exist.log"
expect "other files are still counted" json "d['lines'] == 131"

cp samples/access.log "$work/secret.log"
chmod 000 "$work/secret.log"
if [[ $(id -u) -eq 0 ]]; then
  # root reads any file, so the check runs as nobody.
  chmod 755 "$work"
  check "unreadable file" 66 setpriv --reuid=65534 --regid=65534 --clear-groups "$binary" scan "$work/secret.log"
else
  check "unreadable file" 66 "$binary" scan "$work/secret.log"
fi
expect "unreadable file names the path" contains err "failed to open '$work/secret.log': Permission denied"

check "directory" 66 "$binary" scan "$work"
expect "directory names the path" contains err "'$work'"

check "unknown option" 64 "$binary" scan --frobnicate samples/access.log
expect "unknown option is named" contains err "unknown option '--frobnicate'"

check "bad top value" 64 "$binary" scan --top many samples/access.log
expect "bad value is named" contains err "invalid value 'many' for --top"

check "bad format" 64 "$binary" scan --format '%h %Z' samples/access.log
expect "bad format names the directive" contains err "unknown directive '%Z'"

check "unknown time zone" 64 "$binary" scan --time-zone Mars/Olympus samples/access.log
expect "unknown zone is named" contains err "unknown time zone 'Mars/Olympus'"

check "no file" 64 "$binary" scan
expect "no file is reported" contains err "no file given"

check "unknown command" 64 "$binary" frobnicate
expect "unknown command is named" contains err "unknown command 'frobnicate'"

printf 'hello world\nsecond line\n' >"$work/prose.txt"
check "unrecognized format" 65 "$binary" scan "$work/prose.txt"
expect "unrecognized format suggests --format" contains err "name it with --format"

check "explicit common format" 0 "$binary" scan --json --format common samples/access.log
expect "common format reads combined lines" json "d['parsed'] == 131"

check "records" 0 "$binary" scan --records samples/access.log
expect "records has one object per line" bash -c "[[ \$(wc -l <'$work/out') -eq 131 ]]"
expect "records decode fields" bash -c "head -2 '$work/out' | tail -1 | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); sys.exit(0 if r[\"user\"]==\"amira\" and r[\"utc\"]==\"2026-12-03T09:01:03Z\" else 1)'"

check "check-config shipped" 0 "$binary" check-config --config config/leafwatch.conf
expect "check-config lists the file read" contains out "# read config/leafwatch.conf"
expect "check-config prints the defaults" contains out "Window=10min"
expect "check-config prints every section" bash -c "[[ \$(grep -c '^\[' '$work/out') -eq 9 ]]"

check "check-config positional file" 0 "$binary" check-config config/leafwatch.conf
expect "positional file is read" contains out "# read config/leafwatch.conf"

mkdir -p "$work/leafwatch.conf.d"
printf '[RequestFlood]\nThreshold=900\n' >"$work/leafwatch.conf"
printf '[RequestFlood]\nThreshold=1200\n' >"$work/leafwatch.conf.d/50-local.conf"
printf '[RequestFlood]\nThreshold=bad\n' >"$work/leafwatch.conf.d/50-local.conf.bak"
check "check-config drop-in" 0 "$binary" check-config --config "$work/leafwatch.conf"
expect "drop-in is listed" contains out "# read $work/leafwatch.conf.d/50-local.conf"
expect "drop-in overrides the main file" contains out "Threshold=1200"
expect "other names in the drop-in folder are skipped" bash -c "! grep -q 'conf.bak' '$work/out'"

printf '[AuthFailuresPerIP]\nTreshold=5\nWindow=5mins\n\n[Imput]\n' >"$work/broken.conf"
check "check-config broken" 1 "$binary" check-config --config "$work/broken.conf"
expect "unknown key has file, line and hint" contains err "leafwatch: $work/broken.conf:2: unknown key 'Treshold' in [AuthFailuresPerIP]; did you mean 'Threshold'?"
expect "invalid value has file and line" contains err "leafwatch: $work/broken.conf:3: invalid value '5mins' for Window= in [AuthFailuresPerIP]"
expect "every error is printed" bash -c "[[ \$(wc -l <'$work/err') -eq 3 ]]"
expect "nothing on stdout for a broken file" bash -c "[[ ! -s '$work/out' ]]"

check "check-config missing file" 1 "$binary" check-config --config "$work/none.conf"
expect "missing file is named" contains err "$work/none.conf: configuration file not found"

check "check-config bad option" 64 "$binary" check-config --frobnicate
expect "check-config bad option is named" contains err "unknown option '--frobnicate'"

check "check-config two files" 64 "$binary" check-config --config config/leafwatch.conf "$work/broken.conf"
expect "two files are rejected" contains err "more than one configuration file given"

check "flag with a value" 64 "$binary" scan --json=no samples/access.log
expect "flag with a value is named" contains err "option '--json' takes no value"

check "only a missing file" 66 "$binary" scan --json "$work/does-not-exist.log"
expect "no report without any input" bash -c "[[ ! -s '$work/out' ]]"

check "alerts in the sample" 0 "$binary" scan --json --time-zone Europe/Berlin samples/access.log samples/error.log
expect "sample alerts the spray, the burst and greta" json "sorted((a['rule'], a['key'], a['priority']) for a in d['alerts']) == [('auth-failures-per-ip', '203.0.113.66', 'crit'), ('auth-failures-per-user', 'greta', 'crit'), ('server-error-burst', '*', 'err')]"
# 18 failed logins and 3 denials appear in both logs.
expect "a failure in both logs counts once" json "d['detection']['duplicateFailures'] == 18 + 3 and [u for u in d['users'] if u['name'] == 'greta'][0]['failures'] == 4"

# The address history carries over between runs with --state.
printf '[NewClientForUser]\nLearningPeriod=1d\n[Input]\nTimeZone=Europe/Berlin\n' >"$work/learn.conf"
printf '203.0.113.50 - greta [05/Dec/2026:10:00:00 +0100] "GET /portal/checkin HTTP/1.1" 200 5120 "-" "-"\n' >"$work/later.log"
check "state first run" 0 "$binary" scan --json --config "$work/learn.conf" --state "$work/state" samples/access.log samples/error.log
expect "state file is written" test -s "$work/state/users.json"
check "state second run" 0 "$binary" scan --json --config "$work/learn.conf" --state "$work/state" "$work/later.log"
expect "new address alerts with history" json "[(a['rule'], a['key'], a['client']) for a in d['alerts']] == [('new-client-for-user', 'greta', '203.0.113.50')]"
check "no state" 0 "$binary" scan --json --config "$work/learn.conf" "$work/later.log"
expect "no alert without history" json "d['alerts'] == []"

# leafwatch report on the sample: Thursday 2026-12-03 in Berlin.
printf '[Input]\nAccessLog=%s/samples/access.log\nErrorLog=%s/samples/error.log\nTimeZone=Europe/Berlin\n[Report]\nTimeZone=Europe/Berlin\n[State]\nDirectory=%s/report-state\n' \
  "$PWD" "$PWD" "$work" >"$work/report.conf"
check "report json" 0 "$binary" report --config "$work/report.conf" --since 2026-11-30 --until 2026-12-07 --no-journal --format json --host sample.example
expect "report counts the sample's requests" json "d['requests'] == 131 and d['host'] == 'sample.example'"
expect "report marks Thursday" json "[x['date'] for x in d['days'] if x['isCheckInDay']] == ['2026-12-03'] and [x for x in d['days'] if x['isCheckInDay']][0]['requests'] == 131"
expect "report lists the sprayer first" json "d['topDeniedClients'][0]['address'] == '203.0.113.66'"
expect "report says alerts were left out" json "d['dataQuality']['sourceProblems'] == [\"the journal's alerts (--no-journal was given)\"]"
check "report text" 0 "$binary" report --config "$work/report.conf" --since 2026-12-03 --until 2026-12-04 --no-journal
expect "report text names the check-in day" contains out "Check-in day 2026-12-03:"
check "report html to a file" 0 "$binary" report --config "$work/report.conf" --since 2026-12-03 --until 2026-12-04 --no-journal --format html --output "$work/report.html"
expect "report html is written, not printed" bash -c "[[ ! -s '$work/out' ]] && grep -q '<!DOCTYPE html>' '$work/report.html'"
check "report output format from the file name" 0 "$binary" report --config "$work/report.conf" --since 2026-12-03 --until 2026-12-04 --no-journal --output "$work/report.json"
expect "report.json gets JSON" bash -c "python3 -c 'import json; assert json.load(open(\"$work/report.json\"))[\"alertsRead\"] is False'"
check "report invalid --to" 64 "$binary" report --config "$work/report.conf" --mail --to you
expect "report invalid --to is named" contains err "invalid address 'you' for --to"
check "report bad time" 64 "$binary" report --config "$work/report.conf" --since 2026-13-01
expect "report bad time is named" contains err "invalid time '2026-13-01' for --since"
check "report reversed period" 64 "$binary" report --config "$work/report.conf" --since 2026-12-04 --until 2026-12-03
expect "report reversed period is named" contains err "is not before --until"
check "report bad format" 64 "$binary" report --format pdf
expect "report bad format is named" contains err "invalid format 'pdf'"
check "report force without mail" 64 "$binary" report --force
expect "report force needs mail" contains err "--force applies only with --mail"
check "report missing journal directory" 66 "$binary" report --config "$work/report.conf" --since 2026-12-03 --until 2026-12-04 --journal-directory "$work/no-journal"
expect "report missing journal directory is named" contains err "$work/no-journal"
check "report unwritable output" 74 "$binary" report --config "$work/report.conf" --since 2026-12-03 --until 2026-12-04 --no-journal --output "$work/missing/report.txt"
expect "report unwritable output is named" contains err "$work/missing/report.txt"
printf '[Report]\nCheckInDay=Caturday\n' >"$work/bad-report.conf"
check "report invalid configuration" 78 "$binary" report --config "$work/bad-report.conf"
expect "report invalid configuration names file and line" contains err "bad-report.conf:2"
check "report mail without recipients" 0 "$binary" report --config "$work/report.conf" --since 2026-12-03 --until 2026-12-04 --no-journal --mail
expect "report without recipients sends nothing" bash -c "grep -q 'no recipients' '$work/err' && [[ ! -e '$work/report-state/reports.json' ]]"

# An unreadable rotated file is named in the report, and the other files are still read.
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
  mkdir -p "$work/perm/logs"
  cp "$binary" "$work/perm/leafwatch"
  head -60 samples/access.log >"$work/perm/logs/access.log.1"
  tail -n +61 samples/access.log >"$work/perm/logs/access.log"
  chmod 0600 "$work/perm/logs/access.log.1"
  chmod 0644 "$work/perm/logs/access.log"
  printf '[Input]\nAccessLog=%s/perm/logs/access.log\nErrorLog=%s/perm/logs/error.log\n[Report]\nTimeZone=Europe/Berlin\n[State]\nDirectory=%s/perm/state\n' \
    "$work" "$work" "$work" >"$work/perm/report.conf"
  chmod 0755 "$work" "$work/perm" "$work/perm/logs"
  chmod 0644 "$work/perm/report.conf"
  check "report with an unreadable rotated file" 0 setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$work/perm/leafwatch" report --config "$work/perm/report.conf" --since 2026-12-03 --until 2026-12-04 --no-journal --format json
  expect "unreadable file is named, the rest counted" json "d['requests'] == 131 - 60 and any('access.log.1' in p and 'Permission denied' in p for p in d['dataQuality']['sourceProblems'])"
  expect "unreadable file is a warning" contains err "warning: "
  chmod 0700 "$work"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
