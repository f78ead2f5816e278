#!/usr/bin/env bash
# Renders the HTML report of the fixture week (Tests/Fixtures/report-week) to
# a PNG with Debian's headless Chromium, 900 CSS pixels wide and as tall as
# the whole page, and prints the PNG's path.
#
#   scripts/report-screenshot.sh [BINARY] [PNG]
#
# BINARY defaults to .build/release/leafwatch and PNG to docs/report.png.
# Chromium is installed from Debian when the `chromium` command is missing.
#
# Chromium's `--screenshot` flag captures the window only. So the script
# drives Chromium through the DevTools protocol over a pipe
# (--remote-debugging-pipe, no network port): it reads the page's height
# after layout, sets the viewport to it, and takes one screenshot of the
# whole page.
#
# Environment:
#   LEAFWATCH_SCREENSHOT_WIDTH  page width in CSS pixels (default 900)
#
# Exit status: 0 when the PNG was written, 1 when the report or Chromium
# failed, 2 when the binary or the fixture is missing, 64 for a usage error.
set -euo pipefail

if [[ $# -gt 2 ]]; then
  echo "usage: scripts/report-screenshot.sh [BINARY] [PNG]" >&2
  exit 64
fi
repo_root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$repo_root/.build/release/leafwatch}
output=${2:-$repo_root/docs/report.png}
width=${LEAFWATCH_SCREENSHOT_WIDTH:-900}
fixture=$repo_root/Tests/Fixtures/report-week

if [[ ! -x $binary ]]; then
  echo "report-screenshot.sh: leafwatch binary '$binary' not found or not executable;" \
    "build it with 'swift build -c release'" >&2
  exit 2
fi
binary=$(realpath "$binary")
if [[ ! -f $fixture/leafwatch.conf ]]; then
  echo "report-screenshot.sh: the fixture week '$fixture' is missing" >&2
  exit 2
fi

if ! command -v chromium >/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    sudo=sudo
  else
    sudo=
  fi
  echo "report-screenshot.sh: installing chromium" >&2
  # While installing, a policy-rc.d that exits 101 keeps packages from
  # starting services on this machine. An existing one is left as it is.
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    added_policy=1
    trap '$sudo rm -f "$policy"' EXIT
  fi
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends chromium fonts-dejavu-core >/dev/null
  if ((added_policy)); then
    $sudo rm -f "$policy"
    trap - EXIT
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/leafwatch-report-screenshot-XXXXXX")
trap 'rm -rf "$work"' EXIT

# The fixture's configuration names its folder as @DIR@. The copy gets
# absolute paths and an empty state directory, as in the golden test.
cp -r "$fixture" "$work/week"
mkdir "$work/week/state"
sed "s|@DIR@|$work/week|g" "$fixture/leafwatch.conf" >"$work/week/leafwatch.conf"

# The alert episodes come from a journal directory: the episodes that
# `leafwatch scan` finds in the week, as the close alerts the daemon would
# have written, passed through systemd-journal-remote in journal export
# format with receive times in the week. Without systemd-journal-remote the
# report is made without alerts.
journal_option=(--no-journal)
if [[ -x /lib/systemd/systemd-journal-remote ]]; then
  (cd "$work/week" && "$binary" scan --json --config leafwatch.conf \
    access.log.3.gz access.log.2.gz access.log.1 access.log error.log.3.gz error.log.2.gz error.log.1 error.log) \
    >"$work/scan.json" 2>/dev/null
  mkdir "$work/journal"
  python3 - "$work/scan.json" >"$work/alerts.export" <<'PYTHON'
import calendar
import json
import sys
import time

ids = {"auth-failures-per-ip": "549ffba2625c44668d6fefd85283c6a3", "auth-failures-per-user": "b51bc204a0a14b7ea00cce661f519eec",
       "new-client-for-user": "ce76e333ceb74e5a9d18ee1ef93f907c", "server-error-burst": "575aea71855a4979b77319615a2c93b5",
       "request-flood": "0688c7aa6e234eedaa9705568df593d6"}
priorities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
keys = {"client": "LEAFWATCH_CLIENT_IP", "user": "LEAFWATCH_USER", "virtualHost": "LEAFWATCH_VHOST"}
for number, alert in enumerate(json.load(open(sys.argv[1]))["alerts"], start=1):
    last = calendar.timegm(time.strptime(alert["lastSeen"], "%Y-%m-%dT%H:%M:%SZ"))
    received = (last + alert["window"] + 300) * 1_000_000
    fields = {"__REALTIME_TIMESTAMP": received, "__MONOTONIC_TIMESTAMP": received,
              "_BOOT_ID": "5e0c2a9b7d1f4e3a8b6c0d2e4f6a8b0c", "_HOSTNAME": "www", "SYSLOG_IDENTIFIER": "leafwatch",
              "MESSAGE": f"{alert['rule']} {alert['key']}", "MESSAGE_ID": ids[alert["rule"]],
              "PRIORITY": priorities.index(alert["priority"]), "LEAFWATCH_RULE": alert["rule"],
              "LEAFWATCH_EPISODE": "close", "LEAFWATCH_EPISODE_ID": number, "LEAFWATCH_COUNT": alert["count"],
              "LEAFWATCH_THRESHOLD": alert["threshold"], "LEAFWATCH_WINDOW_SEC": alert["window"],
              "LEAFWATCH_FIRST_SEEN": alert["firstSeen"], "LEAFWATCH_LAST_SEEN": alert["lastSeen"]}
    for name, field in keys.items():
        if alert.get(name):
            fields[field] = alert[name]
    print("".join(f"{name}={value}\n" for name, value in fields.items()))
PYTHON
  /lib/systemd/systemd-journal-remote --output="$work/journal/remote.journal" - <"$work/alerts.export" 2>/dev/null
  journal_option=(--journal-directory "$work/journal")
fi

html=$work/report.html
"$binary" report --config "$work/week/leafwatch.conf" --since 2026-10-19 --until 2026-10-26 \
  "${journal_option[@]}" --host www.example.org --format html --output "$html"

mkdir -p "$(dirname "$output")"
python3 - "$html" "$output" "$width" "$work/chromium-profile" <<'PY'
import base64
import fcntl
import json
import os
import select
import subprocess
import sys
import time

html, output, width, profile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
timeout_seconds = 60

def high_descriptor(descriptor):
    """Return a copy of descriptor numbered 10 or higher and close the original.

    The child's ends are moved there so that the dup2 onto 3 and 4 neither
    overwrites the other end nor keeps close-on-exec, which dup2 of a
    descriptor onto itself would."""
    copy = fcntl.fcntl(descriptor, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(descriptor)
    return copy


# With --remote-debugging-pipe, Chromium reads protocol messages from file
# descriptor 3 and writes its own to descriptor 4, each a JSON text ended by
# a NUL byte.
to_chromium_read, to_chromium_write = os.pipe()
from_chromium_read, from_chromium_write = os.pipe()
to_chromium_read = high_descriptor(to_chromium_read)
from_chromium_write = high_descriptor(from_chromium_write)
log_path = f"{profile}.log"


def map_pipes():
    os.dup2(to_chromium_read, 3)
    os.dup2(from_chromium_write, 4)


chromium = subprocess.Popen(
    ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
     "--no-first-run", "--no-default-browser-check", "--disable-extensions",
     f"--user-data-dir={profile}", "--remote-debugging-pipe"],
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(log_path, "wb"),
    preexec_fn=map_pipes, close_fds=False)
os.close(to_chromium_read)
os.close(from_chromium_write)

deadline = time.monotonic() + timeout_seconds


def fail(text):
    """Print text and the end of Chromium's log, stop Chromium and exit 1."""
    print(f"report-screenshot.sh: {text}", file=sys.stderr)
    with open(log_path, errors="replace") as f:
        for line in f.readlines()[-20:]:
            print(f"  chromium: {line.rstrip()}", file=sys.stderr)
    chromium.kill()
    chromium.wait()
    sys.exit(1)


buffer = b""
next_id = 0


def receive():
    """Return the next message from Chromium."""
    global buffer
    while b"\0" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([from_chromium_read], [], [], remaining)[0]:
            fail(f"Chromium did not answer within {timeout_seconds} s")
        chunk = os.read(from_chromium_read, 1 << 20)
        if not chunk:
            fail("Chromium closed its DevTools pipe before the screenshot was taken")
        buffer += chunk
    message, buffer = buffer.split(b"\0", 1)
    return json.loads(message)


def send(method, session=None, **params):
    """Send one command and return its result, keeping events aside."""
    global next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params}
    if session:
        message["sessionId"] = session
    try:
        os.write(to_chromium_write, json.dumps(message).encode() + b"\0")
    except BrokenPipeError:
        fail(f"Chromium exited before it received {method}")
    while True:
        reply = receive()
        if reply.get("id") == next_id:
            if "error" in reply:
                fail(f"Chromium rejected {method}: {reply['error']}")
            return reply["result"]
        events.append(reply)


def wait_for_event(method, session):
    while True:
        for index, event in enumerate(events):
            if event.get("method") == method and event.get("sessionId") == session:
                return events.pop(index)
        events.append(receive())


events = []
target = send("Target.createTarget", url="about:blank")["targetId"]
session = send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
send("Page.enable", session)
send("Emulation.setDeviceMetricsOverride", session, width=width, height=800, deviceScaleFactor=1, mobile=False)
send("Page.navigate", session, url="file://" + os.path.abspath(html))
wait_for_event("Page.loadEventFired", session)

# The viewport is made as tall as the page at this width, so that one
# capture contains the whole page.
content = send("Page.getLayoutMetrics", session)["cssContentSize"]
height = int(content["height"] + 0.999)
if content["width"] > width:
    print(f"report-screenshot.sh: warning: the page is {content['width']:.0f} px wide, wider than the"
          f" {width} px window, so the picture cuts off its right side", file=sys.stderr)
send("Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1, mobile=False)
picture = send("Page.captureScreenshot", session, format="png")["data"]
with open(output, "wb") as f:
    f.write(base64.b64decode(picture))

# Chromium may exit before it replies to Browser.close, so no reply is awaited.
os.write(to_chromium_write, json.dumps({"id": next_id + 1, "method": "Browser.close"}).encode() + b"\0")
try:
    chromium.wait(timeout=10)
except subprocess.TimeoutExpired:
    chromium.kill()
    chromium.wait()
print(f"{width}×{height} CSS pixels", file=sys.stderr)
PY

echo "$output"
