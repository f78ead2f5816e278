#!/usr/bin/env python3
"""Write the synthetic fixture week of the report's golden test, and the report it must give.

Run once from this folder; its output is committed next to it:

    python3 make-week.py

The output is the same on every run: the "random" choices come from a seeded
random.Random, and gzip files are written with a zero timestamp and no name.

Every request and error-log event is first made as a record, then written as
a log line, and the expected report (expected.json) is computed from the same
records by the rules of `leafwatch report`, not by running leafwatch:

- The period is 2026-10-19 00:00 to 2026-10-26 00:00 in Europe/Berlin, which
  is 7 days and 1 hour because summer time ends on Sunday 25 October at
  03:00 CEST (01:00 UTC). The previous period is the same number of local
  days just before: 2026-10-12 00:00 to 2026-10-19 00:00, 168 hours.
- Status classes, per-day requests, 401/403 and 5xx count access-log lines.
- A user's failures are 401 responses with a user name, 403 responses, and
  error-log failures naming the user. The error-log copy of an access-log
  failure is counted once: records made as copies carry `copy=True`.
- usersLoggedIn is the number of distinct users with a 2xx or 3xx response
  on that local day.
- New addresses are networks (IPv4 whole, IPv6 /64) that a user succeeded
  from in the period but not in the previous period.
- A gap is a span of more than 3600 s inside the period without any access-
  or error-log line. The period's start and end count as lines.
"""

import gzip
import ipaddress
import json
import os
import random
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))

# Europe/Berlin in autumn 2026: CEST (+02:00) until 2026-10-25 01:00 UTC, then CET (+01:00).
SUMMER_TIME_END = int(datetime(2026, 10, 25, 1, 0, tzinfo=timezone.utc).timestamp())


def offset_at(utc_seconds):
    """Return Berlin's UTC offset in seconds at an instant of September or October 2026."""
    return 7200 if utc_seconds < SUMMER_TIME_END else 3600


def local(year, month, day, hour=0, minute=0, second=0):
    """Return the UTC instant of a Berlin wall-clock time that is not in the repeated hour."""
    naive = int(datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc).timestamp())
    summer = naive - 7200
    winter = naive - 3600
    if summer < SUMMER_TIME_END and winter >= SUMMER_TIME_END:
        raise ValueError("local time %s is ambiguous" % datetime(year, month, day, hour, minute, second))
    return summer if summer < SUMMER_TIME_END else winter


def iso(utc_seconds):
    return datetime.fromtimestamp(utc_seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def wall_clock(utc_seconds):
    """Return the Berlin wall-clock time of an instant as a naive datetime, and the offset."""
    offset = offset_at(utc_seconds)
    return datetime.fromtimestamp(utc_seconds + offset, timezone.utc).replace(tzinfo=None), offset


PERIOD = (local(2026, 10, 19), local(2026, 10, 26))
PREVIOUS = (local(2026, 10, 12), PERIOD[0])
MIN_GAP = 3600

# logrotate rotated both logs at 06:25 local on these days; a file's lines end there.
# Files older than 1 October belong to September's access.log.3.gz and error.log.3.gz.
ROTATIONS = [local(2026, 10, 1), local(2026, 10, 20, 6, 25), local(2026, 10, 23, 6, 25)]

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
PROBE = "Monitoring-Probe/2.1"
MONITOR = "192.0.2.10"

# Ordinary members, each with the one address they use every week.
MEMBERS = {
    "anna": "198.51.100.11", "ben": "198.51.100.12", "carla": "198.51.100.13", "david": "198.51.100.14",
    "emma": "198.51.100.15", "felix": "198.51.100.16", "greta": "198.51.100.17", "hugo": "198.51.100.18",
    "ida": "198.51.100.19", "jonas": "198.51.100.20", "karl": "198.51.100.21", "lena": "198.51.100.22",
}
MIA = "198.51.100.40"       # fails all week, never succeeds: locked out
NOAH = "198.51.100.41"      # fails three times on Wednesday, then succeeds
OLGA = "198.51.100.50"      # usual address; on Friday she logs in from a hotel
OLGA_HOTEL = "203.0.113.80"
PAUL = "203.0.113.90"       # a new member, first seen in the period
QUINN_OLD = "2001:db8:1:2::a"   # previous week
QUINN_SAME_NET = "2001:db8:1:2::b"  # same /64: not a new address
QUINN_NEW_NET = "2001:db8:5:6::1"   # another /64: a new address
ATTACKER = "203.0.113.66"
SCANNER = "203.0.113.200"

ATTACK_REAL_NAMES = ["anna", "ben", "carla", "david", "emma"]
ATTACK_UNKNOWN_NAMES = ["admin", "administrator", "root", "test", "guest", "info", "office", "user", "webmaster", "support"]

rng = random.Random(20261019)

# Records: requests (access log) and error-log events, with UTC times.
requests = []
errors = []
malformed = []  # (utc time used for file placement, text)


def request(t, client, user, method, path, status, size, agent=BROWSER, referer="-"):
    record = dict(t=t, client=client, user=user, method=method, path=path, status=status, size=size,
                  agent=agent, referer=referer)
    requests.append(record)
    return record


def error_event(t, level, module, message, client=None, kind=None, user=None, copy=False, micro=None):
    """An error-log line. `kind` is "failure" or "denial" for events the report counts, else None."""
    record = dict(t=t, level=level, module=module, message=message, client=client, kind=kind, user=user,
                  copy=copy, micro=micro if micro is not None else rng.randrange(1, 999999))
    errors.append(record)
    return record


def port():
    return rng.randrange(40000, 65000)


def auth_failure_copy(t, client, user, path, known=True, delay=0):
    """The error-log copy that mod_auth_basic writes for a 401 with a user name."""
    if known:
        message = 'AH01617: user %s: authentication failure for "%s": Password Mismatch' % (user, path)
    else:
        message = "AH01618: user %s not found: %s" % (user, path)
    error_event(t + delay, "error", "auth_basic", message, client=client, kind="failure", user=user, copy=True)


# MARK: - Traffic


def session(start, user, client, agent=BROWSER, challenge=False, check_in=False):
    """A member's visit: optionally the browser's challenge (401 without a user), then pages."""
    t = start
    if challenge:
        request(t, client, None, "GET", "/members/", 401, 381, agent)
        t += rng.randrange(3, 12)
    request(t, client, user, "GET", "/members/", 200, rng.randrange(4000, 9000), agent)
    t += rng.randrange(1, 3)
    request(t, client, user, "GET", "/members/static/site.css", 304, 0, agent, "https://club.example.org/members/")
    t += rng.randrange(10, 90)
    request(t, client, user, "GET", "/members/calendar", 200, rng.randrange(8000, 20000), agent,
            "https://club.example.org/members/")
    if check_in:
        t += rng.randrange(20, 120)
        request(t, client, user, "POST", "/members/checkin", 302, 0, agent, "https://club.example.org/members/calendar")
        t += 1
        request(t, client, user, "GET", "/members/checkin/done", 200, rng.randrange(2000, 3000), agent,
                "https://club.example.org/members/calendar")
    return t


def monitor(start, end):
    """The uptime probe: one unauthenticated request every 20 minutes, at :07, :27 and :47 UTC."""
    t = start - start % 1200 + 420
    if t < start:
        t += 1200
    while t < end:
        request(t, MONITOR, None, "GET", "/health", 200, 2, PROBE)
        t += 1200


def weekly_traffic(monday, check_in_day):
    """Ordinary members' visits in the week starting at local midnight `monday` (a date)."""
    for offset in range(7):
        day = monday + timedelta(days=offset)
        is_check_in = offset == check_in_day
        for name, client in MEMBERS.items():
            # Everyone comes on the check-in day; on other days about a third of the members do.
            if not is_check_in and rng.random() > 0.35:
                continue
            hour = rng.randrange(17, 21) if is_check_in else rng.randrange(8, 22)
            start = local(day.year, day.month, day.day, hour, rng.randrange(0, 60), rng.randrange(0, 60))
            agent = PHONE if rng.random() < 0.3 else BROWSER
            session(start, name, client, agent, challenge=rng.random() < 0.5, check_in=is_check_in)


def rotation_notices(t):
    """The error-log lines of logrotate's graceful restart of Apache."""
    error_event(t, "notice", "mpm_event", "AH00493: SIGUSR1 received.  Doing graceful restart")
    error_event(t + 1, "notice", "mpm_event",
                "AH00489: Apache/2.4.62 (Debian) configured -- resuming normal operations")
    error_event(t + 1, "notice", "core", "AH00094: Command line: '/usr/sbin/apache2'")


def make_september():
    """access.log.3.gz: three days in September, before the site was offline for a month."""
    for day in (7, 8, 9):
        monitor(local(2026, 9, day, 8), local(2026, 9, day, 20))
        for name, client in list(MEMBERS.items())[:6]:
            session(local(2026, 9, day, rng.randrange(9, 19), rng.randrange(0, 60)), name, client)
        t = local(2026, 9, day, 12, 30)
        request(t, ATTACKER, "admin", "GET", "/members/", 401, 381, "curl/8.5.0")
        auth_failure_copy(t, ATTACKER, "admin", "/members/", known=False)


def make_before_previous():
    """10 and 11 October: after the site came back, before the previous period."""
    error_event(local(2026, 10, 10, 7, 59, 58), "notice", "mpm_event",
                "AH00489: Apache/2.4.62 (Debian) configured -- resuming normal operations")
    monitor(local(2026, 10, 10, 8), local(2026, 10, 11, 22, 30))
    for name, client in list(MEMBERS.items())[:8]:
        session(local(2026, 10, 10, rng.randrange(9, 20), rng.randrange(0, 60)), name, client)
    session(local(2026, 10, 11, 10, 15), "mia", MIA)
    request(local(2026, 10, 11, 15, 0), MEMBERS["hugo"], "hugo", "GET", "/members/report.pdf", 500, 612)
    # From 22:30 to 00:30 the host was moved to another rack, so there are no
    # lines. A previous period of 169 hours would start at 23:00, and with no
    # line between 23:00 and midnight its counts equal those of the 168 hours.
    error_event(local(2026, 10, 11, 22, 30), "notice", "mpm_event", "AH00491: caught SIGTERM, shutting down")


def make_previous_week():
    """The previous period: the ordinary week of 12 to 18 October, check-in on Thursday the 15th."""
    error_event(local(2026, 10, 12, 0, 30), "notice", "mpm_event",
                "AH00489: Apache/2.4.62 (Debian) configured -- resuming normal operations")
    monitor(local(2026, 10, 12, 0, 30), PERIOD[0])
    weekly_traffic(datetime(2026, 10, 12), 3)
    # The members with a story this week were seen last week from their usual addresses.
    session(local(2026, 10, 13, 19, 5), "mia", MIA)
    session(local(2026, 10, 15, 18, 40), "mia", MIA, check_in=True)
    session(local(2026, 10, 15, 18, 10), "noah", NOAH, check_in=True)
    session(local(2026, 10, 15, 17, 30), "olga", OLGA, check_in=True)
    session(local(2026, 10, 16, 9, 20), "olga", OLGA)
    session(local(2026, 10, 15, 20, 5), "quinn", QUINN_OLD, PHONE, check_in=True)

    # A forgotten password: two failures, then success.
    t = local(2026, 10, 14, 11, 2, 10)
    for attempt in range(2):
        request(t + attempt * 25, MEMBERS["karl"], "karl", "GET", "/members/", 401, 381)
        auth_failure_copy(t + attempt * 25, MEMBERS["karl"], "karl", "/members/")
    session(t + 60, "karl", MEMBERS["karl"])

    # Two server errors of the previous week.
    request(local(2026, 10, 16, 14, 3, 1), MEMBERS["greta"], "greta", "GET", "/members/calendar", 500, 612)
    request(local(2026, 10, 17, 9, 44, 30), MEMBERS["ida"], "ida", "GET", "/members/calendar", 502, 410)


def make_period():
    """The period: 19 to 25 October, check-in on Thursday the 22nd."""
    monitor(PERIOD[0], local(2026, 10, 21, 1, 40))
    monitor(local(2026, 10, 21, 3, 0, 12), local(2026, 10, 26, 9, 0))
    weekly_traffic(datetime(2026, 10, 19), 3)

    for rotation in ROTATIONS[1:]:
        rotation_notices(rotation)
    make_maintenance()
    make_mia()
    make_noah()
    make_new_addresses()
    make_attack()
    make_denial()
    make_scanner()
    make_server_errors()
    make_summer_time_end()

    # One line cut short when the disk filled up, in the middle of Wednesday.
    malformed.append((local(2026, 10, 21, 12, 0, 4),
                      '198.51.100.14 - david [21/Oct/2026:12:00:03 +0200] "GET /members/calen'))


def make_maintenance():
    """Wednesday night: Apache stopped from 01:40:00 to 03:00:12 local, a gap of 80 minutes."""
    error_event(local(2026, 10, 21, 1, 40), "notice", "mpm_event", "AH00491: caught SIGTERM, shutting down",
                micro=0)
    error_event(local(2026, 10, 21, 3, 0, 12), "notice", "mpm_event",
                "AH00489: Apache/2.4.62 (Debian) configured -- resuming normal operations", micro=0)


def make_mia():
    """mia fails twice a day, Monday to Saturday, and never gets in: locked out."""
    for day in range(19, 25):
        for hour in (9, 20):
            t = local(2026, 10, day, hour, 15 + day % 7, 5)
            request(t, MIA, "mia", "GET", "/members/", 401, 381)
            # httpd writes its error-log line in the same second or the next.
            auth_failure_copy(t, MIA, "mia", "/members/", delay=(day + hour) % 2)
    # Her calendar app tries WebDAV, whose requests go to another access log:
    # this failure is in the error log only.
    error_event(local(2026, 10, 21, 7, 30, 40), "error", "auth_basic",
                'AH01617: user mia: authentication failure for "/dav/calendar/": Password Mismatch',
                client=MIA, kind="failure", user="mia")


def make_noah():
    """noah mistypes his password three times on Wednesday morning, then logs in."""
    t = local(2026, 10, 21, 8, 10, 0)
    for attempt in range(3):
        request(t + attempt * 30, NOAH, "noah", "GET", "/members/", 401, 381, PHONE)
        auth_failure_copy(t + attempt * 30, NOAH, "noah", "/members/", delay=1)
    session(t + 120, "noah", NOAH, PHONE)
    session(local(2026, 10, 22, 18, 30), "noah", NOAH, PHONE, check_in=True)


def make_new_addresses():
    """olga and quinn log in from new networks; paul is a new member."""
    session(local(2026, 10, 19, 19, 0), "olga", OLGA)
    session(local(2026, 10, 22, 17, 45), "olga", OLGA, check_in=True)
    session(local(2026, 10, 23, 14, 0), "olga", OLGA_HOTEL, PHONE)
    session(local(2026, 10, 24, 10, 30), "olga", OLGA)

    session(local(2026, 10, 20, 18, 0), "paul", PAUL, challenge=True)
    session(local(2026, 10, 22, 19, 30), "paul", PAUL, check_in=True)

    session(local(2026, 10, 19, 20, 10), "quinn", QUINN_SAME_NET, PHONE)
    session(local(2026, 10, 22, 20, 20), "quinn", QUINN_SAME_NET, PHONE, check_in=True)
    session(local(2026, 10, 24, 11, 0), "quinn", QUINN_NEW_NET, PHONE)


def make_attack():
    """Thursday 19:05 local: one address guesses passwords for 15 names, three rounds, every 20 s."""
    t = local(2026, 10, 22, 19, 4, 50)
    request(t, ATTACKER, None, "GET", "/members/", 401, 381, "python-requests/2.32.3")
    t += 10
    names = ATTACK_REAL_NAMES + ATTACK_UNKNOWN_NAMES
    for attempt in range(45):
        name = names[attempt % len(names)]
        request(t, ATTACKER, name, "GET", "/members/", 401, 381, "python-requests/2.32.3")
        auth_failure_copy(t, ATTACKER, name, "/members/", known=name in MEMBERS, delay=attempt % 2)
        t += 20


def make_denial():
    """ben opens the board's folder, which members may not read: a 403 in both logs."""
    t = local(2026, 10, 20, 21, 12, 9)
    request(t, MEMBERS["ben"], "ben", "GET", "/members/board/", 403, 199)
    error_event(t, "error", "authz_core", 'AH01631: user ben: authorization failure for "/members/board/": ',
                client=MEMBERS["ben"], kind="denial", user="ben", copy=True)


def make_scanner():
    """Tuesday afternoon: a vulnerability scanner probes well-known paths, no login."""
    t = local(2026, 10, 20, 15, 33, 0)
    for path in ["/wp-login.php", "/.env", "/.git/config", "/admin/", "/phpmyadmin/", "/cgi-bin/test.cgi",
                 "/server-status", "/xmlrpc.php"]:
        status = 403 if path == "/server-status" else 404
        request(t, SCANNER, None, "GET", path, status, 196, "Mozilla/5.0 zgrab/0.x")
        if status == 403:
            # mod_authz_core's denial has no user, so it is no user's failure.
            error_event(t, "error", "authz_core", "AH01630: client denied by server configuration: /var/www/html/server-status",
                        client=SCANNER, kind="denial", user=None)
        t += 2
    request(t, SCANNER, None, "GET", "/cgi-bin/status", 500, 530, "Mozilla/5.0 zgrab/0.x")


def make_server_errors():
    """Saturday 10:00 local: the application server behind the proxy is down for four minutes."""
    t = local(2026, 10, 24, 10, 0, 3)
    error_event(t - 1, "error", "proxy", "(111)Connection refused: AH00957: http: attempt to connect to 127.0.0.1:8080 (127.0.0.1:8080) failed")
    names = list(MEMBERS)
    for index in range(24):
        name = names[index % 6]
        client = MEMBERS[name]
        request(t, client, name, "GET", "/members/calendar", 503, 299)
        error_event(t, "error", "proxy_http", "AH01114: HTTP: failed to make connection to backend: 127.0.0.1",
                    client=client)
        t += 10
    # One more on Thursday evening, during the check-in.
    request(local(2026, 10, 22, 19, 41, 7), MEMBERS["lena"], "lena", "POST", "/members/checkin", 500, 612)


def make_summer_time_end():
    """Night of Saturday to Sunday: activity around 03:00 CEST, which becomes 02:00 CET."""
    # 00:50 and 00:55 UTC are 02:50 and 02:55 +0200, then 01:05 UTC is 02:05 +0100.
    session(SUMMER_TIME_END - 600, "jonas", MEMBERS["jonas"])
    request(SUMMER_TIME_END + 300, MEMBERS["jonas"], "jonas", "GET", "/members/calendar", 200, 11020)
    session(SUMMER_TIME_END + 2700, "hugo", MEMBERS["hugo"], PHONE)


def make_after_period():
    """Monday 26 October from 00:00 local: lines after the period, ignored by the report."""
    for name in ("anna", "ben", "carla"):
        session(local(2026, 10, 26, rng.randrange(7, 9), rng.randrange(0, 60)), name, MEMBERS[name])
    request(local(2026, 10, 26, 8, 30), ATTACKER, "admin", "GET", "/members/", 401, 381, "python-requests/2.32.3")


# MARK: - Writing


def access_line(r):
    clock, offset = wall_clock(r["t"])
    sign = "+" if offset >= 0 else "-"
    zone = "%s%02d%02d" % (sign, abs(offset) // 3600, abs(offset) % 3600 // 60)
    stamp = clock.strftime("%d/%b/%Y:%H:%M:%S") + " " + zone
    size = "-" if r["size"] == 0 else str(r["size"])
    return '%s - %s [%s] "%s %s HTTP/1.1" %d %s "%s" "%s"' % (
        r["client"], r["user"] or "-", stamp, r["method"], r["path"], r["status"], size, r["referer"], r["agent"])


def error_line(e):
    clock, _ = wall_clock(e["t"])
    if clock.date() == datetime(2026, 10, 25).date() and clock.hour == 2:
        raise ValueError("error-log line in the repeated hour: %s" % e["message"])
    stamp = clock.strftime("%a %b %d %H:%M:%S") + ".%06d" % e["micro"] + clock.strftime(" %Y")
    pid = 4242 if e["client"] else 1000
    tid = 140000000000000 + pid if e["client"] else pid
    client = " [client %s:%d]" % (e["client"], port()) if e["client"] else ""
    if e["message"].startswith("(111)"):
        client = ""
    return "[%s] [%s:%s] [pid %d:tid %d]%s %s" % (stamp, e["module"], e["level"], pid, tid, client, e["message"])


def write_logs():
    """Write the access and error logs as logrotate leaves them, lines in time order per file."""
    access_files = {}
    for r in requests:
        access_files.setdefault(file_of("access.log", r["t"]), []).append((r["t"], 0, access_line(r)))
    for t, text in malformed:
        access_files.setdefault(file_of("access.log", t), []).append((t, 0, text))
    error_files = {}
    for e in errors:
        error_files.setdefault(file_of("error.log", e["t"]), []).append((e["t"], e["micro"], error_line(e)))
    for files in (access_files, error_files):
        for name, lines in files.items():
            lines.sort(key=lambda item: (item[0], item[1]))
            write_file(name, "".join(text + "\n" for _, _, text in lines))


def file_of(base, t):
    """Return the name of the file of the series `base` that contains a line of time `t`."""
    newer = sum(1 for rotation in ROTATIONS if t < rotation)
    return [base, base + ".1", base + ".2.gz", base + ".3.gz"][newer]


def write_file(name, text):
    data = text.encode("utf-8")
    if name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    with open(os.path.join(HERE, name), "wb") as file:
        file.write(data)


# MARK: - Expected report


def address_key(text):
    """Order of client addresses in the top lists: IPv4 before IPv6, then by value."""
    address = ipaddress.ip_address(text)
    return (0 if address.version == 4 else 1, int(address))


def network_of(text):
    address = ipaddress.ip_address(text)
    if address.version == 4:
        return text
    return str(ipaddress.ip_network("%s/64" % text, strict=False).network_address)


def in_period(t):
    return PERIOD[0] <= t < PERIOD[1]


def in_previous(t):
    return PREVIOUS[0] <= t < PREVIOUS[1]


def status_class(status):
    return "%dxx" % (status // 100) if 100 <= status <= 599 else "other"


def expected_days():
    days = []
    date = datetime(2026, 10, 19)
    while True:
        start = local(date.year, date.month, date.day)
        if start >= PERIOD[1]:
            break
        following = date + timedelta(days=1)
        end = min(local(following.year, following.month, following.day), PERIOD[1])
        days.append(dict(date=date.strftime("%Y-%m-%d"), weekday=date.strftime("%A"), start=start, end=end,
                         requests=0, denied=0, serverErrors=0, users=set()))
        date = following
    return days


def top(clients, keep, rank):
    selected = [(address, c) for address, c in clients.items() if keep(c)]
    selected.sort(key=lambda item: (tuple(-value for value in rank(item[1])), address_key(item[0])))
    return [dict(address=address, requests=c["requests"], denied=c["denied"], serverErrors=c["serverErrors"],
                 errorLogFailures=c["errorLogFailures"]) for address, c in selected[:10]]


def address_counts(counts):
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [dict(address=address, count=count) for address, count in ordered[:10]]


def expected_report():
    classes = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"]
    count = dict.fromkeys(classes, 0)
    previous_count = dict.fromkeys(classes, 0)
    days = expected_days()
    clients = {}
    users = {}
    earlier_networks = {}
    line_times = set()

    def client_entry(address):
        return clients.setdefault(address, dict(requests=0, denied=0, serverErrors=0, errorLogFailures=0))

    def user_entry(name):
        return users.setdefault(name, dict(failures=0, successes=0, failureAddresses={}, networks={}))

    for r in requests:
        status, user, t = r["status"], r["user"], r["t"]
        success = user is not None and 200 <= status <= 399
        if in_previous(t):
            previous_count[status_class(status)] += 1
            if success:
                earlier_networks.setdefault(user, set()).add(network_of(r["client"]))
            continue
        if not in_period(t):
            continue
        line_times.add(t)
        count[status_class(status)] += 1
        day = next(d for d in days if d["start"] <= t < d["end"])
        day["requests"] += 1
        client = client_entry(r["client"])
        client["requests"] += 1
        if status in (401, 403):
            day["denied"] += 1
            client["denied"] += 1
        if 500 <= status <= 599:
            day["serverErrors"] += 1
            client["serverErrors"] += 1
        if user is None:
            continue
        if (status == 401) or status == 403:
            entry = user_entry(user)
            entry["failures"] += 1
            entry["failureAddresses"][r["client"]] = entry["failureAddresses"].get(r["client"], 0) + 1
        elif success:
            entry = user_entry(user)
            entry["successes"] += 1
            network = network_of(r["client"])
            first, number = entry["networks"].get(network, (r["client"], 0))
            entry["networks"][network] = (first, number + 1)
            day["users"].add(user)

    for e in errors:
        if not in_period(e["t"]):
            continue
        line_times.add(e["t"])
        if e["kind"] is None:
            continue
        client_entry(e["client"])["errorLogFailures"] += 1
        if e["user"] is None or e["copy"]:
            continue
        entry = user_entry(e["user"])
        entry["failures"] += 1
        entry["failureAddresses"][e["client"]] = entry["failureAddresses"].get(e["client"], 0) + 1

    def user_listing(keep):
        selected = [(name, u) for name, u in users.items() if u["failures"] > 0 and keep(u)]
        selected.sort(key=lambda item: (-item[1]["failures"], item[0]))
        entries = [dict(name=name, failures=u["failures"], successes=u["successes"],
                        failureAddressCount=len(u["failureAddresses"]),
                        failureAddresses=address_counts(u["failureAddresses"])) for name, u in selected[:100]]
        return dict(total=len(selected), users=entries)

    new_addresses = []
    for name in sorted(users):
        fresh = {network: value for network, value in users[name]["networks"].items()
                 if network not in earlier_networks.get(name, set())}
        if not fresh:
            continue
        new_addresses.append(dict(user=name, isNewUser=name not in earlier_networks, addressCount=len(fresh),
                                  addresses=address_counts({first: number for first, number in fresh.values()})))

    gaps = []
    previous_line = PERIOD[0]
    for t in sorted(line_times) + [PERIOD[1]]:
        if t - previous_line > MIN_GAP:
            gaps.append(dict(start=iso(previous_line), end=iso(t), seconds=t - previous_line, reason=None))
        previous_line = t

    return dict(
        host="fixture.example",
        timeZone="Europe/Berlin",
        checkInDay="Thursday",
        period=dict(start=iso(PERIOD[0]), end=iso(PERIOD[1])),
        previousPeriod=dict(start=iso(PREVIOUS[0]), end=iso(PREVIOUS[1])),
        requests=sum(count.values()),
        previousRequests=sum(previous_count.values()),
        statusClasses=[{"class": name, "count": count[name], "previousCount": previous_count[name],
                        "change": count[name] - previous_count[name]} for name in classes],
        days=[dict(date=d["date"], weekday=d["weekday"], start=iso(d["start"]), end=iso(d["end"]),
                   requests=d["requests"], denied=d["denied"], serverErrors=d["serverErrors"],
                   usersLoggedIn=len(d["users"]), isCheckInDay=d["weekday"] == "Thursday") for d in days],
        topDeniedClients=top(clients, lambda c: c["denied"] > 0 or c["errorLogFailures"] > 0,
                             lambda c: (c["denied"], c["errorLogFailures"], c["serverErrors"], c["requests"])),
        topServerErrorClients=top(clients, lambda c: c["serverErrors"] > 0,
                                  lambda c: (c["serverErrors"], c["denied"], c["errorLogFailures"], c["requests"])),
        usersWithFailures=user_listing(lambda u: True),
        lockedOutUsers=user_listing(lambda u: u["successes"] == 0),
        newAddresses=dict(total=len(new_addresses), users=new_addresses[:100]),
        episodes=[],
        dataQuality=dict(gaps=gaps, malformedLines=len([t for t, _ in malformed if in_period(t)]), cutLines=0),
    )


def main():
    make_september()
    make_before_previous()
    make_previous_week()
    make_period()
    make_after_period()
    write_logs()
    with open(os.path.join(HERE, "expected.json"), "w") as file:
        json.dump(expected_report(), file, indent=2)
        file.write("\n")


if __name__ == "__main__":
    main()
