#!/usr/bin/env python3
"""End-to-end tests of `leafwatch run` with a real journald, Apache and logrotate.

Usage: scripts/daemon-test.py [--private-journal] BINARY [NAME...]

NAME selects the tests whose name contains it. The script first runs
`scripts/services.sh start` (a journald when none responds, and an Apache of
its own on a loopback port) and stops those services again at the end when
they were not running before.

--private-journal runs everything in a mount namespace of its own, with
empty tmpfs mounts on the journal's directories, so that the tests start
and stop their own journald and read only its entries. This keeps them apart
from other programs on the machine that start or stop a journald meanwhile.

Each test makes a directory with logs, a state directory and a configuration,
then starts `BINARY run --config CONF --log-target journal` with
NOTIFY_SOCKET naming a datagram socket of the test, and waits for READY=1 on
it. It writes log lines (or lets Apache and curl write them), reads the
daemon's entries back with `journalctl -o json _PID=PID
SYSLOG_IDENTIFIER=leafwatch`, and ends the daemon with SIGTERM, which must
send STOPPING=1 and exit with status 0.

To count lines exactly, most tests set [AuthFailuresPerIP] Threshold=1 and
give every line its own client address: each line must then open exactly one
episode, and its close alert must carry LEAFWATCH_COUNT=1. A lost line has no
alert, and a line read twice opens a second episode or closes with a count of
2. Episodes close after a quiet span of Window= plus MaxLateness=, so the
short spans below keep each test to a few seconds.

The log rotation test with Apache makes every request from its own loopback
address, with [RequestFlood] Threshold=1, so the alerts name each request the
daemon read. No request may be counted twice. A request may be missing only
when its line is in no log file: logrotate(8) warns that copytruncate can lose
lines written between its copy and its truncation, and a daemon reads those
only if it gets to them first.

Set LEAFWATCH_KEEP_TEST_DIRS=1 to keep the test directories for inspection.
"""

import collections
import itertools
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES_SCRIPT = ROOT / "scripts" / "services.sh"
SERVICES_DIR = Path(os.environ.get("LEAFWATCH_SERVICES_DIR", "/tmp/leafwatch-services"))
KEEP_DIRS = os.environ.get("LEAFWATCH_KEEP_TEST_DIRS") == "1"
# Requests of the log rotation test, at most.
MAX_ROTATION_REQUESTS = 2400

# Set by main() from the command line.
BINARY = ""

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

ALERT_FIELDS = [
    "MESSAGE", "PRIORITY", "MESSAGE_ID", "LEAFWATCH_RULE", "LEAFWATCH_EPISODE", "LEAFWATCH_EPISODE_ID",
    "LEAFWATCH_CLIENT_IP", "LEAFWATCH_USER", "LEAFWATCH_COUNT", "LEAFWATCH_THRESHOLD", "LEAFWATCH_WINDOW_SEC",
    "LEAFWATCH_FIRST_SEEN", "LEAFWATCH_LAST_SEEN", "LEAFWATCH_LOG_PATH",
]


# Log lines ------------------------------------------------------------------

def access_time(when):
    t = time.gmtime(when)
    return f"{t.tm_mday:02d}/{MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def iso_time(when):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def access_line(client, user="intruder", status=401, path="/private/", when=None):
    """Returns one line in Apache's combined format, stamped now (UTC) unless `when` is given.

    The defaults make a failed login; a 401 with the user `-` would be the
    browser's challenge, which no rule counts."""
    stamp = access_time(time.time() if when is None else when)
    return f'{client} - {user} [{stamp}] "GET {path} HTTP/1.1" {status} 381 "-" "daemon-test"\n'.encode()


def error_line(client, user, when=None):
    """Returns an Apache 2.4 error-log line for a wrong password (AH01617), in UTC without an offset."""
    when = time.time() if when is None else when
    t = time.gmtime(when)
    micros = int((when % 1) * 1_000_000)
    stamp = (f"{WEEKDAYS[t.tm_wday]} {MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
             f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{micros:06d} {t.tm_year}")
    return (f"[{stamp}] [auth_basic:error] [pid 4242:tid 4243] [client {client}:51234] "
            f'AH01617: user {user}: authentication failure for "/private/": Password Mismatch\n').encode()


def clients(prefix, count):
    """Returns `count` distinct IPv4 addresses under the /16 `prefix` (such as '10.3')."""
    return [f"{prefix}.{i // 250}.{i % 250 + 1}" for i in range(count)]


class Writer:
    """An open log file that a web server appends to: O_APPEND, unbuffered."""

    def __init__(self, path):
        self.path = Path(path)
        self.file = open(self.path, "ab", buffering=0)

    def write(self, data):
        self.file.write(data)

    def lines(self, addresses, pause=0.0, **fields):
        for address in addresses:
            self.write(access_line(address, **fields))
            if pause:
                time.sleep(pause)

    def reopen(self):
        self.file.close()
        self.file = open(self.path, "ab", buffering=0)

    def close(self):
        self.file.close()


# Journal --------------------------------------------------------------------

def field(entry, name):
    """Returns a journal field as text; journalctl writes non-UTF-8 or binary values as arrays of bytes."""
    value = entry.get(name)
    if isinstance(value, list):
        if all(isinstance(item, int) for item in value):
            return bytes(value).decode("utf-8", "backslashreplace")
        raise AssertionError(f"field {name} appears {len(value)} times in one entry: {value!r}")
    return value


def read_journal(pid, since):
    command = ["journalctl", "--no-pager", "-q", "-o", "json", "--since", f"@{int(since) - 1}",
               "SYSLOG_IDENTIFIER=leafwatch", f"_PID={pid}"]
    output = subprocess.run(command, capture_output=True, check=False, timeout=30).stdout
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def suppression_note(since):
    """Returns journald's notes on entries it dropped by rate limiting since `since`, or ''."""
    command = ["journalctl", "--no-pager", "-q", "-o", "cat", "--since", f"@{int(since) - 1}",
               "SYSLOG_IDENTIFIER=systemd-journald"]
    output = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30).stdout
    notes = [line for line in output.splitlines() if "Suppressed" in line]
    return f"; journald dropped entries: {notes}" if notes else ""


def summarize(entry):
    names = ["LEAFWATCH_EVENT", "LEAFWATCH_RULE", "LEAFWATCH_EPISODE", "LEAFWATCH_EPISODE_ID", "LEAFWATCH_CLIENT_IP",
             "LEAFWATCH_USER", "LEAFWATCH_COUNT", "LEAFWATCH_LOG_PATH", "ERRNO", "LEAFWATCH_CONFIG_FILE",
             "LEAFWATCH_CONFIG_LINE"]
    parts = [f"{name.removeprefix('LEAFWATCH_').lower()}={field(entry, name)}" for name in names if name in entry]
    return f"    pid {entry.get('_PID')} p{entry.get('PRIORITY')}: {' '.join(parts)} | {field(entry, 'MESSAGE')}"


def summarize_all(entries, limit=60):
    lines = [summarize(entry) for entry in entries]
    if len(lines) > limit:
        lines = lines[:limit // 2] + [f"    ... {len(lines) - limit} more ..."] + lines[-limit // 2:]
    return "\n".join(lines) if lines else "    (no entries)"


# Service manager notifications -----------------------------------------------

class NotifySocket:
    """A datagram socket in place of systemd's NOTIFY_SOCKET.

    A thread drains it all the time: a Unix datagram socket queues only
    net.unix.max_dgram_qlen (10) messages, and a full queue would block the
    daemon in sd_notify.
    """

    def __init__(self, path):
        self.path = str(path)
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        # A daemon running as another user needs write access to send.
        os.chmod(self.path, 0o666)
        self.lock = threading.Lock()
        self.messages = []
        self.closed = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.closed:
            readable, _, _ = select.select([self.socket], [], [], 0.1)
            if readable:
                self.drain()

    def drain(self):
        while True:
            try:
                data = self.socket.recv(65536, socket.MSG_DONTWAIT)
            except (BlockingIOError, OSError):
                return
            with self.lock:
                self.messages.append(data.decode("utf-8", "backslashreplace"))

    def snapshot(self):
        self.drain()
        with self.lock:
            return list(self.messages)

    def close(self):
        self.closed = True
        self.thread.join(timeout=2)
        self.socket.close()


def has_assignment(message, assignment):
    return assignment in message.split("\n")


# The daemon -----------------------------------------------------------------

class Daemon:
    """One `leafwatch run` process of a test."""

    def __init__(self, case, prefix=(), binary=None, extra_environment=None):
        self.case = case
        self.index = len(case.daemons)
        self.notify = NotifySocket(case.dir / f"notify-{self.index}.sock")
        self.output_path = case.dir / f"daemon-{self.index}.output"
        environment = dict(os.environ, NOTIFY_SOCKET=self.notify.path)
        for name in ("JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID"):
            environment.pop(name, None)
        environment.update(extra_environment or {})
        self.since = time.time()
        command = [*prefix, str(binary or BINARY), "run", "--config", str(case.config_path), "--log-target", "journal"]
        with open(self.output_path, "wb") as output:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                                            env=environment)
        self.pid = self.process.pid
        self.exit_status = None

    def output(self):
        text = self.output_path.read_text(errors="backslashreplace").strip()
        return text[-3000:] if text else "(nothing)"

    def entries(self):
        return read_journal(self.pid, self.since)

    def running(self):
        return self.process.poll() is None

    def describe(self):
        return (f"daemon {self.index} (PID {self.pid}) output:\n    {self.output()}\n"
                f"  notify messages: {self.notify.snapshot()!r}\n"
                f"  journal:\n{summarize_all(self.entries())}")

    def wait_ready(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(has_assignment(m, "READY=1") for m in self.notify.snapshot()):
                return
            if not self.running():
                raise AssertionError(f"daemon exited with status {self.process.returncode} before READY=1\n"
                                     + self.describe())
            time.sleep(0.05)
        raise AssertionError(f"no READY=1 on the notify socket within {timeout} s\n" + self.describe())

    def wait_notify(self, predicate, start, description, timeout=10):
        """Waits for a notify message after the first `start` ones; returns its index."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.notify.snapshot()
            for index in range(start, len(messages)):
                if predicate(messages[index]):
                    return index
            time.sleep(0.05)
        raise AssertionError(f"no notify message with {description} within {timeout} s\n" + self.describe())

    def send(self, number):
        os.kill(self.pid, number)

    def stop(self, test):
        """Sends SIGTERM and checks for STOPPING=1, a `stopping` event and exit status 0."""
        start = len(self.notify.snapshot())
        self.send(signal.SIGTERM)
        try:
            self.exit_status = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("daemon still running 15 s after SIGTERM; killed it\n" + self.describe())
        messages = self.notify.snapshot()[start:]
        test.assertEqual(self.exit_status, 0, "exit status after SIGTERM\n" + self.describe())
        test.assertTrue(any(has_assignment(m, "STOPPING=1") for m in messages),
                        f"no STOPPING=1 after SIGTERM; messages after it: {messages!r}")
        test.assertTrue(any(field(e, "LEAFWATCH_EVENT") == "stopping" for e in self.entries()),
                        "no 'stopping' event in the journal\n" + self.describe())

    def kill(self):
        if self.running():
            self.process.kill()
        self.exit_status = self.process.wait()

    def cleanup(self):
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.notify.close()


def base_config(case):
    return {
        "Input": {"AccessLog": f"{case.logs}/*access.log", "ErrorLog": f"{case.logs}/*error.log",
                  "StartAt": "beginning", "TimeZone": "UTC"},
        "State": {"Directory": str(case.state), "CheckpointInterval": "1s"},
        "AuthFailuresPerIP": {"Threshold": "1", "Window": "2s"},
        "AuthFailuresPerUser": {"Enabled": "no"},
        "NewClientForUser": {"Enabled": "no"},
        "ServerErrorBurst": {"Enabled": "no"},
        "RequestFlood": {"Enabled": "no"},
        "Alerts": {"MaxLateness": "3s"},
    }


def render_config(sections):
    lines = ["# Written by scripts/daemon-test.py."]
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key}={value}" for key, value in keys.items())
        lines.append("")
    return "\n".join(lines)


class Case:
    """The directory, configuration and daemons of one test."""

    def __init__(self, test, **sections):
        self.test = test
        name = test.id().rsplit(".", 1)[-1].removeprefix("test_")
        self.dir = Path(tempfile.mkdtemp(prefix=f"leafwatch-it-{name}-"))
        os.chmod(self.dir, 0o755)
        self.logs = self.dir / "logs"
        self.state = self.dir / "state"
        self.logs.mkdir()
        self.state.mkdir()
        self.config_path = self.dir / "leafwatch.conf"
        self.daemons = []
        self.configure(**sections)
        test.addCleanup(self.cleanup)

    def configure(self, **sections):
        """Writes the configuration: the base one, with each given section's keys replacing or adding."""
        config = base_config(self)
        for section, keys in sections.items():
            config.setdefault(section, {}).update(keys)
        self.config_path.write_text(render_config(config))

    def start(self, prefix=(), binary=None, environment=None):
        daemon = Daemon(self, prefix, binary, environment)
        self.daemons.append(daemon)
        daemon.wait_ready()
        return daemon

    def entries(self):
        result = []
        for daemon in self.daemons:
            result.extend(daemon.entries())
        return result

    def describe(self):
        return "\n".join(daemon.describe() for daemon in self.daemons)

    def wait_until(self, predicate, timeout=10):
        """Polls the journal until predicate(entries) holds; returns (satisfied, entries)."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self.entries()
            if predicate(entries):
                return True, entries
            if time.monotonic() >= deadline:
                return False, entries
            time.sleep(0.2)

    def expect(self, predicate, description, timeout=10):
        satisfied, entries = self.wait_until(predicate, timeout)
        if not satisfied:
            raise AssertionError(f"timed out after {timeout} s waiting for {description}\n" + self.describe())
        return entries

    def expect_event(self, kind, path=None, timeout=10):
        def matches(entry):
            return field(entry, "LEAFWATCH_EVENT") == kind and (path is None or field(entry, "LEAFWATCH_LOG_PATH") == str(path))
        entries = self.expect(lambda es: any(matches(e) for e in es),
                              f"a '{kind}' event" + (f" for '{path}'" if path else ""), timeout)
        return [e for e in entries if matches(e)]

    def expect_each_once(self, addresses, rule="auth-failures-per-ip", daemons=None, timeout=20):
        """Checks that every address opened exactly one episode of `rule` and closed it with count 1,
        and that no other address opened one, among the alerts of `daemons` (default all)."""
        expected = set(addresses)
        chosen = daemons if daemons is not None else self.daemons

        def collect():
            entries = []
            for daemon in chosen:
                entries.extend(daemon.entries())
            return [e for e in entries if field(e, "LEAFWATCH_RULE") == rule]

        deadline = time.monotonic() + timeout
        while True:
            alerts = collect()
            closed = {field(e, "LEAFWATCH_CLIENT_IP") for e in alerts if field(e, "LEAFWATCH_EPISODE") == "close"}
            if expected <= closed or time.monotonic() >= deadline:
                break
            time.sleep(0.3)

        opens = collections.Counter(field(e, "LEAFWATCH_CLIENT_IP") for e in alerts
                                    if field(e, "LEAFWATCH_EPISODE") == "open")
        missing = sorted(expected - set(opens))
        unexpected = sorted(set(opens) - expected)
        repeated = {address: n for address, n in opens.items() if n > 1}
        closes = [e for e in alerts if field(e, "LEAFWATCH_EPISODE") == "close"
                  and field(e, "LEAFWATCH_CLIENT_IP") in expected]
        wrong_counts = {field(e, "LEAFWATCH_CLIENT_IP"): field(e, "LEAFWATCH_COUNT") for e in closes
                        if field(e, "LEAFWATCH_COUNT") != "1"}
        unclosed = sorted(expected - {field(e, "LEAFWATCH_CLIENT_IP") for e in closes})
        problems = []
        if missing:
            problems.append(f"{len(missing)} of {len(expected)} lines never alerted (lost): {missing[:20]}")
        if repeated:
            problems.append(f"addresses with more than one open alert (read twice): {repeated}")
        if wrong_counts:
            problems.append(f"close alerts with a count other than 1 (read twice): {wrong_counts}")
        if unexpected:
            problems.append(f"alerts for addresses never written: {unexpected[:20]}")
        if unclosed and not missing:
            problems.append(f"episodes not closed within {timeout} s: {unclosed[:20]}")
        if problems:
            raise AssertionError("; ".join(problems) + suppression_note(chosen[0].since) + "\n" + self.describe())
        return alerts

    def stop_all(self):
        for daemon in self.daemons:
            if daemon.running():
                daemon.stop(self.test)

    def cleanup(self):
        for daemon in self.daemons:
            daemon.cleanup()
        if KEEP_DIRS:
            print(f"     kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def open_alerts(entries, rule=None, address=None, user=None):
    return alerts_of(entries, "open", rule, address, user)


def alerts_of(entries, phase, rule=None, address=None, user=None):
    return [e for e in entries
            if field(e, "LEAFWATCH_EPISODE") == phase
            and (rule is None or field(e, "LEAFWATCH_RULE") == rule)
            and (address is None or field(e, "LEAFWATCH_CLIENT_IP") == address)
            and (user is None or field(e, "LEAFWATCH_USER") == user)]


def events_of(entries, kind, path=None):
    return [e for e in entries if field(e, "LEAFWATCH_EVENT") == kind
            and (path is None or field(e, "LEAFWATCH_LOG_PATH") == str(path))]


# Tests with written log files -----------------------------------------------

class DaemonTests(unittest.TestCase):

    def test_alert_fields_and_notify(self):
        case = Case(self, AuthFailuresPerUser={"Enabled": "yes", "Threshold": "1", "Window": "2s"})
        access = case.logs / "access.log"
        errors = case.logs / "error.log"
        access.touch()
        errors.touch()
        daemon = case.start()

        started = case.expect_event("started")[0]
        self.assertRegex(field(started, "MESSAGE_ID"), r"^[0-9a-f]{32}$", "MESSAGE_ID of 'started'")
        case.expect_event("file-opened", access)
        case.expect_event("file-opened", errors)

        # STATUS= names the number of followed files.
        index = daemon.wait_notify(lambda m: "STATUS=" in m, 0, "STATUS=")
        status = daemon.notify.snapshot()[index]
        self.assertRegex(status, r"STATUS=Following 2 files?\b", "STATUS= should count access.log and error.log")

        when = int(time.time())
        Writer(access).write(access_line("192.0.2.10", user="alice", when=when))
        # A user name with an escape sequence and a bell, as Apache escapes them in its log.
        Writer(access).write(access_line("192.0.2.11", user="eve\\x1b[31mred\\x07", when=when))
        # A user name far longer than MaxMessageLength=512.
        Writer(access).write(access_line("192.0.2.12", user="x" * 2000, when=when))
        Writer(errors).write(error_line("192.0.2.13", "dave", when=when))

        # STATUS= counts the open episodes: four per rule until they close.
        case.expect(lambda es: len(open_alerts(es)) >= 8, "open alerts for four lines and two rules")
        start = len(daemon.notify.snapshot())
        daemon.wait_notify(lambda m: re.search(r"STATUS=.*\b[1-9][0-9]* open episodes", m) is not None, start,
                           "STATUS= with open episodes while the episodes are open", timeout=4)

        entries = case.expect(
            lambda es: len(alerts_of(es, "close", "auth-failures-per-ip")) >= 4
            and len(alerts_of(es, "close", "auth-failures-per-user")) >= 4,
            "open and close alerts of both rules for four lines", timeout=20)

        # The per-address alert of the first line, field by field.
        opened = open_alerts(entries, "auth-failures-per-ip", "192.0.2.10")
        self.assertEqual(len(opened), 1, "open alerts for 192.0.2.10\n" + summarize_all(entries))
        alert = opened[0]
        self.assertEqual(field(alert, "SYSLOG_IDENTIFIER"), "leafwatch")
        self.assertRegex(field(alert, "MESSAGE_ID"), r"^[0-9a-f]{32}$")
        self.assertIn("192.0.2.10", field(alert, "MESSAGE"))
        # crit (2): alice never logged in from this address.
        self.assertEqual(field(alert, "PRIORITY"), "2", "EscalatedPriority=crit for an address the user never used")
        self.assertEqual(field(alert, "LEAFWATCH_RULE"), "auth-failures-per-ip")
        self.assertRegex(field(alert, "LEAFWATCH_EPISODE_ID"), r"^[0-9]+$")
        self.assertEqual(field(alert, "LEAFWATCH_CLIENT_IP"), "192.0.2.10")
        self.assertEqual(field(alert, "LEAFWATCH_COUNT"), "1")
        self.assertEqual(field(alert, "LEAFWATCH_THRESHOLD"), "1")
        self.assertEqual(field(alert, "LEAFWATCH_WINDOW_SEC"), "2")
        self.assertEqual(field(alert, "LEAFWATCH_FIRST_SEEN"), iso_time(when))
        self.assertEqual(field(alert, "LEAFWATCH_LAST_SEEN"), iso_time(when))
        self.assertEqual(field(alert, "LEAFWATCH_LOG_PATH"), str(access))

        # The per-user alert of the same line carries the user.
        by_user = open_alerts(entries, "auth-failures-per-user", user="alice")
        self.assertEqual(len(by_user), 1, "open per-user alerts for alice\n" + summarize_all(entries))
        self.assertEqual(field(by_user[0], "LEAFWATCH_USER"), "alice")
        self.assertIn("alice", field(by_user[0], "MESSAGE"))
        self.assertNotEqual(field(by_user[0], "MESSAGE_ID"), field(alert, "MESSAGE_ID"), "MESSAGE_ID per rule")
        self.assertNotEqual(field(by_user[0], "LEAFWATCH_EPISODE_ID"), field(alert, "LEAFWATCH_EPISODE_ID"))

        # Every field of the contract appears on some alert.
        alerts = [e for e in entries if "LEAFWATCH_RULE" in e]
        absent = [name for name in ALERT_FIELDS if not any(name in e for e in alerts)]
        self.assertEqual(absent, [], "alert fields that no alert carries")
        same_rule = {field(e, "MESSAGE_ID") for e in alerts if field(e, "LEAFWATCH_RULE") == "auth-failures-per-ip"}
        self.assertEqual(len(same_rule), 1, "one MESSAGE_ID for every auth-failures-per-ip alert")

        # The close alert: same episode, total count, no log path (closed by time passing).
        closed = alerts_of(entries, "close", "auth-failures-per-ip", "192.0.2.10")
        self.assertEqual(len(closed), 1, "close alerts for 192.0.2.10")
        self.assertEqual(field(closed[0], "LEAFWATCH_EPISODE_ID"), field(alert, "LEAFWATCH_EPISODE_ID"))
        self.assertEqual(field(closed[0], "LEAFWATCH_COUNT"), "1")
        self.assertNotIn("LEAFWATCH_LOG_PATH", closed[0])

        # Client-controlled text: no control characters, bounded length.
        per_user = open_alerts(entries, "auth-failures-per-user")
        self.assertEqual(len(per_user), 4, "open per-user alerts\n" + summarize_all(entries))
        for entry in per_user:
            message = field(entry, "MESSAGE")
            self.assertFalse(re.search(r"[\x00-\x1f\x7f]", message), f"control character in MESSAGE {message!r}")
            self.assertLessEqual(len(message.encode()), 512, f"MESSAGE longer than MaxMessageLength=512: {message!r}")

        # The error-log line: its own path, its time read as UTC.
        from_error_log = open_alerts(entries, "auth-failures-per-ip", "192.0.2.13")
        self.assertEqual(len(from_error_log), 1, "open alerts for the error-log line\n" + summarize_all(entries))
        self.assertEqual(field(from_error_log[0], "LEAFWATCH_LOG_PATH"), str(errors))
        self.assertEqual(field(from_error_log[0], "LEAFWATCH_FIRST_SEEN"), iso_time(when))

        daemon.stop(self)
        state = json.loads((case.state / "daemon.json").read_text())
        self.assertIsInstance(state, dict, "daemon.json holds a JSON object")

    def test_watchdog_pings(self):
        case = Case(self)
        # WATCHDOG_USEC=1 s without WATCHDOG_PID: pings are due every 0.5 s.
        daemon = case.start(environment={"WATCHDOG_USEC": "1000000"})
        start = len(daemon.notify.snapshot())
        time.sleep(3.0)
        pings = [m for m in daemon.notify.snapshot()[start:] if has_assignment(m, "WATCHDOG=1")]
        self.assertGreaterEqual(len(pings), 4, f"WATCHDOG=1 messages in 3 s with WATCHDOG_USEC=1000000: {pings!r}")
        self.assertLessEqual(len(pings), 9, f"WATCHDOG=1 messages in 3 s with WATCHDOG_USEC=1000000: {pings!r}")
        case.stop_all()

    def test_rename_rotation_during_writes(self):
        case = Case(self)
        log = case.logs / "access.log"
        log.touch()
        case.start()
        addresses = clients("10.1", 90)
        writer = Writer(log)
        writer.lines(addresses[:30], pause=0.004)
        # logrotate 'create': rename and create an empty file. The server
        # writes five more lines to the renamed file before it reopens.
        os.rename(log, case.logs / "access.log.1")
        log.touch()
        writer.lines(addresses[30:35], pause=0.004)
        writer.reopen()
        writer.lines(addresses[35:65], pause=0.004)
        # 'dateext' names; the server reopens at once and creates the file itself.
        os.rename(log, case.logs / "access.log-20260101")
        writer.reopen()
        writer.lines(addresses[65:], pause=0.004)
        writer.close()
        case.expect_each_once(addresses)
        rotated = events_of(case.entries(), "file-rotated", log)
        self.assertEqual(len(rotated), 2, "one file-rotated event per rename\n" + case.describe())
        case.stop_all()

    def test_copytruncate(self):
        case = Case(self)
        log = case.logs / "access.log"
        log.touch()
        case.start()
        addresses = clients("10.2", 120)
        writer = Writer(log)
        for part in range(3):
            writer.lines(addresses[part * 40:(part + 1) * 40], pause=0.004)
            if part < 2:
                # logrotate 'copytruncate': copy, then truncate in place; the
                # writer keeps its O_APPEND descriptor and goes on at offset 0.
                shutil.copyfile(log, case.logs / f"access.log.{part + 1}")
                os.truncate(log, 0)
                time.sleep(0.2)
        writer.close()
        case.expect_each_once(addresses)
        truncated = events_of(case.entries(), "file-truncated", log)
        self.assertEqual(len(truncated), 2, "one file-truncated event per truncation\n" + case.describe())
        case.stop_all()

    def test_truncate_and_regrow_while_stopped(self):
        case = Case(self)
        log = case.logs / "access.log"
        first, second = clients("10.3", 5), [f"10.3.9.{i}" for i in range(1, 13)]
        Writer(log).lines(first)
        daemon = case.start()
        case.expect(lambda es: len(open_alerts(es)) >= 5, "open alerts for the first five lines")
        daemon.stop(self)
        old_size = log.stat().st_size

        # Truncate and write more than before, so the file is past the old offset again.
        os.truncate(log, 0)
        Writer(log).lines(second, user="longer-user-name")
        self.assertGreater(log.stat().st_size, old_size, "the regrown file must pass the old offset")

        restarted = case.start()
        case.expect_event("file-truncated", log)
        case.expect_each_once(second, daemons=[restarted])
        case.stop_all()

    def test_partial_line(self):
        case = Case(self)
        log = case.logs / "access.log"
        log.touch()
        case.start()
        writer = Writer(log)
        # Split inside the address: each half alone would be another address or malformed.
        line = access_line("198.51.100.77", user="pat")
        writer.write(line[:9])
        time.sleep(1.2)
        writer.write(line[9:])
        # Split right before the newline.
        line = access_line("198.51.100.78", user="pat")
        writer.write(line[:-1])
        time.sleep(1.2)
        writer.write(line[-1:])
        case.expect_each_once(["198.51.100.77", "198.51.100.78"])
        case.stop_all()

    def test_overlong_line(self):
        case = Case(self, Input={"MaxLineLength": "1K"})
        log = case.logs / "access.log"
        log.touch()
        daemon = case.start()
        writer = Writer(log)
        long_line = access_line("198.51.100.90", path="/" + "a" * 5000)
        # Written in two parts, so the cut happens while the line is still incomplete.
        writer.write(long_line[:3000])
        time.sleep(0.5)
        writer.write(long_line[3000:])
        following = ["198.51.100.91", "198.51.100.92"]
        writer.lines(following)
        # A second long line directly followed by a short one in the same write.
        writer.write(access_line("198.51.100.93", path="/" + "b" * 3000) + access_line("198.51.100.94"))
        following.append("198.51.100.94")

        cut = case.expect_event("line-cut", log)
        self.assertRegex(field(cut[0], "MESSAGE_ID"), r"^[0-9a-f]{32}$")
        # The cut lines count as malformed, so they alert for no address.
        case.expect_each_once(following)
        # Reports are limited to one per file and ten minutes; the status counts every cut line.
        self.assertEqual(len(events_of(case.entries(), "line-cut", log)), 1, "one line-cut event for the file\n"
                         + case.describe())
        case.stop_all()
        self.assertTrue(any("2 cut lines" in m for m in daemon.notify.snapshot()),
                        "STATUS= counts both cut lines\n" + case.describe())
        self.assertRegex(field(cut[0], "MESSAGE"), r"\b(1024|1K)\b", "line-cut names the limit MaxLineLength=1K")

    def test_missing_file_then_created(self):
        case = Case(self)
        log = case.logs / "site-access.log"
        case.configure(Input={"AccessLog": str(log)})
        case.start()
        missing = case.expect_event("file-missing", log)

        addresses = clients("10.4", 6)
        Writer(log).lines(addresses[:3])
        case.expect_event("file-opened", log)
        Writer(log).lines(addresses[3:])
        case.expect_each_once(addresses)
        case.stop_all()
        self.assertEqual(field(missing[0], "ERRNO"), "2", "ERRNO=2 (ENOENT) on file-missing")

    def test_missing_directory_then_created(self):
        case = Case(self)
        directory = case.dir / "later"
        log = directory / "access.log"
        case.configure(Input={"AccessLog": str(log)})
        case.start()
        case.expect_event("file-missing", log)
        directory.mkdir()
        addresses = clients("10.5", 4)
        Writer(log).lines(addresses)
        case.expect_each_once(addresses)
        case.stop_all()

    def test_permission_denied_then_fixed(self):
        case = Case(self)
        log = case.logs / "access.log"
        addresses = clients("10.6", 4)
        Writer(log).lines(addresses[:1])
        os.chmod(log, 0o000)
        # Root ignores file modes, so the daemon runs as the user 'nobody'.
        shutil.chown(case.state, "nobody", "nogroup")
        os.chmod(case.config_path, 0o644)
        # A copy, in case the build directory is closed to other users.
        binary = case.dir / "leafwatch"
        shutil.copy2(BINARY, binary)
        case.start(prefix=["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"], binary=binary)

        unreadable = case.expect_event("file-unreadable", log)
        self.assertEqual(field(unreadable[0], "ERRNO"), "13", "ERRNO=13 (EACCES) on file-unreadable")

        # A change while still unreadable is retried but not reported again.
        Writer(log).lines(addresses[1:2])
        time.sleep(1.0)
        self.assertEqual(len(events_of(case.entries(), "file-unreadable", log)), 1,
                         "file-unreadable reported once\n" + case.describe())

        os.chmod(log, 0o644)
        case.expect(lambda es: len(open_alerts(es)) >= 2, "alerts for the lines written before the fix")
        Writer(log).lines(addresses[2:])
        case.expect_each_once(addresses)
        case.stop_all()

    def test_file_deleted_while_open(self):
        case = Case(self)
        log = case.logs / "access.log"
        before, unread, after = clients("10.7", 4), [f"10.7.5.{i}" for i in range(1, 5)], [f"10.7.6.{i}" for i in range(1, 5)]
        Writer(log).lines(before)
        daemon = case.start()
        case.expect(lambda es: len(open_alerts(es)) >= 4, "open alerts for the first four lines")

        # While the daemon is stopped, lines are appended and the file is
        # deleted: the daemon's descriptor still reads them.
        daemon.send(signal.SIGSTOP)
        try:
            writer = Writer(log)
            writer.lines(unread)
            os.unlink(log)
            writer.close()
        finally:
            daemon.send(signal.SIGCONT)
        case.expect_event("file-deleted", log)

        # A new file under the same name is followed from its start.
        Writer(log).lines(after)
        case.expect_each_once(before + unread + after)
        case.stop_all()

    def test_new_file_under_glob(self):
        case = Case(self)
        first = case.logs / "a-access.log"
        Writer(first).lines(["10.8.0.1"])
        case.start()
        case.expect(lambda es: len(open_alerts(es)) >= 1, "the alert from the first file")

        second = case.logs / "b-access.log"
        addresses = ["10.8.1.1", "10.8.1.2", "10.8.1.3"]
        Writer(second).lines(addresses)
        # Not matched by the glob: its line must stay unread.
        Writer(case.logs / "c-access.log.1").lines(["10.8.9.9"])
        case.expect_event("file-opened", second)
        Writer(second).lines(["10.8.1.4"])

        alerts = case.expect_each_once(["10.8.0.1"] + addresses + ["10.8.1.4"])
        paths = {field(e, "LEAFWATCH_LOG_PATH") for e in alerts
                 if field(e, "LEAFWATCH_EPISODE") == "open" and field(e, "LEAFWATCH_CLIENT_IP").startswith("10.8.1.")}
        self.assertEqual(paths, {str(second)}, "LEAFWATCH_LOG_PATH of the new file's alerts")
        case.stop_all()

    def test_sigkill_and_restart_mid_attack(self):
        case = Case(self,
                    AuthFailuresPerIP={"Threshold": "7", "Window": "6s"},
                    AuthFailuresPerUser={"Enabled": "yes", "Threshold": "1", "Window": "6s"},
                    Alerts={"MaxLateness": "4s"})
        log = case.logs / "access.log"
        log.touch()
        first = case.start()
        writer = Writer(log)
        attacker, finished = "203.0.113.5", "203.0.113.6"
        # One per-user episode before the kill, to check episode numbers continue.
        writer.write(access_line("198.51.100.1", user="early"))
        for _ in range(3):
            writer.write(access_line(attacker, status=403))
        # This attacker crosses the threshold before the kill.
        for _ in range(7):
            writer.write(access_line(finished, status=403))
        case.expect(lambda es: open_alerts(es, "auth-failures-per-ip", finished) and open_alerts(es, user="early"),
                    "the alerts written before the kill")
        # Past CheckpointInterval=1s, so the three lines are in a checkpoint.
        time.sleep(2.5)
        first.kill()
        self.assertEqual(first.exit_status, -signal.SIGKILL)

        for _ in range(4):
            writer.write(access_line(attacker, status=403))
        writer.close()
        second = case.start()

        entries = case.expect(
            lambda es: alerts_of(es, "close", "auth-failures-per-ip", attacker)
            and alerts_of(es, "close", "auth-failures-per-ip", finished),
            "close alerts for both attackers", timeout=25)
        opened = open_alerts(entries, "auth-failures-per-ip", attacker)
        self.assertEqual(len(opened), 1, "open alerts for the attacker over both runs\n" + case.describe())
        self.assertEqual(opened[0].get("_PID"), str(second.pid), "the attacker's alert comes from the restarted daemon")
        self.assertEqual(field(opened[0], "LEAFWATCH_COUNT"), "7", "3 failures before the kill and 4 while down")
        closed = alerts_of(entries, "close", "auth-failures-per-ip", attacker)
        self.assertEqual([field(e, "LEAFWATCH_COUNT") for e in closed], ["7"], "close count for the attacker")

        repeated = open_alerts(entries, "auth-failures-per-ip", finished)
        self.assertEqual(len(repeated), 1, "the alert written before the kill is not repeated\n" + case.describe())
        closed = alerts_of(entries, "close", "auth-failures-per-ip", finished)
        self.assertEqual([field(e, "LEAFWATCH_COUNT") for e in closed], ["7"], "close count of the earlier attacker")
        self.assertEqual(field(closed[0], "LEAFWATCH_EPISODE_ID"), field(repeated[0], "LEAFWATCH_EPISODE_ID"),
                         "the restarted daemon closes the episode it restored")

        earlier_ids = {field(e, "LEAFWATCH_EPISODE_ID") for e in first.entries() if "LEAFWATCH_EPISODE_ID" in e}
        self.assertNotIn(field(opened[0], "LEAFWATCH_EPISODE_ID"), earlier_ids,
                         "episode numbers continue across restarts")
        case.stop_all()

    def test_sighup_valid_configuration(self):
        window = {"Window": "1min"}
        case = Case(self, AuthFailuresPerIP={"Threshold": "3", **window},
                    AuthFailuresPerUser={"Enabled": "yes", "Threshold": "3", **window})
        log = case.logs / "access.log"
        log.touch()
        daemon = case.start()
        writer = Writer(log)
        # Two failures for user zed: below both thresholds of 3.
        writer.write(access_line("10.12.0.1", user="zed"))
        writer.write(access_line("10.12.0.1", user="zed"))
        time.sleep(1.0)
        self.assertEqual(open_alerts(case.entries()), [], "no alert below the thresholds\n" + case.describe())

        case.configure(AuthFailuresPerIP={"Threshold": "2", **window},
                       AuthFailuresPerUser={"Enabled": "yes", "Threshold": "3", **window})
        start = len(daemon.notify.snapshot())
        daemon.send(signal.SIGHUP)
        reloading = daemon.wait_notify(lambda m: has_assignment(m, "RELOADING=1"), start, "RELOADING=1")
        message = daemon.notify.snapshot()[reloading]
        self.assertRegex(message, r"(^|\n)MONOTONIC_USEC=[0-9]+(\n|$)", "MONOTONIC_USEC= with RELOADING=1")
        daemon.wait_notify(lambda m: has_assignment(m, "READY=1"), reloading + 1, "READY=1 after RELOADING=1")
        case.expect_event("reloaded")

        # The lowered threshold: two failures from a new address now open an alert.
        writer.write(access_line("10.12.0.2", user="b1"))
        writer.write(access_line("10.12.0.2", user="b2"))
        entries = case.expect(lambda es: open_alerts(es, "auth-failures-per-ip", "10.12.0.2"),
                              "an alert at the new threshold of 2")
        alert = open_alerts(entries, "auth-failures-per-ip", "10.12.0.2")[0]
        self.assertEqual(field(alert, "LEAFWATCH_THRESHOLD"), "2")
        self.assertEqual(field(alert, "LEAFWATCH_COUNT"), "2")

        # The unchanged per-user rule kept its window: a third failure for zed opens it.
        writer.write(access_line("10.12.0.3", user="zed"))
        entries = case.expect(lambda es: open_alerts(es, "auth-failures-per-user", user="zed"),
                              "the per-user alert for zed counting the failures from before the reload")
        self.assertEqual(field(open_alerts(entries, "auth-failures-per-user", user="zed")[0], "LEAFWATCH_COUNT"), "3")
        case.stop_all()

    def test_sighup_invalid_configuration(self):
        window = {"Window": "1min"}
        case = Case(self, AuthFailuresPerIP={"Threshold": "2", **window})
        log = case.logs / "access.log"
        log.touch()
        daemon = case.start()

        # A valid main file that would lower the threshold, and a drop-in with an invalid value on its line 2.
        case.configure(AuthFailuresPerIP={"Threshold": "1", **window})
        drop_ins = Path(str(case.config_path) + ".d")
        drop_ins.mkdir()
        bad = drop_ins / "50-bad.conf"
        bad.write_text("[AuthFailuresPerIP]\nWindow=banana\n")
        start = len(daemon.notify.snapshot())
        daemon.send(signal.SIGHUP)
        reloading = daemon.wait_notify(lambda m: has_assignment(m, "RELOADING=1"), start, "RELOADING=1")
        daemon.wait_notify(lambda m: has_assignment(m, "READY=1"), reloading + 1, "READY=1 after the failed reload")
        failed = case.expect_event("reload-failed")
        self.assertEqual(field(failed[0], "LEAFWATCH_CONFIG_FILE"), str(bad), "the file of the invalid line")
        self.assertEqual(field(failed[0], "LEAFWATCH_CONFIG_LINE"), "2", "the line of the invalid value")
        self.assertEqual(events_of(case.entries(), "reloaded"), [], "no 'reloaded' event for an invalid configuration")
        self.assertTrue(daemon.running(), "the daemon keeps running after an invalid configuration")

        # The old threshold of 2 is still in force.
        writer = Writer(log)
        writer.write(access_line("10.13.0.1", user="c"))
        time.sleep(1.5)
        self.assertEqual(open_alerts(case.entries()), [], "one failure stays below the old threshold\n" + case.describe())
        writer.write(access_line("10.13.0.1", user="c"))
        entries = case.expect(lambda es: open_alerts(es, "auth-failures-per-ip", "10.13.0.1"),
                              "the alert at the old threshold of 2")
        self.assertEqual(field(open_alerts(entries)[0], "LEAFWATCH_THRESHOLD"), "2")
        case.stop_all()


# Tests with Apache, curl and logrotate --------------------------------------

def services_environment():
    values = {}
    path = SERVICES_DIR / "services.env"
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            name, value = line.split("=", 1)
            values[name] = value.strip('"')
    return values


def curl(address, url, count=1, user=None):
    """Makes `count` requests to `url` from the loopback address `address` over one connection.

    Returns the HTTP status of each request that got a response. Requests
    without one (curl's status 000) are left out."""
    command = ["curl", "-s", "--max-time", "20", "--interface", address, "-w", "%{http_code}\n"]
    if user:
        command += ["-u", user]
    # Each -o applies to one URL, in order.
    for _ in range(count):
        command += [url, "-o", "/dev/null"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    return [code for code in result.stdout.split() if re.fullmatch(r"[0-9]{3}", code) and code != "000"]


def curl_each(addresses, url):
    """Makes one request to `url` from each loopback address, in one curl process; returns the
    addresses whose request got a response."""
    command = ["curl"]
    for address in addresses:
        command += ["-s", "--max-time", "20", "--interface", address, "-o", "/dev/null",
                    "-w", f"%{{http_code}} {address}\\n", url, "--next"]
    result = subprocess.run(command[:-1], capture_output=True, text=True, timeout=120)
    responded = []
    for line in result.stdout.splitlines():
        code, _, address = line.partition(" ")
        if re.fullmatch(r"[0-9]{3}", code) and code != "000":
            responded.append(address)
    return responded


class ApacheTests(unittest.TestCase):

    def setUp(self):
        self.services = services_environment()
        self.port = self.services["LEAFWATCH_APACHE_PORT"]
        self.apache_logs = Path(self.services["LEAFWATCH_APACHE_LOGS"])
        self.access = self.apache_logs / "access.log"
        self.errors = self.apache_logs / "error.log"

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def apache_case(self, **sections):
        minute = {"Window": "1min"}
        settings = {
            "Input": {"AccessLog": str(self.access), "ErrorLog": str(self.errors), "StartAt": "end"},
            "AuthFailuresPerIP": {"Threshold": "5", **minute},
            "AuthFailuresPerUser": {"Enabled": "yes", "Threshold": "3", **minute},
            "ServerErrorBurst": {"Enabled": "yes", "Threshold": "5", "Ratio": "0", **minute},
        }
        for section, keys in sections.items():
            settings.setdefault(section, {}).update(keys)
        return Case(self, **settings)

    def test_apache_logins_and_server_errors(self):
        case = self.apache_case()
        case.start()
        private = self.url("/private/")
        self.assertEqual(curl("127.0.0.5", private, 2, "alice:alice-secret"), ["200", "200"], "good logins")
        self.assertEqual(curl("127.0.0.2", private, 5, "bob:wrong"), ["401"] * 5, "wrong passwords for bob")
        # Four failures stay below Threshold=5 only if the 401 line and its
        # AH01617 line count as one failure.
        self.assertEqual(curl("127.0.0.3", private, 4, "carol:wrong"), ["401"] * 4, "wrong passwords for carol")
        self.assertEqual(curl("127.0.0.4", private, 5, "mallory:guess"), ["401"] * 5, "unknown user mallory")
        # The browser's challenge (401 without a user) is no failed login.
        self.assertEqual(curl("127.0.0.7", private, 6), ["401"] * 6, "requests without credentials")
        self.assertEqual(curl("127.0.0.6", self.url("/boom"), 6), ["500"] * 6, "/boom responds with 500")

        def complete(entries):
            return (open_alerts(entries, "auth-failures-per-ip", "127.0.0.2")
                    and open_alerts(entries, "auth-failures-per-ip", "127.0.0.4")
                    and len(open_alerts(entries, "auth-failures-per-user")) >= 3
                    and open_alerts(entries, "server-error-burst"))
        case.expect(complete, "the per-address, per-user and server-error alerts")
        time.sleep(1.0)
        entries = case.entries()

        by_address = {field(e, "LEAFWATCH_CLIENT_IP") for e in open_alerts(entries, "auth-failures-per-ip")}
        self.assertEqual(by_address, {"127.0.0.2", "127.0.0.4"}, "addresses with a per-address alert\n"
                         + summarize_all(entries))
        alert = open_alerts(entries, "auth-failures-per-ip", "127.0.0.2")[0]
        self.assertEqual(field(alert, "LEAFWATCH_COUNT"), "5")
        self.assertEqual(field(alert, "LEAFWATCH_THRESHOLD"), "5")
        self.assertIn(field(alert, "LEAFWATCH_LOG_PATH"), {str(self.access), str(self.errors)})

        by_user = {field(e, "LEAFWATCH_USER") for e in open_alerts(entries, "auth-failures-per-user")}
        self.assertEqual(by_user, {"bob", "carol", "mallory"}, "users with a per-user alert\n" + summarize_all(entries))
        burst = open_alerts(entries, "server-error-burst")
        self.assertEqual(len(burst), 1, "server-error-burst alerts\n" + summarize_all(entries))
        self.assertEqual(field(burst[0], "LEAFWATCH_COUNT"), "5")
        self.assertEqual(field(burst[0], "LEAFWATCH_LOG_PATH"), str(self.access))
        case.stop_all()

    def test_logrotate_during_traffic(self):
        """Rotates Apache's logs with logrotate in create and copytruncate mode while curl makes requests,
        each from its own loopback address, so that the request-flood alerts (Threshold=1) name every
        request the daemon read."""
        case = self.apache_case(
            AuthFailuresPerIP={"Enabled": "no"}, AuthFailuresPerUser={"Enabled": "no"},
            ServerErrorBurst={"Enabled": "no"},
            RequestFlood={"Enabled": "yes", "Threshold": "1", "Window": "3s"},
            Alerts={"MaxLateness": "3s"})
        graceful = f"TZ=UTC /usr/sbin/apache2 -f {self.services['LEAFWATCH_APACHE_CONF']} -k graceful"
        logs = f"{self.access} {self.errors}"
        create_conf = case.dir / "logrotate-create.conf"
        create_conf.write_text(f"{logs} {{\n  rotate 5\n  missingok\n  create 0644 root root\n  sharedscripts\n"
                               f"  postrotate\n    {graceful}\n  endscript\n}}\n")
        copy_conf = case.dir / "logrotate-copytruncate.conf"
        copy_conf.write_text(f"{logs} {{\n  rotate 5\n  missingok\n  copytruncate\n}}\n")
        logrotate_state = case.dir / "logrotate.status"
        daemon = case.start()

        # 127.NET.x.y, with NET drawn per run so that lines of earlier runs in
        # the rotated files never match. Four threads make batches of ten
        # requests, paced to spread MAX_ROTATION_REQUESTS over the rotations.
        network = random.randint(1, 254)
        sequence = itertools.count()
        responded = []
        stop = threading.Event()
        thread_count, batch, spacing = 4, 10, 1.2
        configurations = (create_conf, copy_conf, create_conf, copy_conf)
        period = spacing * (len(configurations) + 1) * thread_count * batch / MAX_ROTATION_REQUESTS

        def traffic():
            due = time.monotonic()
            while not stop.is_set():
                numbers = [n for n in (next(sequence) for _ in range(batch)) if n < MAX_ROTATION_REQUESTS]
                if not numbers:
                    return
                addresses = [f"127.{network}.{n // 250}.{n % 250 + 1}" for n in numbers]
                responded.extend(curl_each(addresses, self.url("/index.html")))
                due += period
                time.sleep(max(0.0, due - time.monotonic()))

        threads = [threading.Thread(target=traffic) for _ in range(thread_count)]
        for thread in threads:
            thread.start()
        rotations = []
        try:
            for conf in configurations:
                time.sleep(spacing)
                result = subprocess.run(["logrotate", "-f", "-s", str(logrotate_state), str(conf)],
                                        capture_output=True, text=True, timeout=60)
                rotations.append((conf.name, len(responded), result.returncode, result.stderr.strip()))
            time.sleep(spacing)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        ended = time.monotonic()
        for name, _, status, errors in rotations:
            self.assertEqual(status, 0, f"logrotate with {name} failed: {errors}")
        self.assertGreater(len(responded), 200, "requests made during the rotations")
        requested = set(responded)

        # Every episode closes 6 s (Window= plus MaxLateness=) after its
        # request; lost requests never open one, so wait for the opened ones.
        time.sleep(max(0.0, ended + 7 - time.monotonic()))
        while True:
            entries = daemon.entries()
            opened = {field(e, "LEAFWATCH_CLIENT_IP") for e in open_alerts(entries, "request-flood")}
            closed = {field(e, "LEAFWATCH_CLIENT_IP") for e in alerts_of(entries, "close", "request-flood")}
            if opened <= closed or time.monotonic() > ended + 30:
                break
            time.sleep(1)
        prefix = f"127.{network}."
        opens = collections.Counter(field(e, "LEAFWATCH_CLIENT_IP") for e in open_alerts(entries, "request-flood")
                                    if field(e, "LEAFWATCH_CLIENT_IP").startswith(prefix))
        counts = {field(e, "LEAFWATCH_CLIENT_IP"): field(e, "LEAFWATCH_COUNT") for e in alerts_of(entries, "close", "request-flood")
                  if field(e, "LEAFWATCH_CLIENT_IP").startswith(prefix)}

        # The requests whose lines are in some log file now. copytruncate
        # destroys the lines written between its copy and its truncation,
        # and only a daemon that read them before the truncation counts them.
        in_files = set()
        for path in self.apache_logs.glob("access.log*"):
            if path.stat().st_mtime >= daemon.since:
                for line in path.read_bytes().splitlines():
                    address = line.split(b" ", 1)[0].decode(errors="replace")
                    if address.startswith(prefix):
                        in_files.add(address)

        lost = requested - set(opens)
        destroyed = requested - in_files
        progress = ", ".join(f"{name.removeprefix('logrotate-').removesuffix('.conf')} after {done}"
                             for name, done, _, _ in rotations)
        report = (f"{len(requested)} requests (rotations: {progress}); the daemon counted {len(opens)}; "
                  f"{len(destroyed)} lines destroyed by copytruncate, of which the daemon had read "
                  f"{len(destroyed - lost)}{suppression_note(daemon.since)}")
        print(f"     {report}")
        self.assertEqual({a: n for a, n in opens.items() if n > 1}, {}, "requests counted twice (open alerts); " + report)
        self.assertEqual({a: c for a, c in counts.items() if c != "1"}, {}, "requests counted twice (close counts); " + report)
        self.assertEqual(sorted(set(opens) - requested), [], "alerts for requests never made; " + report)
        self.assertEqual(sorted(set(opens) - set(counts)), [], "episodes without a close alert; " + report)
        self.assertEqual(sorted(lost & in_files), [], "requests in the log files that the daemon never counted; " + report
                         + "\n" + summarize_all(events_of(entries, "file-rotated") + events_of(entries, "file-truncated")))
        self.assertGreaterEqual(len(events_of(entries, "file-rotated", self.access)), 2, "file-rotated events")
        self.assertGreaterEqual(len(events_of(entries, "file-truncated", self.access)), 2, "file-truncated events")
        case.stop_all()


# Running --------------------------------------------------------------------

class LineResult(unittest.TestResult):
    """Prints one line per test as it finishes, with the failure's message indented below."""

    def startTest(self, test):
        super().startTest(test)
        self.started = time.monotonic()

    def name(self, test):
        return test.id().rsplit(".", 1)[-1].removeprefix("test_")

    def report(self, test, verdict, detail=""):
        print(f"{verdict:<4} {self.name(test)} ({time.monotonic() - self.started:.1f} s)", flush=True)
        if detail:
            print("\n".join("     " + line for line in detail.rstrip().splitlines()), flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.report(test, "ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.report(test, "FAIL", str(err[1]))

    def addError(self, test, err):
        super().addError(test, err)
        self.report(test, "FAIL", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.report(test, "skip", reason)


def run_with_private_journal(arguments):
    """Runs this script again in a new mount namespace with empty journal directories; does not return."""
    directories = ["/run/systemd/journal", "/run/log/journal", "/var/log/journal"]
    mounts = " && ".join(f"mkdir -p {d} && mount -t tmpfs tmpfs {d}" for d in directories)
    environment = dict(os.environ, LEAFWATCH_PRIVATE_JOURNAL="1")
    environment.setdefault("LEAFWATCH_SERVICES_DIR", f"/tmp/leafwatch-services-private-{os.getpid()}")
    command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", f'{mounts} && exec "$0" "$@"',
               sys.executable, os.path.abspath(__file__), *arguments]
    os.execvpe("unshare", command, environment)


def main():
    global BINARY
    arguments = sys.argv[1:]
    if not arguments or arguments[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if arguments else 64
    if os.geteuid() != 0:
        print("daemon-test.py: must run as root (it starts journald, Apache, and the daemon as nobody)",
              file=sys.stderr)
        return 77
    if arguments[0] == "--private-journal":
        arguments = arguments[1:]
        if os.environ.get("LEAFWATCH_PRIVATE_JOURNAL") != "1":
            run_with_private_journal(arguments)
    if not arguments:
        print("daemon-test.py: missing BINARY; usage: scripts/daemon-test.py [--private-journal] BINARY [NAME...]",
              file=sys.stderr)
        return 64
    BINARY = os.path.realpath(arguments[0])
    if not os.access(BINARY, os.X_OK):
        print(f"daemon-test.py: '{arguments[0]}' is not an executable file; build with 'swift build -c release'",
              file=sys.stderr)
        return 66
    patterns = arguments[1:]

    already_running = subprocess.run([SERVICES_SCRIPT, "status"], capture_output=True).returncode == 0
    if subprocess.run([SERVICES_SCRIPT, "start"]).returncode != 0:
        print("daemon-test.py: scripts/services.sh start failed", file=sys.stderr)
        return 1

    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for test_class in (DaemonTests, ApacheTests):
        for name in loader.getTestCaseNames(test_class):
            if not patterns or any(pattern in name for pattern in patterns):
                suite.addTest(test_class(name))
    result = LineResult()
    began = time.monotonic()
    try:
        suite.run(result)
    finally:
        if not already_running:
            subprocess.run([SERVICES_SCRIPT, "stop"])
            if os.environ.get("LEAFWATCH_PRIVATE_JOURNAL") == "1" and SERVICES_DIR.name.startswith("leafwatch-services-private-"):
                shutil.rmtree(SERVICES_DIR, ignore_errors=True)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed ({time.monotonic() - began:.0f} s)")
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
