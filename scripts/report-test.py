#!/usr/bin/env python3
"""End-to-end tests of `leafwatch report` with real mail, the ledger and the real journal.

Usage: scripts/report-test.py BINARY [NAME...]

NAME selects the tests whose name contains it. When
`scripts/services.sh status` fails, the script runs `scripts/services.sh start`
(a journald when none responds) and leaves the services running, because
other test scripts may use the same journald.

Mail goes the way it goes on a server: `leafwatch report --mail` runs msmtp
(Debian's msmtp 1.8) as its `[Report] Sendmail=` program, and msmtp delivers
over SMTP to scripts/smtp-sink.py (aiosmtpd, in .build/venv from
scripts/deps.sh test) on a free port of 127.0.0.1. The sink stores each
message exactly as it arrived, and the tests parse it with Python's email
package and compare its headers and both parts with the JSON report of the
same period.

The mail tests run over a fixture week written by this script, from
2026-11-23 (a Monday) to 2026-11-30 in UTC, with a few lines in the week
before and after. The journal tests run `leafwatch run --log-target journal`
on a log of their own and write failed logins from a random address of
203.0.113.0/24 into it (text in the log only, no traffic). Once journald
returns the alerts, they check that `leafwatch report` reads them back from
the local system journal and from a copy of its files.

Set LEAFWATCH_KEEP_TEST_DIRS=1 to keep the test directories for inspection.
"""

import email
import email.policy
import email.utils
import html.parser
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES_SCRIPT = ROOT / "scripts" / "services.sh"
SINK_SCRIPT = ROOT / "scripts" / "smtp-sink.py"
VENV_PYTHON = ROOT / ".build" / "venv" / "bin" / "python"
MSMTP = "/usr/bin/msmtp"
KEEP_DIRS = os.environ.get("LEAFWATCH_KEEP_TEST_DIRS") == "1"

# Set by main() from the command line.
BINARY = ""

# Exit statuses of the contract of `leafwatch report`.
EXIT_USAGE = 64
EXIT_NO_INPUT = 66
EXIT_TEMPORARY_FAILURE = 75
EXIT_CONFIG = 78

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
PRIORITY_NAMES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

MESSAGE_IDS = {
    "auth-failures-per-ip": "549ffba2625c44668d6fefd85283c6a3",
    "auth-failures-per-user": "b51bc204a0a14b7ea00cce661f519eec",
    "server-error-burst": "575aea71855a4979b77319615a2c93b5",
}
JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"

# The fixture week: 2026-11-23 00:00 UTC up to 2026-11-30 00:00 UTC.
PERIOD_START = datetime(2026, 11, 23, tzinfo=timezone.utc)
PERIOD_DAYS = 7
SINCE, UNTIL = "2026-11-23", "2026-11-30"
LAST_DAY = "2026-11-29"
HOST = "test.example"
SENDER = "leafwatch@test.example"
RECIPIENTS = ["ops@example.com", "manager@example.org"]
# A user name with non-ASCII letters, and one with HTML markup.
UMLAUT_USER = "jürgen"
MARKUP_USER = "<b>x</b>"


# Log lines ------------------------------------------------------------------

def apache_escaped(text):
    """Returns `text` as Apache's mod_log_config writes %u: bytes outside printable ASCII as \\xhh."""
    pieces = []
    for byte in text.encode("utf-8"):
        if byte == 0x5C:
            pieces.append("\\\\")
        elif byte == 0x22:
            pieces.append('\\"')
        elif 0x20 <= byte <= 0x7E:
            pieces.append(chr(byte))
        else:
            pieces.append(f"\\x{byte:02x}")
    return "".join(pieces)


def access_time(when):
    t = time.gmtime(when)
    return f"{t.tm_mday:02d}/{MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def iso_time(when):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def access_line(when, client, user, status, path="/private/"):
    """Returns one line in Apache's combined format at `when` (UTC seconds)."""
    return (f'{client} - {apache_escaped(user)} [{access_time(when)}] "GET {path} HTTP/1.1" {status} 381 '
            f'"-" "report-test"\n')


def error_line(when, client, user, code="AH01617"):
    """Returns an Apache 2.4 error-log line for a failed login, in UTC without an offset."""
    t = time.gmtime(when)
    stamp = (f"{WEEKDAYS[t.tm_wday]} {MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
             f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.000000 {t.tm_year}")
    if code == "AH01618":
        text = f"AH01618: user {apache_escaped(user)} not found: /private/"
    else:
        text = f'AH01617: user {apache_escaped(user)}: authentication failure for "/private/": Password Mismatch'
    return f"[{stamp}] [auth_basic:error] [pid 4242:tid 4243] [client {client}:51234] {text}\n"


class FixtureWeek:
    """The log lines of the fixture week and the figures they must produce.

    Every figure here is counted from the lines as they are written, so the
    JSON report is compared with values computed independently of leafwatch.
    """

    def __init__(self):
        self.access = []  # (time, line)
        self.errors = []  # (time, line)
        self.requests = 0
        self.days = {}  # date -> {"requests", "denied", "serverErrors"}
        self.failing_users = set()
        self.succeeding_users = set()
        start = int(PERIOD_START.timestamp())
        generator = random.Random(20261123)

        for index in range(PERIOD_DAYS):
            day = start + index * 86400
            # Members who log in every day, each from their own address.
            for number, user in enumerate(["alice", "bob", "carol"]):
                for hour in range(8, 18, 2):
                    self.request(day + hour * 3600 + number * 60 + generator.randint(0, 59), f"192.0.2.{number + 1}",
                                 user, 200)
            # Anonymous pages and the browser's challenge (401 without a user).
            for count in range(12):
                self.request(day + 7 * 3600 + count * 1800 + generator.randint(0, 59),
                             f"198.51.100.{generator.randint(1, 40)}", "-", 200, "/")
            for count in range(2):
                self.request(day + 9 * 3600 + count * 7 + 1, "198.51.100.60", "-", 401)

        # Tuesday: a member with an umlaut in the name fails three times and never logs in.
        for count in range(3):
            when = start + 1 * 86400 + 10 * 3600 + count * 30
            self.request(when, "203.0.113.7", UMLAUT_USER, 401)
            self.errors.append((when, error_line(when, "203.0.113.7", UMLAUT_USER)))
        # Wednesday: a user name with HTML markup fails twice, and /boom returns 500 four times.
        for count in range(2):
            self.request(start + 2 * 86400 + 11 * 3600 + count * 20, "203.0.113.8", MARKUP_USER, 401)
        for count in range(4):
            self.request(start + 2 * 86400 + 14 * 3600 + count * 3, "198.51.100.70", "-", 500, "/boom")
        # Thursday, the check-in day: dave fails twice, then logs in. The user mallory does not exist.
        for count in range(2):
            self.request(start + 3 * 86400 + 9 * 3600 + count * 15, "192.0.2.4", "dave", 401)
        self.request(start + 3 * 86400 + 9 * 3600 + 60, "192.0.2.4", "dave", 200)
        for count in range(2):
            when = start + 3 * 86400 + 12 * 3600 + count * 40
            self.request(when, "203.0.113.9", "mallory", 401)
            self.errors.append((when, error_line(when, "203.0.113.9", "mallory", code="AH01618")))
        # Friday: two 503s. Saturday: three 403s without a user.
        for count in range(2):
            self.request(start + 4 * 86400 + 16 * 3600 + count * 5, "198.51.100.71", "-", 503, "/api")
        for count in range(3):
            self.request(start + 5 * 86400 + 3 * 3600 + count * 5, "203.0.113.10", "-", 403, "/admin/")

        # The week before (the previous period) and the days after, outside the period.
        self.previous_requests = 0
        for count in range(20):
            self.request(start - 3 * 86400 + 10 * 3600 + count * 60, "192.0.2.1", "alice", 200, counted=False)
            self.previous_requests += 1
        for count in range(5):
            self.request(start + PERIOD_DAYS * 86400 + 3600 + count * 60, "192.0.2.2", "bob", 200, counted=False)

        self.access.sort()
        self.errors.sort()
        self.locked_out = self.failing_users - self.succeeding_users

    def request(self, when, client, user, status, path="/private/", counted=True):
        self.access.append((when, access_line(when, client, user, status, path)))
        if not counted:
            return
        self.requests += 1
        date = time.strftime("%Y-%m-%d", time.gmtime(when))
        figures = self.days.setdefault(date, {"requests": 0, "denied": 0, "serverErrors": 0})
        figures["requests"] += 1
        if status in (401, 403):
            figures["denied"] += 1
        if 500 <= status <= 599:
            figures["serverErrors"] += 1
        if user != "-" and status == 401:
            self.failing_users.add(user)
        if user != "-" and 200 <= status <= 399:
            self.succeeding_users.add(user)

    def write(self, directory):
        (directory / "access.log").write_text("".join(line for _, line in self.access), encoding="utf-8")
        (directory / "error.log").write_text("".join(line for _, line in self.errors), encoding="utf-8")


# Test directories, configuration and commands -------------------------------

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def closed_port():
    """Returns a loopback port that nothing listens on.

    NOTE: the port is free when this returns, but another process may bind it before msmtp connects.
    """
    return free_port()


def render_config(sections):
    lines = ["# Written by scripts/report-test.py."]
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key}={value}" for key, value in keys.items())
        lines.append("")
    return "\n".join(lines)


class TestDirectory:
    """A temporary directory with logs/, state/, a configuration and msmtp configurations."""

    def __init__(self, name):
        self.path = Path(tempfile.mkdtemp(prefix=f"leafwatch-report-{name}-"))
        os.chmod(self.path, 0o755)
        self.logs = self.path / "logs"
        self.state = self.path / "state"
        self.logs.mkdir()
        self.state.mkdir()
        self.config = self.path / "leafwatch.conf"

    def msmtp_config(self, port, name="msmtprc"):
        """Writes an msmtp configuration for 127.0.0.1:`port` without authentication or TLS and returns its path."""
        path = self.path / name
        path.write_text(
            "# Written by scripts/report-test.py.\n"
            "account report\n"
            "host 127.0.0.1\n"
            f"port {port}\n"
            f"from {SENDER}\n"
            "auth off\n"
            "tls off\n"
            "account default : report\n")
        os.chmod(path, 0o600)
        return path

    def configure(self, sendmail, **sections):
        config = {
            "Input": {"AccessLog": f"{self.logs}/access.log", "ErrorLog": f"{self.logs}/error.log",
                      "TimeZone": "UTC"},
            "Report": {"To": " ".join(RECIPIENTS), "From": SENDER, "Sendmail": sendmail,
                       "TimeZone": "UTC", "CheckInDay": "Thursday"},
            "State": {"Directory": str(self.state)},
        }
        for section, keys in sections.items():
            config.setdefault(section, {}).update(keys)
        self.config.write_bytes(render_config(config).encode("utf-8"))

    def ledger_periods(self):
        """Returns the (start, end) pairs recorded in the state directory's reports.json, or None without the file."""
        path = self.state / "reports.json"
        if not path.exists():
            return None
        pairs = set()

        def collect(value):
            if isinstance(value, dict):
                if isinstance(value.get("start"), int) and isinstance(value.get("end"), int):
                    pairs.add((value["start"], value["end"]))
                for item in value.values():
                    collect(item)
            elif isinstance(value, list):
                for item in value:
                    collect(item)

        collect(json.loads(path.read_text()))
        return pairs

    def remove(self):
        if KEEP_DIRS:
            print(f"     kept {self.path}")
        else:
            shutil.rmtree(self.path, ignore_errors=True)


class Result:
    def __init__(self, command, completed):
        self.command = command
        self.status = completed.returncode
        self.stdout = completed.stdout.decode("utf-8", "backslashreplace")
        self.stderr = completed.stderr.decode("utf-8", "backslashreplace")

    def describe(self):
        command_text = " ".join(repr(word) if re.search(r"[\s\\]", word) else word for word in self.command)
        return (f"command: {command_text}\n  exit status: {self.status}\n  stderr: {self.stderr.strip()[-2000:] or '(empty)'}"
                f"\n  stdout: {self.stdout.strip()[:1500] or '(empty)'}")


def leafwatch(*arguments, timeout=120):
    command = [BINARY, *[str(argument) for argument in arguments]]
    completed = subprocess.run(command, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return Result(command, completed)


def report_json(test, *arguments):
    result = leafwatch("report", *arguments, "--format", "json")
    test.assertEqual(result.status, 0, "report --format json\n" + result.describe())
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(f"report --format json wrote no valid JSON ({error})\n" + result.describe())


def epoch(iso):
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


# The SMTP sink --------------------------------------------------------------

class SmtpSink:
    """scripts/smtp-sink.py on a free port of 127.0.0.1, storing messages in a directory."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(exist_ok=True)
        self.port = free_port()
        self.output = self.directory.parent / f"sink-{self.port}.output"
        with open(self.output, "wb") as output:
            self.process = subprocess.Popen(
                [str(VENV_PYTHON), str(SINK_SCRIPT), "--port", str(self.port), "--directory", str(self.directory)],
                stdin=subprocess.DEVNULL, stdout=output, stderr=output)
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    connection.recv(512)
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"smtp-sink.py on 127.0.0.1:{self.port} did not start: "
                                         f"{self.output.read_text(errors='replace').strip()}")
                time.sleep(0.1)

    def messages(self):
        return sorted(self.directory.glob("*.eml"))

    def count(self):
        return len(self.messages())

    def stop(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()


def parse_message(path):
    raw = path.read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    envelope = path.with_suffix(".envelope").read_text().splitlines()
    return raw, message, envelope


# Reading the parts ----------------------------------------------------------

class TableReader(html.parser.HTMLParser):
    """Collects the tables of an HTML document by the text of the h2 heading before them.

    `sections` maps a heading to a list of rows. A row is (cells, class attribute of the tr).
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = {}
        self.heading = None
        self.in_heading = False
        self.row = None
        self.row_class = None
        self.cell = None
        self.title = ""
        self.in_title = False

    def handle_starttag(self, tag, attributes):
        if tag == "h2":
            self.in_heading = True
            self.heading = ""
        elif tag == "title":
            self.in_title = True
        elif tag == "tr":
            self.row = []
            self.row_class = dict(attributes).get("class")
        elif tag == "td" and self.row is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "h2":
            self.in_heading = False
            self.sections.setdefault(self.heading, [])
        elif tag == "title":
            self.in_title = False
        elif tag == "td" and self.row is not None and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.row:
                self.sections.setdefault(self.heading, []).append((self.row, self.row_class))
            self.row = None

    def handle_data(self, data):
        if self.in_heading:
            self.heading += data
        if self.in_title:
            self.title += data
        if self.cell is not None:
            self.cell += data


def html_section(tables, prefix):
    for heading, rows in tables.sections.items():
        if heading.startswith(prefix):
            return heading, rows
    raise AssertionError(f"no h2 heading starting with {prefix!r} in the HTML part. Headings: {list(tables.sections)}")


def text_section(text, prefix):
    """Returns the lines of the block of the text part whose first line starts with `prefix`."""
    for block in re.split(r"\n\s*\n", text):
        lines = block.splitlines()
        if lines and lines[0].startswith(prefix):
            return lines
    raise AssertionError(f"no section starting with {prefix!r} in the text part:\n{text[:3000]}")


def listed_count(heading):
    """Returns N of a heading such as 'Users with failed logins (N)' or '(K of N)'."""
    found = re.search(r"\((?:\d+ of )?(\d+)\)\s*$", heading.strip())
    if not found:
        raise AssertionError(f"no count in the heading {heading!r}")
    return int(found.group(1))


# Mail: the full path ---------------------------------------------------------

class MailTests(unittest.TestCase):
    """One report of the fixture week mailed through msmtp to the sink, compared with the JSON report."""

    @classmethod
    def setUpClass(cls):
        cls.directory = TestDirectory("mail")
        cls.week = FixtureWeek()
        cls.week.write(cls.directory.logs)
        cls.sink = SmtpSink(cls.directory.path / "received")
        msmtprc = cls.directory.msmtp_config(cls.sink.port)
        cls.directory.configure(f"{MSMTP} -C {msmtprc} -t")
        cls.period_arguments = ["--config", cls.directory.config, "--since", SINCE, "--until", UNTIL,
                                "--no-journal", "--host", HOST]

        cls.sent_at = datetime.now(timezone.utc)
        cls.mail = leafwatch("report", *cls.period_arguments, "--mail")
        cls.received = cls.sink.messages()
        json_run = leafwatch("report", *cls.period_arguments, "--format", "json")
        cls.json_run = json_run
        try:
            cls.report = json.loads(json_run.stdout) if json_run.status == 0 else None
        except json.JSONDecodeError:
            cls.report = None

    @classmethod
    def tearDownClass(cls):
        cls.sink.stop()
        cls.directory.remove()

    def message(self):
        self.assertEqual(self.mail.status, 0, "report --mail\n" + self.mail.describe())
        self.assertEqual(len(self.received), 1, "messages the sink received after one report --mail\n"
                         + self.mail.describe())
        return parse_message(self.received[0])

    def json_report(self):
        if self.report is None:
            raise AssertionError("report --format json failed or wrote no valid JSON\n" + self.json_run.describe())
        return self.report

    def parts(self):
        _, message, _ = self.message()
        plain = message.get_body(preferencelist=("plain",))
        rich = message.get_body(preferencelist=("html",))
        self.assertIsNotNone(plain, "a text/plain part")
        self.assertIsNotNone(rich, "a text/html part")
        return plain.get_content(), rich.get_content()

    def test_json_matches_fixture(self):
        report = self.json_report()
        self.assertEqual(report["host"], HOST)
        self.assertEqual(report["period"], {"start": "2026-11-23T00:00:00Z", "end": "2026-11-30T00:00:00Z"})
        self.assertEqual(report["requests"], self.week.requests, "requests in the period")
        self.assertEqual(report["previousRequests"], self.week.previous_requests, "requests in the previous period")
        days = {day["date"]: {k: day[k] for k in ("requests", "denied", "serverErrors")} for day in report["days"]}
        self.assertEqual(days, self.week.days, "per-day requests, 401/403 and 5xx")
        check_in = [day["date"] for day in report["days"] if day["isCheckInDay"]]
        self.assertEqual(check_in, ["2026-11-26"], "the check-in day (Thursday)")
        thursday = [day for day in report["days"] if day["date"] == "2026-11-26"][0]
        self.assertEqual(thursday["usersLoggedIn"], 4, "alice, bob, carol and dave logged in on Thursday")
        failing = {user["name"] for user in report["usersWithFailures"]["users"]}
        self.assertEqual(failing, self.week.failing_users, "users with failures")
        locked = {user["name"] for user in report["lockedOutUsers"]["users"]}
        self.assertEqual(locked, self.week.locked_out, "users who failed and never logged in")
        self.assertEqual(report["episodes"], [], "--no-journal reads no alerts")

    def test_mail_command_succeeds(self):
        self.assertEqual(self.mail.status, 0, self.mail.describe())
        self.assertEqual(len(self.received), 1, "messages received\n" + self.mail.describe())

    def test_headers(self):
        _, message, envelope = self.message()
        self.assertEqual(message["From"], SENDER)
        to = sorted(address.addr_spec for address in message["To"].addresses)
        self.assertEqual(to, sorted(RECIPIENTS), "To: header")
        self.assertEqual(sorted(envelope[1:]), sorted(RECIPIENTS), "SMTP envelope recipients (RCPT TO)")
        self.assertEqual(envelope[0], SENDER, "SMTP envelope sender (MAIL FROM)")
        self.assertEqual(message["MIME-Version"], "1.0")

        self.assertIsNotNone(message["Date"], "Date: header")
        date = email.utils.parsedate_to_datetime(str(message["Date"]))
        self.assertIsNotNone(date.tzinfo, f"Date: {message['Date']} has a zone")
        self.assertLess(abs((date - self.sent_at).total_seconds()), 300, f"Date: {message['Date']} is the sending time")

        self.assertRegex(str(message["Message-ID"]), r"^<[^<>@\s]+@[^<>@\s]+>$", "Message-ID: header")
        for name in ("From", "To", "Date", "Message-ID", "Subject", "MIME-Version", "Content-Type"):
            self.assertEqual(len(message.get_all(name) or []), 1, f"exactly one {name}: header")

    def test_subject(self):
        _, message, _ = self.message()
        subject = str(message["Subject"])
        self.assertFalse(self.json_report()["alertsRead"], "--no-journal leaves the alerts out")
        self.assertIn(HOST, subject, "the subject names the host")
        self.assertIn(SINCE, subject, "the subject names the first day")
        self.assertIn(LAST_DAY, subject, "the subject names the last day included")
        # Without the journal the subject must not claim that there were no alerts.
        self.assertEqual(subject, f"leafwatch report for {HOST}, {SINCE} to {LAST_DAY}: alerts not read",
                         "the subject of the contract")

    def test_multipart_alternative(self):
        _, message, _ = self.message()
        self.assertEqual(message.get_content_type(), "multipart/alternative")
        parts = list(message.iter_parts())
        self.assertEqual([part.get_content_type() for part in parts], ["text/plain", "text/html"],
                         "the parts, plain text first (RFC 2046: the preferred alternative last)")
        for part in parts:
            self.assertEqual(part.get_content_charset(), "utf-8", f"charset of {part.get_content_type()}")
            self.assertIn(part["Content-Transfer-Encoding"], ("quoted-printable", "base64"),
                          f"transfer encoding of {part.get_content_type()}")
            self.assertTrue(part.get_content().strip(), f"{part.get_content_type()} part is not empty")

    def test_raw_lines_within_rfc5322(self):
        raw, _, _ = self.message()
        self.assertTrue(raw.endswith(b"\r\n"), "the message ends with CRLF")
        lines = raw[:-2].split(b"\r\n")
        bare = [number for number, line in enumerate(lines, 1) if b"\n" in line or b"\r" in line]
        self.assertEqual(bare, [], "lines with a bare CR or LF")
        long_lines = [(number, len(line)) for number, line in enumerate(lines, 1) if len(line) > 78]
        self.assertEqual(long_lines, [], "lines longer than 78 characters (RFC 5322 section 2.1.1)")
        self.assertTrue(all(byte < 0x80 for byte in raw), "the message is 7-bit ASCII")

    def test_text_part_numbers(self):
        report = self.json_report()
        text, _ = self.parts()

        totals = [line for line in text_section(text, "Requests by status class") if line.split()[:1] == ["total"]]
        self.assertEqual(len(totals), 1, "one total row in the status class table")
        self.assertEqual(int(totals[0].split()[1]), report["requests"], "total requests")
        self.assertEqual(int(totals[0].split()[2]), report["previousRequests"], "total requests of the previous period")

        rows = {}
        for line in text_section(text, "Per day"):
            found = re.match(r"^\s*(\*?)\s*(\d{4}-\d{2}-\d{2})\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", line)
            if found:
                rows[found.group(2)] = {"checkIn": found.group(1) == "*", "requests": int(found.group(3)),
                                        "denied": int(found.group(4)), "serverErrors": int(found.group(5)),
                                        "usersLoggedIn": int(found.group(6))}
        expected = {day["date"]: {"checkIn": day["isCheckInDay"], "requests": day["requests"], "denied": day["denied"],
                                  "serverErrors": day["serverErrors"], "usersLoggedIn": day["usersLoggedIn"]}
                    for day in report["days"]}
        self.assertEqual(rows, expected, "per-day rows of the text part")

        heading = text_section(text, "Users with failed logins")[0]
        self.assertEqual(listed_count(heading), report["usersWithFailures"]["total"], "users with failures")
        locked = text_section(text, "Users who failed and never logged in")
        self.assertEqual(listed_count(locked[0]), report["lockedOutUsers"]["total"], "locked-out users")

    def test_text_part_names(self):
        report = self.json_report()
        text, _ = self.parts()
        locked = text_section(text, "Users who failed and never logged in")
        names = [line.split()[0] for line in locked[2:] if line.strip()]
        self.assertEqual(sorted(names), sorted(user["name"] for user in report["lockedOutUsers"]["users"]),
                         "locked-out users' names in the text part (UTF-8, as in the JSON report)")

    def test_html_part_numbers(self):
        report = self.json_report()
        _, rich = self.parts()
        tables = TableReader()
        tables.feed(rich)

        _, rows = html_section(tables, "Requests by status class")
        totals = [cells for cells, _ in rows if cells[0] == "total"]
        self.assertEqual(len(totals), 1, "one total row in the status class table")
        self.assertEqual(int(totals[0][1]), report["requests"], "total requests")

        _, rows = html_section(tables, "Per day")
        days = {}
        for cells, row_class in rows:
            numbers = [cell for cell in cells if cell]
            days[numbers[0]] = {"checkIn": row_class == "checkin", "requests": int(numbers[2]),
                                "denied": int(numbers[3]), "serverErrors": int(numbers[4]),
                                "usersLoggedIn": int(numbers[5])}
        expected = {day["date"]: {"checkIn": day["isCheckInDay"], "requests": day["requests"], "denied": day["denied"],
                                  "serverErrors": day["serverErrors"], "usersLoggedIn": day["usersLoggedIn"]}
                    for day in report["days"]}
        self.assertEqual(days, expected, "per-day rows of the HTML part")

        heading, _ = html_section(tables, "Users with failed logins")
        self.assertEqual(listed_count(heading), report["usersWithFailures"]["total"], "users with failures")
        heading, _ = html_section(tables, "Users who failed and never logged in")
        self.assertEqual(listed_count(heading), report["lockedOutUsers"]["total"], "locked-out users")

    def test_html_part_names_utf8(self):
        report = self.json_report()
        _, rich = self.parts()
        tables = TableReader()
        tables.feed(rich)
        _, rows = html_section(tables, "Users who failed and never logged in")
        names = sorted(cells[0] for cells, _ in rows)
        self.assertEqual(names, sorted(user["name"] for user in report["lockedOutUsers"]["users"]),
                         "locked-out users' names in the HTML part, after HTML unescaping")
        self.assertIn(UMLAUT_USER, rich, f"{UMLAUT_USER!r} as UTF-8 in the HTML part")

    def test_html_part_escapes_markup(self):
        _, rich = self.parts()
        self.assertNotIn(MARKUP_USER, rich, "the user name with markup appears unescaped in the HTML part")
        self.assertIn("&lt;b&gt;x&lt;/b&gt;", rich, "the user name with markup, HTML-escaped")
        self.assertNotRegex(rich, r"(?i)<script|<b>", "markup from the logs in the HTML part")


# Mail: the ledger ------------------------------------------------------------

class LedgerTests(unittest.TestCase):

    def setUp(self):
        self.directory = TestDirectory("ledger")
        self.addCleanup(self.directory.remove)
        FixtureWeek().write(self.directory.logs)
        self.sink = SmtpSink(self.directory.path / "received")
        self.addCleanup(self.sink.stop)
        self.msmtprc = self.directory.msmtp_config(self.sink.port)
        self.directory.configure(f"{MSMTP} -C {self.msmtprc} -t")
        self.arguments = ["--config", self.directory.config, "--since", SINCE, "--until", UNTIL, "--no-journal",
                          "--host", HOST, "--mail"]
        self.period = (epoch("2026-11-23T00:00:00Z"), epoch("2026-11-30T00:00:00Z"))

    def test_second_mail_skipped(self):
        first = leafwatch("report", *self.arguments)
        self.assertEqual(first.status, 0, first.describe())
        self.assertEqual(self.sink.count(), 1, "messages after the first --mail")
        self.assertIn(self.period, self.directory.ledger_periods() or set(), "the ledger records the mailed period")
        _, message, _ = parse_message(self.sink.messages()[0])
        ledger_text = (self.directory.state / "reports.json").read_text()
        self.assertIn(str(message["Message-ID"]).strip("<>"), ledger_text, "the ledger records the Message-ID")

        second = leafwatch("report", *self.arguments)
        time.sleep(0.5)
        self.assertEqual(second.status, 0, "a second --mail for a mailed period\n" + second.describe())
        self.assertEqual(self.sink.count(), 1, "messages after the second --mail\n" + second.describe())
        self.assertIn("already mailed", second.stderr, "stderr of the second --mail\n" + second.describe())

    def test_force_mails_again(self):
        first = leafwatch("report", *self.arguments)
        self.assertEqual(first.status, 0, first.describe())
        forced = leafwatch("report", *self.arguments, "--force")
        self.assertEqual(forced.status, 0, forced.describe())
        self.assertEqual(self.sink.count(), 2, "messages after --mail and --mail --force\n" + forced.describe())
        ids = [str(parse_message(path)[1]["Message-ID"]) for path in self.sink.messages()]
        self.assertNotEqual(ids[0], ids[1], "each message has its own Message-ID")

    def write_default_entry(self, start, end):
        """Writes a ledger whose one entry is a default period mailed before, as the timer's runs record them."""
        entry = {"period": {"start": start, "end": end}, "sentAt": end + 8 * 3600, "messageID": "earlier@test.example",
                 "isDefaultPeriod": True}
        (self.directory.state / "reports.json").write_text(json.dumps({"version": 1, "reports": [entry]}))

    def default_mail(self):
        """Runs --mail with the default period (the configuration's time zone is UTC)."""
        return leafwatch("report", "--config", self.directory.config, "--no-journal", "--host", HOST, "--mail")

    def test_catch_up_starts_at_last_mailed_end(self):
        # The timer missed a week: the last default report ended eight days before today.
        today = int(time.time()) // 86400 * 86400
        last_end = today - 8 * 86400
        self.write_default_entry(last_end - 7 * 86400, last_end)
        result = self.default_mail()
        self.assertEqual(result.status, 0, result.describe())
        self.assertEqual(self.sink.count(), 1, "messages after the catch-up run\n" + result.describe())
        self.assertIn((last_end, today), self.directory.ledger_periods(),
                      "the catch-up report covers the missed day and the week: " + str(self.directory.ledger_periods()))
        subject = str(parse_message(self.sink.messages()[0])[1]["Subject"])
        self.assertIn(time.strftime("%Y-%m-%d", time.gmtime(last_end)), subject, "the subject names the first day")

    def test_default_period_already_mailed_today(self):
        today = int(time.time()) // 86400 * 86400
        self.write_default_entry(today - 7 * 86400, today)
        result = self.default_mail()
        self.assertEqual(result.status, 0, result.describe())
        time.sleep(0.5)
        self.assertEqual(self.sink.count(), 0, "a second run on the same day sends nothing\n" + result.describe())
        self.assertIn("already mailed", result.stderr, result.describe())

    def test_long_downtime_mails_default_week(self):
        # A last report more than a period before the default start does not stretch the report.
        today = int(time.time()) // 86400 * 86400
        last_end = today - 30 * 86400
        self.write_default_entry(last_end - 7 * 86400, last_end)
        result = self.default_mail()
        self.assertEqual(result.status, 0, result.describe())
        self.assertIn((today - 7 * 86400, today), self.directory.ledger_periods(), str(self.directory.ledger_periods()))


# Mail: sendmail failures ----------------------------------------------------

class SendmailFailureTests(unittest.TestCase):

    def setUp(self):
        self.directory = TestDirectory("sendmail")
        self.addCleanup(self.directory.remove)
        FixtureWeek().write(self.directory.logs)
        self.arguments = ["--config", self.directory.config, "--since", SINCE, "--until", UNTIL, "--no-journal",
                          "--host", HOST, "--mail"]
        self.period = (epoch("2026-11-23T00:00:00Z"), epoch("2026-11-30T00:00:00Z"))

    def check_failure_then_success(self, sendmail, expected_stderr):
        self.directory.configure(sendmail)
        failed = leafwatch("report", *self.arguments)
        self.assertNotEqual(failed.status, 0, "report --mail with a failing sendmail\n" + failed.describe())
        self.assertEqual(failed.status, EXIT_TEMPORARY_FAILURE, "exit status 75 when sendmail fails\n" + failed.describe())
        self.assertIn(expected_stderr, failed.stderr, "the sendmail program's stderr is shown\n" + failed.describe())
        periods = self.directory.ledger_periods()
        self.assertNotIn(self.period, periods or set(), f"the ledger records a period that failed: {periods}")

        # The next run with a working sendmail mails the period.
        sink = SmtpSink(self.directory.path / "received")
        self.addCleanup(sink.stop)
        self.directory.configure(f"{MSMTP} -C {self.directory.msmtp_config(sink.port, 'working.msmtprc')} -t")
        retried = leafwatch("report", *self.arguments)
        self.assertEqual(retried.status, 0, "report --mail after the failure\n" + retried.describe())
        self.assertEqual(sink.count(), 1, "messages received on the run after the failure\n" + retried.describe())
        self.assertIn(self.period, self.directory.ledger_periods() or set(), "the ledger records the retried period")

    def test_msmtp_connection_refused(self):
        port = closed_port()
        msmtprc = self.directory.msmtp_config(port, "closed.msmtprc")
        # msmtp 1.8.23: "msmtp: cannot connect to 127.0.0.1, port N: Connection refused".
        self.check_failure_then_success(f"{MSMTP} -C {msmtprc} -t", "Connection refused")

    def test_sendmail_script_exits_1(self):
        script = self.directory.path / "failing-sendmail"
        script.write_text("#!/bin/sh\ncat >/dev/null\necho 'failing-sendmail: relay rejected the message' >&2\nexit 1\n")
        os.chmod(script, 0o755)
        self.check_failure_then_success(f"{script} -t", "relay rejected the message")

    def test_sendmail_missing_program(self):
        self.directory.configure(str(self.directory.path / "no-such-sendmail") + " -t -oi")
        failed = leafwatch("report", *self.arguments)
        self.assertNotEqual(failed.status, 0, "report --mail with a missing sendmail program\n" + failed.describe())
        self.assertIn("no-such-sendmail", failed.stderr, "the error names the program\n" + failed.describe())
        self.assertNotIn(self.period, self.directory.ledger_periods() or set(), "the ledger records a failed period")


# Mail: header injection and recipients ---------------------------------------

class HeaderTests(unittest.TestCase):

    def setUp(self):
        self.directory = TestDirectory("headers")
        self.addCleanup(self.directory.remove)
        FixtureWeek().write(self.directory.logs)
        self.sink = SmtpSink(self.directory.path / "received")
        self.addCleanup(self.sink.stop)
        self.sendmail = f"{MSMTP} -C {self.directory.msmtp_config(self.sink.port)} -t"
        self.directory.configure(self.sendmail)
        self.arguments = ["--config", self.directory.config, "--since", SINCE, "--until", UNTIL, "--no-journal",
                          "--host", HOST, "--mail"]

    def expect_rejected(self, result, status):
        time.sleep(0.3)
        self.assertNotEqual(result.status, 0, "the value is rejected\n" + result.describe())
        self.assertEqual(self.sink.count(), 0, "messages sent despite the line break\n" + result.describe())
        self.assertEqual(result.status, status, f"exit status {status} of the contract\n" + result.describe())

    def write_config_line(self, section, key, value):
        """Replaces KEY= in [SECTION] of the configuration with raw `value` (which may contain CR or LF)."""
        text = self.directory.config.read_bytes()
        lines = text.split(b"\n")
        current = None
        for index, line in enumerate(lines):
            if line.startswith(b"["):
                current = line.strip(b"[]")
            elif current == section.encode() and line.startswith(key.encode() + b"="):
                lines[index] = key.encode() + b"=" + value
        self.directory.config.write_bytes(b"\n".join(lines))

    def test_to_option_with_crlf(self):
        result = leafwatch("report", *self.arguments, "--to", "ops@example.com\r\nBcc: evil@example.net")
        self.expect_rejected(result, EXIT_USAGE)

    def test_to_option_with_lf(self):
        result = leafwatch("report", *self.arguments, "--to", "ops@example.com\nBcc: evil@example.net")
        self.expect_rejected(result, EXIT_USAGE)

    def test_host_option_with_crlf(self):
        """--host goes into the subject: it is either rejected or sent without its line break."""
        arguments = list(self.arguments)
        arguments[arguments.index("--host") + 1] = "test.example\r\nBcc: evil@example.net"
        result = leafwatch("report", *arguments)
        time.sleep(0.3)
        if result.status != 0:
            self.assertEqual(self.sink.count(), 0, "messages sent after rejecting --host\n" + result.describe())
            return
        self.assertEqual(self.sink.count(), 1, "messages sent\n" + result.describe())
        raw, message, envelope = parse_message(self.sink.messages()[0])
        self.assertIsNone(message["Bcc"], "a Bcc: header from --host")
        self.assertNotIn(b"\r\nBcc:", raw, "a header line from --host")
        self.assertEqual(sorted(envelope[1:]), sorted(RECIPIENTS), "RCPT TO after a --host with a line break")
        self.assertEqual(len(message.get_all("Subject")), 1, "one Subject: header")

    def test_mail_with_json_output(self):
        result = leafwatch("report", *self.arguments, "--format", "json")
        self.assertEqual(result.status, 0, result.describe())
        self.assertEqual(self.sink.count(), 1, "messages after --mail --format json\n" + result.describe())
        self.assertTrue(result.stdout.strip(), "--mail --format json writes the JSON report to stdout too\n"
                        + result.describe())
        report = json.loads(result.stdout)
        self.assertEqual(report["period"]["start"], "2026-11-23T00:00:00Z", "the JSON report on stdout with --mail")

    def test_to_config_with_cr(self):
        self.write_config_line("Report", "To", b"ops@example.com\rBcc: evil@example.net")
        self.expect_rejected(leafwatch("report", *self.arguments), EXIT_CONFIG)

    def test_from_config_with_cr(self):
        self.write_config_line("Report", "From", b"leafwatch@test.example\rBcc: evil@example.net")
        self.expect_rejected(leafwatch("report", *self.arguments), EXIT_CONFIG)

    def test_from_config_with_lf(self):
        self.write_config_line("Report", "From", b"leafwatch@test.example\nBcc: evil@example.net")
        self.expect_rejected(leafwatch("report", *self.arguments), EXIT_CONFIG)

    def test_no_recipients(self):
        self.directory.configure(self.sendmail, Report={"To": ""})
        result = leafwatch("report", *self.arguments)
        time.sleep(0.3)
        self.assertEqual(result.status, 0, "--mail without recipients\n" + result.describe())
        self.assertEqual(self.sink.count(), 0, "messages sent without recipients")
        self.assertIn("no recipients", result.stderr, "stderr says there are no recipients\n" + result.describe())

        # The period is not recorded as mailed, so a run with --to mails it.
        with_to = leafwatch("report", *self.arguments, "--to", "ops@example.com")
        self.assertEqual(with_to.status, 0, with_to.describe())
        self.assertEqual(self.sink.count(), 1, "messages after --to\n" + with_to.describe())
        _, message, envelope = parse_message(self.sink.messages()[0])
        self.assertEqual([a.addr_spec for a in message["To"].addresses], ["ops@example.com"], "To: from --to")
        self.assertEqual(envelope[1:], ["ops@example.com"], "RCPT TO from --to")


# Alerts from the journal -----------------------------------------------------

class RemoteJournalTests(unittest.TestCase):
    """A central host's report over journal files that systemd-journal-remote wrote.

    Two web servers' alerts go in journal export format through
    systemd-journal-remote into one journal file, with receive times inside
    the fixture week. Both servers number their episodes from 1, as every
    state directory does, so only the host keeps them apart.
    """

    @classmethod
    def setUpClass(cls):
        cls.directory = TestDirectory("remote")
        cls.directory.configure("/usr/sbin/sendmail -t -oi")
        cls.journal = cls.directory.path / "remote"
        cls.journal.mkdir()
        start = PERIOD_START.timestamp()
        entries = [
            # web1, episode 1: open, update and close of an attack on Thursday.
            cls.alert("web1", 1, "auth-failures-per-ip", "open", "crit", 5, start + 3 * 86400 + 36000, 40, received=10),
            cls.alert("web1", 1, "auth-failures-per-ip", "update", "crit", 30, start + 3 * 86400 + 36000, 900,
                      received=900),
            cls.alert("web1", 1, "auth-failures-per-ip", "close", "crit", 32, start + 3 * 86400 + 36000, 960,
                      received=1800),
            # web2, episode 1: the same rule and address as web1's episode 1, on Monday.
            cls.alert("web2", 1, "auth-failures-per-ip", "close", "warning", 6, start + 3600, 120, received=900),
            # web2, episode 4: a burst of 5xx on Saturday, still open at its last alert.
            cls.alert("web2", 4, "server-error-burst", "open", "err", 20, start + 5 * 86400 + 7200, 30, received=31),
            # web2, episode 5: written after the week by a daemon that caught up; its events lie after the week.
            cls.alert("web2", 5, "server-error-burst", "open", "err", 25, start + 7 * 86400 + 600, 30, received=31),
        ]
        broken = cls.alert("web2", 3, "auth-failures-per-ip", "open", "crit", 5, start + 86400, 10, received=11)
        broken = broken.replace("LEAFWATCH_COUNT=5\n", "LEAFWATCH_COUNT=many\n")
        stream = "".join(entries) + broken
        completed = subprocess.run([JOURNAL_REMOTE, f"--output={cls.journal}/remote.journal", "-"],
                                   input=stream.encode(), capture_output=True, timeout=60)
        cls.remote_status = completed.returncode, completed.stderr.decode(errors="replace")
        cls.result = leafwatch("report", "--config", str(cls.directory.config), "--since", SINCE, "--until", UNTIL,
                               "--journal-directory", str(cls.journal), "--format", "json")

    @classmethod
    def tearDownClass(cls):
        cls.directory.remove()

    @staticmethod
    def alert(host, episode, rule, phase, priority, count, first, length, received):
        """Returns one journal entry in export format; `received` is seconds after the last event."""
        key_field, key = ("LEAFWATCH_CLIENT_IP", "203.0.113.7") if rule == "auth-failures-per-ip" else (None, "*")
        last = first + length
        fields = {
            "__REALTIME_TIMESTAMP": str(int((last + received) * 1_000_000)),
            "__MONOTONIC_TIMESTAMP": str(int((last + received) * 1_000_000)),
            "_BOOT_ID": "7c1f0a4e2b6d4c8e9a0b1c2d3e4f5061" if host == "web1" else "0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f50",
            "_HOSTNAME": host,
            "SYSLOG_IDENTIFIER": "leafwatch",
            "MESSAGE": f"{rule} {phase} on {host}",
            "MESSAGE_ID": MESSAGE_IDS[rule],
            "PRIORITY": str(PRIORITY_NAMES.index(priority)),
            "LEAFWATCH_RULE": rule,
            "LEAFWATCH_EPISODE": phase,
            "LEAFWATCH_EPISODE_ID": str(episode),
            "LEAFWATCH_COUNT": str(count),
            "LEAFWATCH_THRESHOLD": "5" if rule == "auth-failures-per-ip" else "20",
            "LEAFWATCH_WINDOW_SEC": "600" if rule == "auth-failures-per-ip" else "60",
            "LEAFWATCH_FIRST_SEEN": iso_time(first),
            "LEAFWATCH_LAST_SEEN": iso_time(last),
        }
        if key_field:
            fields[key_field] = key
        return "".join(f"{name}={value}\n" for name, value in fields.items()) + "\n"

    def report(self):
        self.assertEqual(self.remote_status[0], 0, f"systemd-journal-remote failed: {self.remote_status[1]}")
        self.assertEqual(self.result.status, 0, self.result.describe())
        return json.loads(self.result.stdout)

    def test_episodes_of_both_hosts(self):
        episodes = self.report()["episodes"]
        summary = sorted((e["host"], e["episodeID"], e["rule"], e["key"]) for e in episodes)
        self.assertEqual(summary, [("web1", 1, "auth-failures-per-ip", "203.0.113.7"),
                                   ("web2", 1, "auth-failures-per-ip", "203.0.113.7"),
                                   ("web2", 4, "server-error-burst", "*")], episodes)

    def test_alerts_of_one_episode_merged(self):
        web1 = [e for e in self.report()["episodes"] if e["host"] == "web1"][0]
        start = PERIOD_START.timestamp() + 3 * 86400 + 36000
        self.assertEqual((web1["count"], web1["priority"], web1["isClosed"]), (32, "crit", True), web1)
        self.assertEqual((web1["firstSeen"], web1["lastSeen"]),
                         (iso_time(start), iso_time(start + 960)), web1)

    def test_open_episode_marked_open(self):
        web2 = [e for e in self.report()["episodes"] if e["host"] == "web2" and e["episodeID"] == 4][0]
        self.assertEqual((web2["count"], web2["priority"], web2["isClosed"]), (20, "err", False), web2)

    def test_same_episode_number_on_two_hosts_kept_apart(self):
        monday = [e for e in self.report()["episodes"] if e["host"] == "web2" and e["episodeID"] == 1][0]
        self.assertEqual((monday["count"], monday["priority"]), (6, "warning"), monday)

    def test_entry_with_invalid_field_skipped(self):
        self.report()
        self.assertIn("1 journal entries with a leafwatch MESSAGE_ID lacked a field", self.result.stderr)


def read_journal(*matches, since):
    command = ["journalctl", "--no-pager", "-q", "-o", "json", "--since", f"@{int(since) - 1}", *matches]
    output = subprocess.run(command, capture_output=True, check=False, timeout=30).stdout
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def field(entry, name):
    value = entry.get(name)
    if isinstance(value, list) and all(isinstance(item, int) for item in value):
        return bytes(value).decode("utf-8", "backslashreplace")
    return value


class DaemonRun:
    """One `leafwatch run --log-target journal` with a state directory of its own.

    It writes five failed logins of a unique user from a unique address, waits
    until journald returns the close alerts of both per-address and per-user
    episodes, and stops the daemon with SIGTERM. `failure` is the reason when
    that did not happen.
    """

    def __init__(self, name, address, user, directory=None):
        self.directory = directory or TestDirectory(name)
        self.address = address
        self.user = user
        self.started = time.time()
        self.by_address = []
        self.by_user = []
        self.status = None
        self.failure = None
        access = self.directory.logs / "access.log"
        access.touch()

        window = {"Threshold": "3", "Window": "10s"}
        self.directory.configure(
            "/usr/sbin/sendmail -t -oi",
            Input={"StartAt": "beginning"},
            State={"CheckpointInterval": "1s"},
            AuthFailuresPerIP=window,
            AuthFailuresPerUser={"Enabled": "yes", **window},
            NewClientForUser={"Enabled": "no"},
            ServerErrorBurst={"Enabled": "no"},
            RequestFlood={"Enabled": "no"},
            Alerts={"MaxLateness": "2s"},
        )

        self.output = self.directory.path / "daemon.output"
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID")}
        with open(self.output, "wb") as output:
            self.process = subprocess.Popen(
                [BINARY, "run", "--config", str(self.directory.config), "--log-target", "journal"],
                stdin=subprocess.DEVNULL, stdout=output, stderr=output, env=environment)
        try:
            self.attack(access)
        except AssertionError as error:
            self.failure = str(error)
        finally:
            self.stop()

    def describe(self):
        entries = read_journal("SYSLOG_IDENTIFIER=leafwatch", f"_PID={self.process.pid}", since=self.started)
        lines = [f"    {field(e, 'LEAFWATCH_EVENT') or field(e, 'LEAFWATCH_RULE')}: {field(e, 'MESSAGE')}" for e in entries]
        return (f"daemon (PID {self.process.pid}) output: {self.output.read_text(errors='replace').strip()[-2000:]}\n"
                + ("\n".join(lines[-40:]) or "    (no journal entries)"))

    def wait_for(self, description, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited with status {self.process.returncode} while waiting for "
                                     f"{description}\n" + self.describe())
            value = predicate()
            if value:
                return value
            time.sleep(0.3)
        raise AssertionError(f"timed out after {timeout} s waiting for {description}\n" + self.describe())

    def attack(self, access):
        self.wait_for("the daemon's file-opened event", lambda: read_journal(
            "SYSLOG_IDENTIFIER=leafwatch", f"_PID={self.process.pid}", "LEAFWATCH_EVENT=file-opened",
            since=self.started), timeout=15)
        # Five failed logins about 0.7 s apart, so first and last differ by seconds.
        with open(access, "a", buffering=1) as log:
            for _ in range(5):
                log.write(access_line(time.time(), self.address, self.user, 401))
                time.sleep(0.7)

        def closed(rule, key_field, key):
            entries = read_journal(f"MESSAGE_ID={MESSAGE_IDS[rule]}", f"{key_field}={key}", since=self.started)
            return entries if any(field(e, "LEAFWATCH_EPISODE") == "close" for e in entries) else None

        # Episodes close after Window= plus MaxLateness= without failures.
        self.by_address = self.wait_for("the close alert of the address",
                                        lambda: closed("auth-failures-per-ip", "LEAFWATCH_CLIENT_IP", self.address), 40)
        self.by_user = self.wait_for("the close alert of the user",
                                     lambda: closed("auth-failures-per-user", "LEAFWATCH_USER", self.user), 20)

    def stop(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.status = self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
                self.status = "killed after 15 s"
        else:
            self.status = self.process.returncode
        self.stopped = time.time()


class JournalTests(unittest.TestCase):
    """Alerts of three daemon runs, read back by the report from the journal.

    The first two runs share a state directory, so the second one continues
    the episode numbers of the first. A copy of the journal files is taken
    after them. The third run has a new state directory, as after a reset of
    the state directory, so its episode numbers repeat those of the first run
    on this host.
    """

    @classmethod
    def setUpClass(cls):
        cls.started = time.time()
        first, second, third = random.sample(range(11, 255), 3)
        token = f"{os.getpid()}-{random.randint(1000, 9999)}"
        cls.first = DaemonRun("journal-first", f"203.0.113.{first}", f"intruder-{token}-a")
        cls.second = DaemonRun("journal-first", f"203.0.113.{second}", f"intruder-{token}-b",
                               directory=cls.first.directory)
        cls.journal_copy = cls.copy_journal(cls.first.directory.path / "journal-copy")
        cls.third = DaemonRun("journal-third", f"203.0.113.{third}", f"intruder-{token}-c")
        cls.directory = cls.first.directory
        cls.stopped = cls.third.stopped

    @staticmethod
    def copy_journal(copy):
        """Copies the system journal's files into `copy` and returns the names of the copies."""
        copy.mkdir()
        subprocess.run(["journalctl", "--sync"], capture_output=True, timeout=20, check=False)
        copied = []
        for root in (Path("/run/log/journal"), Path("/var/log/journal")):
            for path in sorted(root.glob("*/*.journal*")):
                target = copy / f"{path.parent.name}-{path.name}"
                shutil.copyfile(path, target)
                copied.append(target.name)
        return copied

    @classmethod
    def tearDownClass(cls):
        cls.first.directory.remove()
        cls.third.directory.remove()

    def setUp(self):
        for run in (self.first, self.second, self.third):
            if run.failure:
                raise AssertionError(run.failure)

    def since(self):
        """Returns the period start: just before the first run, so alerts of earlier tests on this host stay out."""
        return iso_time(self.started - 2)

    def check_episode(self, report, rule, key, entries):
        close = [e for e in entries if field(e, "LEAFWATCH_EPISODE") == "close"][-1]
        found = [e for e in report["episodes"] if e["rule"] == rule and e["key"] == key]
        self.assertEqual(len(found), 1, f"episodes of {rule} for {key!r} in the report: "
                         f"{[(e['rule'], e['key'], e['episodeID']) for e in report['episodes']][-20:]}")
        episode = found[0]
        self.assertEqual(episode["priority"], PRIORITY_NAMES[int(field(close, "PRIORITY"))], f"priority of {rule}")
        self.assertEqual(episode["count"], int(field(close, "LEAFWATCH_COUNT")), f"count of {rule}")
        self.assertEqual(episode["count"], 5, f"count of {rule}: five failed logins were written")
        self.assertEqual(episode["firstSeen"], field(close, "LEAFWATCH_FIRST_SEEN"), f"first time of {rule} {key}")
        self.assertEqual(episode["lastSeen"], field(close, "LEAFWATCH_LAST_SEEN"), f"last time of {rule} {key}")
        self.assertEqual(episode["episodeID"], int(field(close, "LEAFWATCH_EPISODE_ID")), f"episode number of {rule}")
        self.assertTrue(episode["isClosed"], f"{rule} episode is closed")
        self.assertEqual(episode["threshold"], 3, f"threshold of {rule}")

    def check_run(self, report, run):
        self.check_episode(report, "auth-failures-per-ip", run.address, run.by_address)
        self.check_episode(report, "auth-failures-per-user", run.user, run.by_user)

    def test_daemons_stopped_cleanly(self):
        for name, run in (("first", self.first), ("second", self.second), ("third", self.third)):
            self.assertEqual(run.status, 0, f"exit status of the {name} daemon after SIGTERM\n" + run.describe())

    def test_local_journal_episodes(self):
        report = report_json(self, "--config", self.directory.config, "--since", self.since(), "--until", "now")
        self.check_run(report, self.second)

    def test_episodes_of_two_state_directories(self):
        numbers = {name: sorted({field(run.by_address[-1], "LEAFWATCH_EPISODE_ID"),
                                 field(run.by_user[-1], "LEAFWATCH_EPISODE_ID")})
                   for name, run in (("first", self.first), ("second", self.second), ("third", self.third))}
        print(f"     episode numbers per run: {numbers}")
        report = report_json(self, "--config", self.directory.config, "--since", self.since(), "--until", "now")
        self.check_run(report, self.first)
        self.check_run(report, self.third)

    def test_journal_directory_copy(self):
        self.assertTrue(self.journal_copy, "journal files found under /run/log/journal or /var/log/journal")
        report = report_json(self, "--config", self.directory.config, "--since", self.since(), "--until", "now",
                             "--journal-directory", self.directory.path / "journal-copy")
        self.check_run(report, self.first)
        self.check_run(report, self.second)

    def test_journal_directory_missing(self):
        missing = self.directory.path / "no-such-directory"
        result = leafwatch("report", "--config", self.directory.config, "--since", self.since(), "--until", "now",
                           "--journal-directory", missing, "--format", "json")
        self.assertEqual(result.status, EXIT_NO_INPUT, "exit status for a missing --journal-directory\n" + result.describe())
        self.assertIn(str(missing), result.stderr, "the error names the directory\n" + result.describe())
        self.assertEqual(result.stdout, "", "no report on stdout\n" + result.describe())

    def test_no_journal_skips_alerts(self):
        report = report_json(self, "--config", self.directory.config, "--since", self.since(), "--until", "now",
                             "--no-journal")
        self.assertEqual(report["episodes"], [], "--no-journal reads no alerts")

    def test_period_before_alerts_excludes_them(self):
        until = iso_time(self.started - 120)
        report = report_json(self, "--config", self.directory.config, "--since", iso_time(self.started - 3600),
                             "--until", until)
        keys = [(e["rule"], e["key"]) for e in report["episodes"]]
        # The user name is unique to this run; an address may repeat one of an earlier run in the last hour.
        self.assertNotIn(("auth-failures-per-user", self.third.user), keys, "an episode after the period's end")

    def test_mail_subject_counts_alerts(self):
        sink = SmtpSink(self.directory.path / "received")
        self.addCleanup(sink.stop)
        sendmail = f"{MSMTP} -C {self.directory.msmtp_config(sink.port)} -t"
        config = self.directory.path / "mail.conf"
        config.write_text(self.directory.config.read_text().replace("Sendmail=/usr/sbin/sendmail -t -oi",
                                                                    f"Sendmail={sendmail}"))
        until = iso_time(self.stopped + 1)
        arguments = ["--config", config, "--since", self.since(), "--until", until, "--host", HOST]
        report = report_json(self, *arguments)
        mailed = leafwatch("report", *arguments, "--mail")
        self.assertEqual(mailed.status, 0, mailed.describe())
        self.assertEqual(sink.count(), 1, "messages received\n" + mailed.describe())
        _, message, _ = parse_message(sink.messages()[0])
        alerts = len(report["episodes"])
        self.assertGreaterEqual(alerts, 2, "the report has the test's two episodes")
        self.assertRegex(str(message["Subject"]), rf": {alerts} alerts$", "the subject counts the report's episodes")


# Running --------------------------------------------------------------------

class LineResult(unittest.TestResult):
    """Prints one line per test as it finishes, with the failure's message indented below."""

    def startTest(self, test):
        super().startTest(test)
        self.started = time.monotonic()

    def name(self, test):
        parts = test.id().split(".")
        return f"{parts[-2]}.{parts[-1].removeprefix('test_')}" if len(parts) > 1 else test.id()

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
        if not hasattr(self, "started"):
            self.started = time.monotonic()
        self.report(test, "FAIL", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.report(test, "skip", reason)


def main():
    global BINARY
    arguments = sys.argv[1:]
    if not arguments or arguments[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if arguments else 64
    BINARY = os.path.realpath(arguments[0])
    if not os.access(BINARY, os.X_OK):
        print(f"report-test.py: '{arguments[0]}' is not an executable file; build with 'swift build -c release'",
              file=sys.stderr)
        return 66
    for path, fix in ((MSMTP, "run scripts/deps.sh test"), (str(VENV_PYTHON), "run scripts/deps.sh test"),
                      (JOURNAL_REMOTE, "run scripts/deps.sh test")):
        if not os.access(path, os.X_OK):
            print(f"report-test.py: '{path}' not found. To install it: {fix}", file=sys.stderr)
            return 69
    if os.geteuid() != 0:
        print("report-test.py: must run as root (it reads the system journal and may start journald)", file=sys.stderr)
        return 77
    patterns = arguments[1:]

    # The services stay running afterwards: other test scripts may use the same journald.
    if subprocess.run([SERVICES_SCRIPT, "status"], capture_output=True).returncode != 0:
        if subprocess.run([SERVICES_SCRIPT, "start"]).returncode != 0:
            print("report-test.py: scripts/services.sh start failed", file=sys.stderr)
            return 1
        print("report-test.py: started the test services; stop them with 'scripts/services.sh stop'")

    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for test_class in (MailTests, LedgerTests, SendmailFailureTests, HeaderTests, JournalTests, RemoteJournalTests):
        names = [name for name in loader.getTestCaseNames(test_class)
                 if not patterns or any(pattern in f"{test_class.__name__}.{name}" for pattern in patterns)]
        for name in names:
            suite.addTest(test_class(name))
    result = LineResult()
    began = time.monotonic()
    suite.run(result)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed ({time.monotonic() - began:.0f} s)")
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
