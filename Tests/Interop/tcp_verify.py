#!/usr/bin/env python3
"""Sends or receives a deterministic byte stream over TCP and checks its SHA-256 on both ends.

server: python3 tcp_verify.py serve ADDR PORT BYTES   -> prints the digest of what arrived
client: python3 tcp_verify.py send ADDR PORT BYTES    -> prints the digest of what was sent
The stream is SHA-256 in counter mode over a fixed seed, so both sides agree on the expected digest
without sharing a file.
"""
import hashlib
import socket
import sys
import time


def stream(total):
    counter = 0
    produced = 0
    while produced < total:
        block = b"".join(hashlib.sha256(b"fz-interop-%d-%d" % (counter, i)).digest() for i in range(2048))
        counter += 1
        chunk = block[: total - produced]
        produced += len(chunk)
        yield chunk


def serve(addr, port, total):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((addr, port))
        listener.listen(1)
        listener.settimeout(60)
        conn, _ = listener.accept()
        conn.settimeout(120)
        digest = hashlib.sha256()
        received = 0
        with conn:
            while received < total:
                data = conn.recv(1 << 20)
                if not data:
                    break
                digest.update(data)
                received += len(data)
        print(received, digest.hexdigest(), flush=True)


def send(addr, port, total):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    digest = hashlib.sha256()
    # The receiver may still be starting: retry the connection for a few seconds.
    for attempt in range(50):
        conn = socket.socket(family, socket.SOCK_STREAM)
        conn.settimeout(120)
        try:
            conn.connect((addr, port))
            break
        except OSError:
            conn.close()
            if attempt == 49:
                raise
            time.sleep(0.1)
    with conn:
        for chunk in stream(total):
            digest.update(chunk)
            conn.sendall(chunk)
        conn.shutdown(socket.SHUT_WR)
    print(total, digest.hexdigest(), flush=True)


if __name__ == "__main__":
    mode, addr, port, total = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    (serve if mode == "serve" else send)(addr, port, total)
