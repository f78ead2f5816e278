"""Compare leafwatch's parsed access-log fields with those of apachelogs.

Each case names a log under Tests/Fixtures and its format. Every line is
parsed by apachelogs (an independent Python implementation of Apache's
LogFormat) and by `leafwatch scan --records --format F`, and each field that
both produce is compared after Apache unescaping, with times compared as UTC
instants. Lines that apachelogs rejects are listed and left out of the
comparison. A line that apachelogs parses but leafwatch does not, or any field
that differs, fails the file.

The last line printed is `N passed, M failed`, counting files. The exit
status is 1 when a file failed and 2 when the test could not run.
"""

import argparse
import dataclasses
import datetime
import json
import os
import subprocess
import sys
import tempfile

import apachelogs

APACHE_COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'
APACHE_COMMON = '%h %l %u %t "%r" %>s %b'
NGINX_COMBINED = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent'
    ' "$http_referer" "$http_user_agent"'
)
# nginx's combined format written in Apache's LogFormat syntax for apachelogs.
# nginx writes a literal "-" where Apache has %l, and escapes bytes as \xHH,
# which apachelogs decodes like Apache's own escapes.
NGINX_COMBINED_AS_APACHE = '%h - %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'


@dataclasses.dataclass(frozen=True)
class Case:
    """A log file, relative to Tests/Fixtures, and its format."""

    path: str
    apache_format: str
    # The --format argument for leafwatch; None means apache_format.
    leafwatch_format: str | None = None

    @property
    def leafwatch_argument(self):
        return self.leafwatch_format or self.apache_format


CASES = [
    # Apache logs.
    Case("access/elastic-examples/apache_logs.first8000", APACHE_COMBINED, "combined"),
    # Line 6 of this file is in common format, and lines 8 and 9 are
    # error-log lines.
    Case("access/crowdsec-hub/apache2-logs.log", APACHE_COMBINED, "combined"),
    Case("access/crowdsec-hub/apache2-malformed.log", APACHE_COMBINED),
    Case("access/crowdsec-hub/apache-http-probing.log", APACHE_COMMON, "common"),
    # The first line of this file is an error-log line.
    Case("access/crowdsec-hub/apache-cve-2021-41773.log", APACHE_COMMON),
    Case("access/crowdsec-hub/ipv6-postoverflow.log", APACHE_COMBINED),
    Case("access/crowdsec-hub/calibre-web-logs.log", APACHE_COMBINED),
    Case("access/crowdsec-hub/bunkerweb-logs.log",
         '%v %h %l %{X-Request-Id}i %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'),
    Case("access/elastic-beats/apache-access-darwin-2.4.23.log", APACHE_COMMON),
    # Lines 1 and 3 of this file are in common format, and lines 4 and 5 have
    # a field after the combined ones.
    Case("access/elastic-beats/apache-access-test.log", APACHE_COMBINED),
    Case("access/elastic-beats/apache-access-test-vhost.log",
         '%v %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'),
    # Apache's default ssl_request_log format.
    Case("access/elastic-beats/apache-access-ssl-request.log",
         '%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b'),
    Case("access/lnav/logfile_access_log.0", APACHE_COMBINED, "combined"),
    Case("access/lnav/logfile_access_log.1", APACHE_COMBINED, "combined"),
    # Line 2 of this file lacks the %l and %u fields.
    Case("access/lnav/logfile_bad_access_log.0", APACHE_COMBINED),
    Case("access/lnav/logfile_regexp_access_log.0",
         '%v:%p %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D'),
    Case("access/fail2ban/apache-badbots", APACHE_COMBINED),
    Case("access/fail2ban/php-url-fopen", APACHE_COMBINED),
    # nginx logs.
    Case("access/crowdsec-hub/nginx_http-logs.log", NGINX_COMBINED_AS_APACHE, "nginx"),
    Case("access/crowdsec-hub/nginx-http-malformed.log", NGINX_COMBINED_AS_APACHE, "nginx"),
    Case("access/crowdsec-hub/http-dos-invalid-http-versions.log", NGINX_COMBINED_AS_APACHE, "nginx"),
    Case("access/crowdsec-hub/http-dos-switching-ua.log", NGINX_COMBINED_AS_APACHE, "nginx"),
    Case("access/crowdsec-hub/http_dos_random_uri.log", NGINX_COMBINED_AS_APACHE, "nginx"),
    Case("access/elastic-beats/nginx-access-access.log", NGINX_COMBINED_AS_APACHE, "nginx"),
    # In these files some lines have a field after the combined ones, and
    # $remote_addr is often a comma-separated list of addresses.
    Case("access/elastic-beats/nginx-access-test.log", NGINX_COMBINED_AS_APACHE, "nginx"),
    Case("access/elastic-beats/nginx-access-test-with-host.log",
         "%v " + NGINX_COMBINED_AS_APACHE, "$host " + NGINX_COMBINED),
    # Line 2 of this file has a field after the combined ones.
    Case("access/crowdsec-hub/nginx-http-open-proxy.log", NGINX_COMBINED_AS_APACHE, "nginx"),
    Case("access/lnav/logfile_shop_access_log.0",
         NGINX_COMBINED_AS_APACHE + ' "%{X-Forwarded-For}i"',
         NGINX_COMBINED + ' "$http_x_forwarded_for"'),
    Case("access/fail2ban/nginx-bad-request",
         NGINX_COMBINED_AS_APACHE + ' "%{X-Forwarded-For}i"',
         NGINX_COMBINED + ' "$http_x_forwarded_for"'),
    Case("access/fail2ban/nginx-botsearch",
         NGINX_COMBINED_AS_APACHE + ' "%{X-Forwarded-For}i"',
         NGINX_COMBINED + ' "$http_x_forwarded_for"'),
    # Logs written for this project. Each folder's expected.md lists the
    # intended values.
    Case("access/tricky/01-request-line-quote-backslash-escapes/input.log", APACHE_COMBINED),
    Case("access/tricky/02-control-chars-and-non-utf8/apache-escaped.log", APACHE_COMBINED),
    Case("access/tricky/02-control-chars-and-non-utf8/raw-bytes.log", APACHE_COMBINED),
    Case("access/tricky/03-tls-handshake-and-binary-on-plain-port/input.log", APACHE_COMBINED),
    Case("access/tricky/04-dash-empty-ident-and-extra-fields/input.log", APACHE_COMBINED),
    Case("access/tricky/05-remote-user-edge-cases/input.log", APACHE_COMBINED),
    Case("access/tricky/06-vhost-combined-ipv6-hostnames/input.log",
         '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"', "vhost_combined"),
    Case("access/tricky/07-xff-and-timing-fields/apache-xff-last.log",
         APACHE_COMBINED + ' "%{X-Forwarded-For}i" %D'),
    Case("access/tricky/08-timezones-dst-and-ordering/calendar.log", APACHE_COMBINED),
    Case("access/tricky/08-timezones-dst-and-ordering/dst-fallback.log", APACHE_COMBINED),
    Case("access/tricky/08-timezones-dst-and-ordering/out-of-order.log", APACHE_COMBINED),
    Case("access/tricky/08-timezones-dst-and-ordering/same-instant.log", APACHE_COMBINED),
    Case("access/tricky/10-odd-methods-targets-long-lines/input.log", APACHE_COMBINED),
]

# Access-log fixtures that no case covers, with the reason. Any other file
# under Tests/Fixtures/access that is not in CASES is reported, so a new
# fixture is not skipped silently.
NOT_COMPARED = {
    "access/crowdsec-hub/http-bf-wordpress-bf.log": "each line has a syslog prefix before the access-log line",
    "access/crowdsec-hub/nginx-http-generic-bf.log": "nginx error log",
    "access/lnav/format-samples.log": "one line each of several unrelated formats",
    "access/lnav/logfile_syslog_with_access_log.0": "syslog lines with embedded access-log text",
    "access/fail2ban/apache-fakegooglebot": "two formats, and timestamps without a UTC offset, which apachelogs rejects",
    "access/fail2ban/apache-pass": "timestamps have no UTC offset, which apachelogs rejects",
    "access/tricky/07-xff-and-timing-fields/nginx-xff-timing.log":
        "$request_time and $upstream_response_time have no Apache equivalent that apachelogs parses",
}

# leafwatch's record key for each Apache directive that the cases use.
# Headers not named here are written as "header:Name" and %{NAME}x as
# "ssl:NAME".
RECORD_KEYS = {
    "%h": "remoteHost",
    "%a": "clientAddress",
    "%{c}a": "peerAddress",
    "%A": "localAddress",
    "%l": "identity",
    "%u": "user",
    "%r": "request",
    "%m": "method",
    "%U": "path",
    "%q": "query",
    "%H": "protocol",
    "%>s": "status",
    "%s": "originalStatus",
    "%<s": "originalStatus",
    "%b": "responseBytes",
    "%B": "responseBytes",
    "%O": "bytesSent",
    "%I": "bytesReceived",
    "%S": "bytesTransferred",
    "%D": "duration",
    "%v": "virtualHost",
    "%V": "serverName",
    "%p": "serverPort",
    "%{remote}p": "remotePort",
    "%k": "keepAliveRequests",
    "%L": "logID",
    "%X": "connectionStatus",
    "%{Referer}i": "referer",
    "%{User-Agent}i": "userAgent",
    "%{Host}i": "hostHeader",
    "%{X-Forwarded-For}i": "forwardedFor",
}

MAX_DETAILS_PER_FILE = 20


def record_key(directive):
    """Return leafwatch's record key for an apachelogs directive string."""
    if directive in RECORD_KEYS:
        return RECORD_KEYS[directive]
    if directive.startswith("%{") and directive.endswith("}i"):
        return "header:" + directive[2:-2]
    if directive.startswith("%{") and directive.endswith("}x"):
        return "ssl:" + directive[2:-2]
    raise KeyError(f"no leafwatch record key known for directive {directive}; add it to RECORD_KEYS")


def expected_text(value):
    """Render an apachelogs value as leafwatch writes it in a record.

    apachelogs turns "-" into None and numbers into int, and, with
    encoding="bytes", returns unescaped strings as bytes. leafwatch keeps "-"
    and number text as written, and shows invalid UTF-8 as U+FFFD.
    """
    if value is None:
        return "-"
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def format_utc(instant):
    text = instant.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if instant.microsecond:
        text += f".{instant.microsecond:06d}".rstrip("0")
    return text + "Z"


def read_lines(path):
    """Return the file's lines as str, one character per byte (ISO-8859-1).

    apachelogs matches text, and ISO-8859-1 keeps raw bytes >= 0x80 intact,
    because with encoding="bytes" apachelogs encodes the unescaped values back
    to the same bytes.
    """
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line.decode("iso-8859-1") for line in lines]


def run_leafwatch(binary, format_argument, path):
    """Return leafwatch's records for a file, keyed by line number."""
    result = subprocess.run(
        [binary, "scan", "--records", "--format", format_argument, path],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"leafwatch exited with status {result.returncode}: "
            + result.stderr.decode("utf-8", errors="replace").strip()
        )
    records = {}
    for line in result.stdout.decode("utf-8").splitlines():
        record = json.loads(line)
        records[record["line"]] = record
    return records


def short(text, limit=120):
    text = repr(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compare_file(case, path, binary):
    """Compare one file and return whether it passed, with its report lines."""
    parser = apachelogs.LogParser(case.apache_format, encoding="bytes")
    try:
        records = run_leafwatch(binary, case.leafwatch_argument, path)
    except (RuntimeError, ValueError) as error:
        return False, [f"  leafwatch failed: {error}"]

    lines = read_lines(path)
    compared = 0
    differences = []
    rejected = []
    for number, text in enumerate(lines, start=1):
        try:
            entry = parser.parse(text)
        except apachelogs.InvalidEntryError:
            parsed_by_leafwatch = "parsed" if number in records else "rejected"
            rejected.append(f"    line {number} (leafwatch: {parsed_by_leafwatch}): {short(text)}")
            continue

        record = records.get(number)
        if record is None:
            differences.append(f"    line {number}: apachelogs parsed it, leafwatch did not: {short(text)}")
            continue
        compared += 1

        for directive, value in entry.directives.items():
            if directive == "%t" or (directive.startswith("%{") and directive.endswith("}t")):
                continue
            key = record_key(directive)
            expected = expected_text(value)
            actual = record.get(key)
            if actual != expected:
                differences.append(
                    f"    line {number} {key} ({directive}): apachelogs {short(expected)}, leafwatch {short(actual)}"
                )

        status = getattr(entry, "final_status", None) or getattr(entry, "status", None)
        if status is not None and record.get("statusCode") != status:
            differences.append(
                f"    line {number} statusCode: apachelogs {status}, leafwatch {record.get('statusCode')}"
            )

        instant = getattr(entry, "request_time", None)
        if instant is not None:
            actual_utc = record.get("utc")
            try:
                same = datetime.datetime.fromisoformat(actual_utc) == instant
            except (TypeError, ValueError):
                same = False
            if not same:
                differences.append(
                    f"    line {number} utc: apachelogs {format_utc(instant)}, leafwatch {actual_utc!r}"
                )

    passed = not differences and compared > 0
    verdict = "PASS" if passed else "FAIL"
    report = [
        f"{verdict} {case.path}: {len(lines)} lines, {compared} compared,"
        f" {len(rejected)} rejected by apachelogs, {len(differences)} differences"
    ]
    if compared == 0:
        report.append("  apachelogs parsed no line; the case's format is probably wrong")
    report.extend(differences[:MAX_DETAILS_PER_FILE])
    if len(differences) > MAX_DETAILS_PER_FILE:
        report.append(f"    ... and {len(differences) - MAX_DETAILS_PER_FILE} more differences")
    if rejected:
        report.append("  rejected by apachelogs (not compared):")
        report.extend(rejected[:MAX_DETAILS_PER_FILE])
        if len(rejected) > MAX_DETAILS_PER_FILE:
            report.append(f"    ... and {len(rejected) - MAX_DETAILS_PER_FILE} more rejected lines")
    return passed, report


def generate_log(genlog, folder):
    """Write a 20,000-line combined log with genlog.py and return its path."""
    path = os.path.join(folder, "genlog-20000.log")
    subprocess.run(
        [sys.executable, genlog, "-n", "20000", "-o", path],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return path


def main():
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--binary", required=True, help="path of the leafwatch executable")
    arguments.add_argument("--fixtures", required=True, help="the Tests/Fixtures folder")
    arguments.add_argument("--genlog", help="genlog.py; when given and present, a generated log is compared too")
    options = arguments.parse_args()

    fixtures = os.path.abspath(options.fixtures)
    binary = os.path.abspath(options.binary)
    if not os.access(binary, os.X_OK):
        print(f"differential_test.py: leafwatch binary {binary} not found; build it with 'swift build -c release'",
              file=sys.stderr)
        return 2

    covered = {case.path for case in CASES} | set(NOT_COMPARED)
    for folder, _, names in os.walk(os.path.join(fixtures, "access")):
        for name in sorted(names):
            relative = os.path.relpath(os.path.join(folder, name), fixtures)
            if relative not in covered and not name.endswith((".md", ".txt")):
                print(f"NOTE: {relative} is in no case and not listed as skipped; it was not compared")
    for relative, reason in sorted(NOT_COMPARED.items()):
        print(f"skipped {relative}: {reason}")
    print()

    passed = failed = 0
    missing = [case.path for case in CASES if not os.path.isfile(os.path.join(fixtures, case.path))]
    for relative in missing:
        print(f"FAIL {relative}: fixture file not found")
        failed += 1

    with tempfile.TemporaryDirectory(prefix="leafwatch-differential-") as scratch:
        runs = [(case, os.path.join(fixtures, case.path)) for case in CASES if case.path not in missing]
        if options.genlog and os.path.isfile(options.genlog):
            generated = generate_log(options.genlog, scratch)
            runs.append((Case("generated by genlog.py (20,000 lines, default seed)", APACHE_COMBINED, "combined"),
                         generated))
        else:
            print(f"skipped the generated log: genlog.py not found at {options.genlog}")
            print()

        for case, path in runs:
            ok, report = compare_file(case, path, binary)
            print("\n".join(report))
            if ok:
                passed += 1
            else:
                failed += 1

    print()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
