#!/usr/bin/env python3
"""Small network probes and JSON-log queries for zero-trust.sh (the standard library only).

  probe.py serve PORT [PORT...]       TCP listeners on [::] (IPv4 too) that greet with "fz-e2e PORT" and close
  probe.py tcp HOST PORT TIMEOUT      one TCP connect; prints what happened as one JSON object
  probe.py udp HOST PORT TIMEOUT      a connected UDP socket sends until it hears back or an error arrives
  probe.py count LOG FROM K=V...      how many JSON lines after line FROM carry every field K with value V
                                      (and lack every field named K! in the arguments)
  probe.py lines LOG FROM K=V...      those lines themselves
  probe.py audit LOG...               checks each control message is one line with direction sent/received
  probe.py backends LOG               the crypto/io fields a node's log names (its startup lines)
  probe.py notify SOCKET OUT NS DEV   a service manager's NOTIFY_SOCKET: appends each datagram to OUT as one
                                      line, READY=1 ones with whether DEV in namespace NS had an IPv4 address
                                      at that moment (addressed=yes|no); stops after 15 minutes

The connect probes exit 0 when connected (or answered), 1 on a socket error, 2 on a timeout, and report
the error by name (EHOSTUNREACH is what an ICMP "administratively prohibited" error becomes), with the
elapsed time, so the caller can judge "answered at once".
"""
import errno
import json
import os
import selectors
import socket
import subprocess
import sys
import time
from datetime import datetime


def serve(ports):
    selector = selectors.DefaultSelector()
    for port in ports:
        listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(("::", port))
        listener.listen(64)
        selector.register(listener, selectors.EVENT_READ, port)
    print("listening on", ports, flush=True)
    while True:
        for key, _ in selector.select():
            connection, peer = key.fileobj.accept()
            print("accepted", peer[0], "on", key.data, flush=True)
            try:
                connection.sendall(b"fz-e2e %d\n" % key.data)
            except OSError:
                pass
            connection.close()


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def report(result, started, **extra):
    extra.update(result=result, elapsed=round(time.monotonic() - started, 3))
    print(json.dumps(extra))


def error_fields(error):
    code = error.errno or 0
    return {"errno": code, "error": errno.errorcode.get(code, str(code)), "message": error.strerror or str(error)}


def tcp(host, port, timeout):
    started = time.monotonic()
    with socket.socket(family_of(host), socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((host, port))
            banner = sock.recv(100).decode(errors="replace").strip()
        except socket.timeout:
            report("timeout", started)
            return 2
        except OSError as error:
            report("error", started, **error_fields(error))
            return 1
    report("connected", started, banner=banner)
    return 0


def udp(host, port, timeout):
    started = time.monotonic()
    with socket.socket(family_of(host), socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        sock.connect((host, port))
        # An ICMP error reaches a connected UDP socket as the error of its next call.
        while time.monotonic() - started < timeout:
            try:
                sock.send(b"fz-e2e probe")
                sock.recv(100)
                report("answered", started)
                return 0
            except socket.timeout:
                continue
            except OSError as error:
                report("error", started, **error_fields(error))
                return 1
    report("timeout", started)
    return 2


# Fields that differ between two log lines of one control message (the portal may write more than one).
PER_LINE_FIELDS = ("time", "message", "direction", "severity", "target")


def log_entries(path, start=0):
    """(line, entry) for each JSON object line after line START."""
    with open(path, errors="replace") as log:
        for number, line in enumerate(log, 1):
            if number <= start:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line still being written, or not a log line
            if isinstance(entry, dict):
                yield line.rstrip("\n"), entry


def seconds(entry):
    try:
        return datetime.strptime(entry.get("time", ""), "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
    except ValueError:
        return None


def same_message(previous, entry):
    """Whether ENTRY repeats PREVIOUS: the same message fields, logged within 50 ms."""
    if previous is None:
        return False
    identity = lambda e: {k: v for k, v in e.items() if k not in PER_LINE_FIELDS}
    first, second = seconds(previous), seconds(entry)
    close = first is not None and second is not None and abs(second - first) < 0.05
    return close and identity(previous) == identity(entry)


def matching(path, start, pairs):
    """Matching lines, one per control message: a message logged twice in a row counts once (the audit
    scenario reports the repetition itself)."""
    wanted = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
    absent = [pair[:-1] for pair in pairs if "=" not in pair and pair.endswith("!")]
    recent = []  # matches of the last 50 ms: a repeat may come after another message's line
    for line, entry in log_entries(path, start):
        if not all(key in entry and str(entry[key]) == value for key, value in wanted.items()):
            continue
        if any(key in entry for key in absent):
            continue
        if not any(same_message(earlier, entry) for earlier in recent):
            yield line
        now = seconds(entry)
        recent = [e for e in recent if now is None or seconds(e) is None or now - seconds(e) < 0.05] + [entry]


def audit(path):
    """The audit-trail contract: each control message one line, with direction sent or received."""
    problems = []
    recent = []
    count = 0
    for line, entry in log_entries(path):
        if "message_type" not in entry:
            continue
        count += 1
        if entry.get("direction") not in ("sent", "received"):
            problems.append("no direction: " + line)
        if any(same_message(earlier, entry) for earlier in recent):
            problems.append("logged twice: " + line)
        now = seconds(entry)
        recent = [e for e in recent if now is None or seconds(e) is None or now - seconds(e) < 0.05] + [entry]
    print("%s: %d control message lines, %d problems" % (path.rsplit("/", 1)[-1], count, len(problems)))
    for problem in problems[:5]:
        print("  " + problem)
    return 1 if problems else 0


def backends(path):
    found = {}
    with open(path, errors="replace") as log:
        for line in log:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            for key in ("crypto", "io", "crypto_backend", "io_backend"):
                if key in entry and key not in found:
                    found[key] = str(entry[key])
    print(" ".join("%s=%s" % item for item in sorted(found.items())) or "(no crypto/io fields in the log)")


def notify(path, out, namespace, device):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(1.0)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        try:
            datagram = listener.recv(4096).decode(errors="replace")
        except socket.timeout:
            continue
        line = datagram.strip().replace("\n", " ")
        if "READY=1" in datagram:
            shown = subprocess.run(["ip", "-n", namespace, "-4", "addr", "show", "dev", device],
                                   capture_output=True, text=True).stdout
            line += " addressed=" + ("yes" if " inet " in shown else "no")
        with open(out, "a") as record:
            record.write(line + "\n")
    os.unlink(path)


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "serve":
        serve([int(port) for port in argv[2:]])
    elif command == "tcp":
        return tcp(argv[2], int(argv[3]), float(argv[4]))
    elif command == "udp":
        return udp(argv[2], int(argv[3]), float(argv[4]))
    elif command == "count":
        print(sum(1 for _ in matching(argv[2], int(argv[3]), argv[4:])))
    elif command == "lines":
        for line in matching(argv[2], int(argv[3]), argv[4:]):
            print(line)
    elif command == "audit":
        return max(audit(path) for path in argv[2:])
    elif command == "backends":
        backends(argv[2])
    elif command == "notify":
        notify(argv[2], argv[3], argv[4], argv[5])
    else:
        print(__doc__, file=sys.stderr)
        return 64
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
