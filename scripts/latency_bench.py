#!/usr/bin/env python3
"""Measures `leafwatch run` against a running journald and prints Markdown.

Three parts, each with its own daemon, configuration and state folder:

latency     Failed logins (401 with a user name), each from a new address, are
            appended one line at a time to a followed log. With
            [AuthFailuresPerIP] Threshold=1 each line opens one episode. The
            latency of a line is its alert's __REALTIME_TIMESTAMP (journald's
            receive time) minus time.time_ns() taken just before write().
throughput  A writer appends combined-format lines (mostly 200s, prepared in
            memory) at a fixed rate in batches every 10 ms, then one unique
            failed login. The lag is the time from that last write to its alert
            in the journal: the daemon reads lines in order, so by then it has
            read everything before it. WATCHDOG_USEC=200000 makes the daemon
            send STATUS= (with its lines/s) every 100 ms; summed up, they give
            the unread backlog while the writer runs.
idle        No traffic, WATCHDOG_USEC set, a notify socket read here. CPU time
            and context switches of all the daemon's threads are sampled from
            /proc every 100 ms. A sample in which some thread's context-switch
            count grew counts as a wake-up. A ping that straddles two samples
            counts twice, so up to two wake-ups per ping are expected.

Usage: latency_bench.py BINARY [--work DIR] [--parts latency,throughput,idle] ...
Exit status 0 when every part ran (a target may fail), 1 when a part could
not run or the daemon misbehaved (alerts missing, exit status not 0).
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
LATENCY_TARGET_P99_MS = 20.0
# The daemon kept up when it had read everything at most this long after the
# writer stopped, that is with less than one second of input unread.
THROUGHPUT_MAX_LAG_S = 1.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def apache_time(seconds):
    """Returns Apache's %t text (without brackets) for a Unix time, in UTC."""
    t = time.gmtime(seconds)
    return "%02d/%s/%04d:%02d:%02d:%02d +0000" % (
        t.tm_mday, MONTHS[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min, t.tm_sec)


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


class BenchError(Exception):
    pass


class NotifySocket:
    """A datagram socket in the role of the service manager's NOTIFY_SOCKET;
    a thread stores every message with its CLOCK_MONOTONIC receive time."""

    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def _receive(self):
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append((time.monotonic_ns(), data.decode("utf-8", "replace")))

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def wait_for(self, assignment, timeout, since=0):
        """Waits for a message with the line `assignment` (such as READY=1)
        received at or after monotonic time `since`; returns its time or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for received, text in self.snapshot():
                if received >= since and assignment in text.split("\n"):
                    return received
            time.sleep(0.01)
        return None

    def close(self):
        self.closed = True
        self.thread.join()
        self.sock.close()
        os.unlink(self.path)


class Daemon:
    """One `leafwatch run` process with its own configuration and notify socket."""

    def __init__(self, binary, folder, config_text, environment=None):
        self.folder = folder
        self.config = os.path.join(folder, "leafwatch.conf")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.notify = NotifySocket(os.path.join(folder, "notify.sock"))
        env = dict(os.environ)
        for name in ("WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "LISTEN_FDS"):
            env.pop(name, None)
        env["NOTIFY_SOCKET"] = self.notify.path
        env.update(environment or {})
        self.stderr_path = os.path.join(folder, "daemon.stderr")
        self.stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            [binary, "run", "--config", self.config, "--log-target", "journal"],
            stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr, env=env)
        self.pid = self.process.pid
        if self.notify.wait_for("READY=1", 30) is None:
            status = self.process.poll()
            self.process.kill()
            self.process.wait()
            raise BenchError("leafwatch run did not send READY=1 within 30 s (exit status %s): %s"
                             % (status, self.stderr_tail()))

    def stderr_tail(self):
        self.stderr.flush()
        with open(self.stderr_path, "rb") as f:
            return f.read()[-600:].decode("utf-8", "replace").strip() or "no output"

    def cpu_ticks(self):
        """utime + stime of all threads, in clock ticks (/proc/PID/stat)."""
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def threads(self):
        """Per thread: (name, voluntary + involuntary context switches, run time in ns)."""
        result = {}
        base = "/proc/%d/task" % self.pid
        for tid in os.listdir(base):
            try:
                with open("%s/%s/status" % (base, tid)) as f:
                    status = f.read()
                with open("%s/%s/schedstat" % (base, tid)) as f:
                    runtime = int(f.read().split()[0])
            except OSError:
                continue
            name = re.search(r"^Name:\s*(.*)$", status, re.M).group(1)
            switches = sum(int(v) for v in re.findall(r"^(?:non)?voluntary_ctxt_switches:\s*(\d+)$", status, re.M))
            result[int(tid)] = (name, switches, runtime)
        return result

    def cpu_wait_ns(self):
        """Time the live threads spent runnable but waiting for a CPU
        (schedstat run_delay), in ns; a thread that ended is not counted."""
        total = 0
        base = "/proc/%d/task" % self.pid
        for tid in os.listdir(base):
            try:
                with open("%s/%s/schedstat" % (base, tid)) as f:
                    total += int(f.read().split()[1])
            except OSError:
                continue
        return total

    def peak_rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            return int(re.search(r"^VmHWM:\s*(\d+) kB", f.read(), re.M).group(1))

    def stop(self):
        """SIGTERM, then waits; returns (exit status, whether STOPPING=1 arrived)."""
        since = time.monotonic_ns()
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
            raise BenchError("leafwatch run (PID %d) did not exit within 30 s of SIGTERM" % self.pid)
        stopping = self.notify.wait_for("STOPPING=1", 1, since) is not None
        self.notify.close()
        self.stderr.close()
        return status, stopping


def journal_entries(pid, *matches, fields=None):
    command = ["journalctl", "--no-pager", "-o", "json", "_PID=%d" % pid] + list(matches)
    if fields:
        command.append("--output-fields=" + ",".join(fields))
    out = subprocess.run(command, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def config_text(folder, state_directory, threshold_per_ip, other_detectors, start_at="end"):
    lines = [
        "[Input]",
        "AccessLog=%s/logs/access.log" % folder,
        "ErrorLog=",
        "StartAt=%s" % start_at,
        "",
        "[State]",
        "Directory=%s" % state_directory,
        "",
        "[AuthFailuresPerIP]",
        "Threshold=%d" % threshold_per_ip,
    ]
    if not other_detectors:
        for section in ("AuthFailuresPerUser", "NewClientForUser", "ServerErrorBurst", "RequestFlood"):
            lines += ["", "[%s]" % section, "Enabled=no"]
    return "\n".join(lines) + "\n"


def state_folder(args, part):
    """Returns the part's state directory: in its work folder, or under --state-root."""
    if args.state_root:
        return os.path.join(args.state_root, "leafwatch-bench-" + part)
    return os.path.join(args.work, part, "state")


def prepare_folder(args, part):
    """Creates the part's empty work folder, log and state directory; returns the work folder."""
    folder = os.path.join(args.work, part)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(state_folder(args, part), ignore_errors=True)
    os.makedirs(os.path.join(folder, "logs"))
    os.makedirs(state_folder(args, part))
    open(os.path.join(folder, "logs", "access.log"), "wb").close()
    return folder


def failure_line(address, user, seconds):
    return ('%s - %s [%s] "GET /private/ HTTP/1.1" 401 381 "-" "leafwatch-bench/1"\n'
            % (address, user, apache_time(seconds))).encode()


def check_stop(daemon, part, problems):
    status, stopping = daemon.stop()
    if status != 0:
        problems.append("%s: leafwatch run exited with status %d after SIGTERM: %s" % (part, status, daemon.stderr_tail()))
    if not stopping:
        problems.append("%s: no STOPPING=1 on the notify socket after SIGTERM" % part)
    return "exit status %d after SIGTERM, STOPPING=1 %s" % (status, "sent" if stopping else "missing")


# ---------------------------------------------------------------- latency

def run_latency(args, out, problems):
    folder = prepare_folder(args, "latency")
    log_path = os.path.join(folder, "logs", "access.log")
    daemon = Daemon(args.binary, folder, config_text(folder, state_folder(args, "latency"), 1, other_detectors=False))
    written = {}
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
    try:
        for i in range(1, args.lines + 1):
            address = "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
            line = failure_line(address, "bench%d" % i, time.time())
            before = time.time_ns()
            os.write(fd, line)
            written[address] = before
            time.sleep(args.gap_ms / 1000.0)
    finally:
        os.close(fd)

    fields = ["LEAFWATCH_CLIENT_IP", "LEAFWATCH_EPISODE", "LEAFWATCH_RULE"]
    deadline = time.monotonic() + 30
    while True:
        entries = [e for e in journal_entries(daemon.pid, "LEAFWATCH_RULE=auth-failures-per-ip", fields=fields)
                   if e.get("LEAFWATCH_EPISODE") == "open"]
        if len(entries) >= args.lines or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    stop_text = check_stop(daemon, "latency", problems)

    latencies = []
    seen = {}
    for entry in entries:
        address = entry.get("LEAFWATCH_CLIENT_IP")
        seen[address] = seen.get(address, 0) + 1
        if address in written and seen[address] == 1:
            latencies.append((int(entry["__REALTIME_TIMESTAMP"]) * 1000 - written[address]) / 1e6)
    if args.raw:
        with open(args.raw, "w") as f:
            f.write("address,write_ns,latency_ms\n")
            for address, before in sorted(written.items(), key=lambda item: item[1]):
                match = [e for e in entries if e.get("LEAFWATCH_CLIENT_IP") == address]
                latency = (int(match[0]["__REALTIME_TIMESTAMP"]) * 1000 - before) / 1e6 if match else ""
                f.write("%s,%d,%s\n" % (address, before, latency))
    missing = len([a for a in written if a not in seen])
    duplicated = sum(n - 1 for n in seen.values() if n > 1)
    unexpected = len([a for a in seen if a not in written])
    if missing or duplicated or unexpected:
        problems.append("latency: %d alerts missing, %d duplicated, %d for addresses never written"
                        % (missing, duplicated, unexpected))
    if not latencies:
        raise BenchError("latency: no alerts in the journal for PID %d" % daemon.pid)

    latencies.sort()
    median = percentile(latencies, 50)
    p90 = percentile(latencies, 90)
    p99 = percentile(latencies, 99)
    worst = latencies[-1]
    f2b = args.fail2ban
    out.append("### Latency from a line's write to its alert in the journal")
    out.append("")
    out.append("%d failed logins, each from a new address, appended one line per write() %g ms apart; "
               "`[AuthFailuresPerIP] Threshold=1`, other detectors off. Latency: the alert's "
               "`__REALTIME_TIMESTAMP` (journald's receive time) minus `time.time_ns()` before `write()`."
               % (args.lines, args.gap_ms))
    out.append("")
    out.append("| measure | leafwatch | target | %s | result |" % f2b["label"])
    out.append("|---|---:|---:|---:|---|")
    out.append("| median | %.2f ms | | %s | %s |" % (median, f2b["median"], f2b["ratio"](median)))
    out.append("| p90 | %.2f ms | | | |" % p90)
    out.append("| p99 | %.2f ms | < %g ms | | %s |" % (p99, LATENCY_TARGET_P99_MS,
                                                     "PASS" if p99 < LATENCY_TARGET_P99_MS else "FAIL"))
    out.append("| max | %.2f ms | | %s | |" % (worst, f2b["max"]))
    out.append("")
    out.append("Alerts: %d for %d lines (%d missing, %d duplicated); min %.2f ms; daemon: %s."
               % (len(latencies), len(written), missing, duplicated, latencies[0], stop_text))
    out.append("")


# ---------------------------------------------------------------- throughput

def prepare_batches(rate, interval_s, distinct_batches, placeholder):
    """Combined-format lines, mostly 200s, from 60,000 client addresses: about
    3 requests per address per second at 200,000 lines/s, under the request
    flood default of 600 per minute. 401s carry no user (the browser's
    challenge), so no line counts as a failed login."""
    rng = random.Random(20261204)
    addresses = []
    while len(addresses) < 60000:
        a = "%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))
        if not a.startswith(("10.", "127.", "198.18.", "198.19.")):
            addresses.append(a)
    paths = ["/", "/index.html", "/about", "/contact", "/blog/", "/static/site.css", "/static/app.js",
             "/images/logo.png", "/favicon.ico", "/api/v1/items", "/search?q=leaf", "/feed.xml"]
    paths += ["/blog/%d/post-%d" % (y, n) for y in range(2019, 2027) for n in range(20)]
    agents = ["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
              "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
              "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
              "curl/8.5.0", "Googlebot/2.1 (+http://www.google.com/bot.html)"]
    statuses = [200] * 930 + [304] * 40 + [404] * 25 + [401] * 5
    per_batch = int(rate * interval_s)
    batches = []
    for _ in range(distinct_batches):
        lines = []
        for _ in range(per_batch):
            status = rng.choice(statuses)
            size = rng.randint(200, 40000) if status == 200 else 0
            lines.append('%s - - [%s] "GET %s HTTP/1.1" %d %d "-" "%s"\n'
                         % (rng.choice(addresses), placeholder, rng.choice(paths), status, size, rng.choice(agents)))
        batches.append("".join(lines).encode())
    return per_batch, batches


def unread_backlog(statuses, progress):
    """Returns the largest number of lines written but not yet read at the
    time of a STATUS= message, or None. `statuses` contains (receive time,
    lines/s since the previous STATUS=), `progress` contains (time after a
    write, lines written so far); times are CLOCK_MONOTONIC nanoseconds."""
    if len(statuses) < 2 or not progress:
        return None
    read = 0.0
    largest = 0.0
    index = 0
    written = 0
    for (previous, _), (received, rate) in zip(statuses, statuses[1:]):
        read += rate * (received - previous) / 1e9
        while index < len(progress) and progress[index][0] <= received:
            written = progress[index][1]
            index += 1
        largest = max(largest, written - read)
    return largest


def run_throughput(args, out, problems):
    folder = prepare_folder(args, "throughput")
    log_path = os.path.join(folder, "logs", "access.log")
    placeholder = "00/Xxx/0000:00:00:00 +0000"
    per_batch, batches = prepare_batches(args.rate, 0.01, 100, placeholder)
    placeholder_bytes = placeholder.encode()
    daemon = Daemon(args.binary, folder, config_text(folder, state_folder(args, "throughput"), 1, other_detectors=True),
                    environment={"WATCHDOG_USEC": "200000"})

    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
    count = int(args.duration / 0.01)
    written_lines = 0
    written_bytes = 0
    progress = []
    ticks_start = daemon.cpu_ticks()
    wait_start = daemon.cpu_wait_ns()
    load_start = os.getloadavg()[0]
    start = time.monotonic()
    start_wall = time.time_ns()
    try:
        for k in range(count):
            target = start + k * 0.01
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            batch = batches[k % len(batches)].replace(placeholder_bytes, apache_time(time.time()).encode())
            os.write(fd, batch)
            written_lines += per_batch
            written_bytes += len(batch)
            progress.append((time.monotonic_ns(), written_lines))
        writer_end = time.monotonic()
        final_address = "198.18.0.1"
        final = failure_line(final_address, "final-line-user", time.time())
        final_written = time.time_ns()
        os.write(fd, final)
        written_lines += 1
        written_bytes += len(final)
    finally:
        os.close(fd)

    alert_time = None
    deadline = time.monotonic() + args.duration * 20 + 60
    while time.monotonic() < deadline:
        entries = journal_entries(daemon.pid, "LEAFWATCH_CLIENT_IP=" + final_address, fields=["LEAFWATCH_CLIENT_IP"])
        if entries:
            alert_time = int(entries[0]["__REALTIME_TIMESTAMP"]) * 1000
            break
        if daemon.process.poll() is not None:
            break
        time.sleep(0.02)
    ticks_end = daemon.cpu_ticks() if daemon.process.poll() is None else None
    wait_end = daemon.cpu_wait_ns() if daemon.process.poll() is None else None
    peak_rss = daemon.peak_rss_kib() if daemon.process.poll() is None else None
    statuses = []
    for received, text in daemon.notify.snapshot():
        m = re.search(r"^STATUS=.*?([0-9.]+) lines/s", text, re.M)
        if m:
            statuses.append((received, float(m.group(1))))
    rates = [rate for _, rate in statuses]
    status_gaps = [(b - a) / 1e6 for (a, _), (b, _) in zip(statuses, statuses[1:]) if a >= start * 1e9]
    max_backlog = unread_backlog(statuses, progress)
    other_alerts = journal_entries(daemon.pid, "LEAFWATCH_EPISODE=open", fields=["LEAFWATCH_RULE"])
    stop_text = check_stop(daemon, "throughput", problems)

    if alert_time is None:
        problems.append("throughput: no alert for the last line within the time limit")
        lag = None
    else:
        lag = (alert_time - final_written) / 1e9
    writer_seconds = writer_end - start
    writer_rate = (written_lines - 1) / writer_seconds

    out.append("### Following a file that grows by %s lines per second" % format(args.rate, ","))
    out.append("")
    out.append("A writer appended %s combined-format lines (%.0f MB; 93 %% 200s, no failed logins) in batches of "
               "%d every 10 ms for %g s, then one failed login whose alert marks the end. "
               "Default detectors, `[AuthFailuresPerIP] Threshold=1`."
               % (format(written_lines, ","), written_bytes / 1e6, per_batch, args.duration))
    out.append("")
    out.append("| measure | value |")
    out.append("|---|---:|")
    out.append("| writer's rate | %s lines/s (%.2f s) |" % (format(round(writer_rate), ","), writer_seconds))
    if lag is not None:
        daemon_seconds = (alert_time - start_wall) / 1e9
        out.append("| lag after the writer stopped (last line's write to its alert) | %.3f s |" % lag)
        out.append("| daemon's rate, first write to last alert | %s lines/s |"
                   % format(round(written_lines / daemon_seconds), ","))
    if max_backlog is not None:
        out.append("| largest unread backlog while writing (lines written minus the STATUS= rates summed) "
                   "| %s lines (%.0f ms of input) |" % (format(round(max_backlog), ","), max_backlog * 1000.0 / args.rate))
    else:
        out.append("| largest unread backlog while writing | not measured: fewer than two STATUS= messages |")
    if ticks_end is not None and lag is not None:
        cpu = (ticks_end - ticks_start) / CLOCK_TICKS
        out.append("| daemon CPU time (utime+stime), first write to last alert | %.2f s (%.0f %% of one CPU) |"
                   % (cpu, 100.0 * cpu / daemon_seconds))
        out.append("| lines per CPU second (utime+stime), an estimate of the rate on one idle CPU | %s lines/s |"
                   % format(round(written_lines / cpu), ","))
        out.append("| daemon's time runnable but waiting for a CPU (schedstat run_delay) | %.2f s |"
                   % ((wait_end - wait_start) / 1e9))
    if status_gaps:
        out.append("| longest interval between STATUS= messages (sent every 100 ms from the working queue) | %.0f ms |"
                   % max(status_gaps))
    out.append("| load average (1 min) at the start | %.2f |" % load_start)
    if peak_rss is not None:
        out.append("| daemon's peak RSS (VmHWM) | %.1f MiB |" % (peak_rss / 1024.0))
    if rates:
        out.append("| highest rate in STATUS= | %s lines/s |" % format(round(max(rates)), ","))
    out.append("| other alerts opened | %d |" % (len(other_alerts) - (1 if alert_time is not None else 0)))
    out.append("")
    if lag is None:
        verdict = "FAIL (the last line's alert did not arrive)"
    elif lag <= THROUGHPUT_MAX_LAG_S:
        verdict = "PASS"
    else:
        verdict = "FAIL"
    out.append("Kept up (lag at most %g s, less than one second of input unread): **%s**; daemon: %s."
               % (THROUGHPUT_MAX_LAG_S, verdict, stop_text))
    out.append("")


# ---------------------------------------------------------------- idle

def run_idle(args, out, problems):
    folder = prepare_folder(args, "idle")
    watchdog_usec = 10_000_000
    daemon = Daemon(args.binary, folder, config_text(folder, state_folder(args, "idle"), 5, other_detectors=True),
                    environment={"WATCHDOG_USEC": str(watchdog_usec)})
    time.sleep(args.idle_settle)

    start_threads = daemon.threads()
    start_ticks = daemon.cpu_ticks()
    start = time.monotonic_ns()
    previous = {tid: switches for tid, (_, switches, _) in start_threads.items()}
    seen_threads = dict((tid, name) for tid, (name, _, _) in start_threads.items())
    active_samples = []
    last = start_threads
    while time.monotonic_ns() - start < args.idle * 1e9:
        time.sleep(0.1)
        current = daemon.threads()
        changed = any(current[tid][1] != previous.get(tid) for tid in current)
        active_samples.append(changed)
        previous = {tid: switches for tid, (_, switches, _) in current.items()}
        for tid, (name, _, _) in current.items():
            seen_threads.setdefault(tid, name)
        last = current
    end = time.monotonic_ns()
    end_ticks = daemon.cpu_ticks()
    messages = [text for received, text in daemon.notify.snapshot() if start <= received <= end]
    stop_text = check_stop(daemon, "idle", problems)

    pings = sum(1 for text in messages if "WATCHDOG=1" in text.split("\n"))
    others = [text for text in messages if "WATCHDOG=1" not in text.split("\n")]
    wakeups = sum(1 for active in active_samples if active)
    per_thread = []
    total_switches = 0
    total_runtime = 0
    for tid in sorted(seen_threads):
        before = start_threads.get(tid, (None, 0, 0))
        after = last.get(tid)
        if after is None:
            per_thread.append("%s (%d, ended)" % (seen_threads[tid], tid))
            continue
        switches = after[1] - before[1]
        runtime = after[2] - before[2]
        total_switches += switches
        total_runtime += runtime
        per_thread.append("%s (%d%s): %d switches, %.2f ms"
                          % (after[0], tid, "" if tid in start_threads else ", new", switches, runtime / 1e6))
    seconds = (end - start) / 1e9
    cpu_ms = (end_ticks - start_ticks) * 1000.0 / CLOCK_TICKS

    out.append("### Idle")
    out.append("")
    out.append("No traffic for %.0f s (after %g s of settling), `WATCHDOG_USEC=%d` so pings every %g s, "
               "default detectors, one followed log. Threads sampled from /proc/PID/task/*/{status,schedstat} "
               "every 100 ms; a sample in which a context-switch count grew counts as a wake-up."
               % (seconds, args.idle_settle, watchdog_usec, watchdog_usec / 2e6))
    out.append("")
    out.append("| measure | value |")
    out.append("|---|---:|")
    out.append("| CPU time, utime+stime (/proc/PID/stat, %d ms ticks) | %.0f ms |" % (1000 // CLOCK_TICKS, cpu_ms))
    out.append("| CPU time, sum of threads' schedstat run time | %.2f ms |" % (total_runtime / 1e6))
    out.append("| context switches, all threads (voluntary + involuntary) | %d |" % total_switches)
    out.append("| wake-ups (100 ms samples with a context switch, of %d) | %d |" % (len(active_samples), wakeups))
    out.append("| WATCHDOG=1 pings received | %d |" % pings)
    out.append("| other notify messages | %d |" % len(others))
    out.append("")
    out.append("Threads: %s." % "; ".join(per_thread))
    out.append("")
    verdict = "PASS" if pings > 0 and wakeups <= 2 * pings else "FAIL"
    out.append("No wake-ups beyond the watchdog (at most two wake-up samples per ping, for a ping that "
               "straddles two samples): **%s** (%d wake-ups, %d pings); daemon: %s." % (verdict, wakeups, pings, stop_text))
    out.append("")


# ---------------------------------------------------------------- main

def file_system_type(path):
    result = subprocess.run(["findmnt", "-n", "-o", "FSTYPE,SOURCE", "--target", path], capture_output=True, text=True)
    return " ".join(result.stdout.split()) or "unknown file system"


def fail2ban_figures(anchors_path):
    """fail2ban's follow-mode latency as recorded in the benchmark anchors file."""
    label = "fail2ban (this machine)"
    figures = {"label": label, "median": "n/a", "max": "n/a", "ratio": lambda _: ""}
    try:
        with open(anchors_path) as f:
            text = f.read()
    except OSError:
        return figures
    m = re.search(r"fail2ban ([0-9.]+) in follow mode \(([^)]*)\) took a median ([0-9.]+) s \(max ([0-9.]+) s\)", text)
    if not m:
        return figures
    median_ms = float(m.group(3)) * 1000
    figures["label"] = "fail2ban %s, %s" % (m.group(1), m.group(2))
    figures["median"] = "%.0f ms" % median_ms
    figures["max"] = "%.0f ms" % (float(m.group(4)) * 1000)
    figures["ratio"] = lambda ours: "%.0f times lower" % (median_ms / ours) if ours > 0 else ""
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "leafwatch-latency-bench"),
                        help="work folder, emptied per part (default $TMPDIR/leafwatch-latency-bench)")
    parser.add_argument("--parts", default="latency,throughput,idle")
    parser.add_argument("--lines", type=int, default=300, help="latency: failed logins written (default 300)")
    parser.add_argument("--gap-ms", type=float, default=5, help="latency: pause between writes in ms (default 5)")
    parser.add_argument("--rate", type=int, default=200000, help="throughput: lines per second (default 200000)")
    parser.add_argument("--duration", type=float, default=10, help="throughput: seconds of writing (default 10)")
    parser.add_argument("--idle", type=float, default=30, help="idle: seconds measured (default 30)")
    parser.add_argument("--idle-settle", type=float, default=3, help="idle: seconds after READY=1 before measuring")
    parser.add_argument("--state-root", default="",
                        help="parent folder of the daemons' state directories (default: the work folder); "
                             "a tmpfs such as /dev/shm takes the cost of fsync() out of the figures")
    parser.add_argument("--raw", default="", help="latency: write each line's write time and latency to this CSV file")
    parser.add_argument("--anchors", default="", help="ANCHORS.md with fail2ban's follow-mode latency")
    args = parser.parse_args()
    args.binary = os.path.realpath(args.binary)
    args.fail2ban = fail2ban_figures(args.anchors)
    os.makedirs(args.work, exist_ok=True)

    out = []
    problems = []
    state_parent = args.state_root or args.work
    out.append("Logs in %s (%s), state directories in %s (%s)."
               % (args.work, file_system_type(args.work), state_parent, file_system_type(state_parent)))
    out.append("")
    runners = {"latency": run_latency, "throughput": run_throughput, "idle": run_idle}
    for part in args.parts.split(","):
        if part not in runners:
            parser.error("unknown part '%s'; expected latency, throughput or idle" % part)
        try:
            runners[part](args, out, problems)
        except BenchError as error:
            problems.append(str(error))
        shutil.rmtree(os.path.join(args.work, part), ignore_errors=True)
        shutil.rmtree(state_folder(args, part), ignore_errors=True)
    print("\n".join(out))
    if problems:
        print("Problems:")
        for problem in problems:
            print("- " + problem)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
