#!/usr/bin/env python3
"""SMTP server on 127.0.0.1 that stores every message it receives as a file.

Usage: smtp-sink.py --port N --directory DIR

Each message is written to DIR as NNNN.eml (numbered from 0001, in the
order received) exactly as it arrived in DATA, with CRLF line endings, and
its envelope to NNNN.envelope (MAIL FROM, then one RCPT TO per line). The
file appears under its final name only when complete. The server accepts
any sender and recipient, needs no authentication or TLS, prints nothing
but errors, and exits with status 0 on SIGTERM or SIGINT.

It uses aiosmtpd from PyPI, installed in .build/venv by scripts/deps.sh.
"""

import argparse
import asyncio
import os
import signal
import sys

from aiosmtpd.controller import Controller


class StoringHandler:
    """Writes each message to the directory under the next number."""

    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, f"{self.count:04d}")
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        envelope_text = "\n".join([envelope.mail_from or ""] + list(envelope.rcpt_tos)) + "\n"
        write_atomically(base + ".envelope", envelope_text.encode("utf-8"))
        write_atomically(base + ".eml", content)
        return "250 Message accepted for delivery"


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as file:
        file.write(data)
    os.rename(temporary, path)


def main():
    parser = argparse.ArgumentParser(description="Store messages received over SMTP on 127.0.0.1 as files.")
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1 to listen on")
    parser.add_argument("--directory", required=True, help="existing directory for the received messages")
    options = parser.parse_args()

    # A parent may start this script with SIGTERM blocked (the mask is inherited
    # across exec), which would keep the handler below from ever running.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    if not os.path.isdir(options.directory):
        print(f"smtp-sink.py: directory '{options.directory}' not found", file=sys.stderr)
        return 66

    # decode_data=False keeps the message bytes as they arrived, so a test sees what the client sent.
    controller = Controller(
        StoringHandler(options.directory),
        hostname="127.0.0.1",
        port=options.port,
        decode_data=False,
        ready_timeout=10,
    )
    try:
        controller.start()
    except Exception as error:  # aiosmtpd reports a busy port in several exception types
        print(f"smtp-sink.py: failed to listen on 127.0.0.1:{options.port}: {error}", file=sys.stderr)
        return 71

    stop = asyncio.Event()

    async def wait_for_signal():
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, stop.set)
        await stop.wait()

    try:
        asyncio.run(wait_for_signal())
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
