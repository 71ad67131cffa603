#!/usr/bin/env python3
"""Handshake-initiation flood for scripts/flood: WireGuard initiations with a valid MAC1 from spoofed sources.

  flood-generator.py send --target IP --port N --public-key B64 --sources CIDR --source-port N --seconds S
                          [--rate PER_SECOND]
  flood-generator.py count --port N --seconds S

`send` writes raw IPv4/UDP datagrams (IPPROTO_RAW, so the IP header is ours) carrying 148-byte handshake
initiations: type 1, three zero bytes, a sender index, a random 32-byte ephemeral, 48 bytes of "encrypted
static" and 28 of "encrypted timestamp" (random: the responder cannot open them), MAC1 = BLAKE2s-128 keyed
with BLAKE2s-256("mac1----" || responder public key) over the first 116 bytes, MAC2 zero. Each datagram
comes from a different address of --sources, in a shuffled order. The UDP checksum is 0 (none, allowed
over IPv4); the kernel fills in the IP checksum, length and id. --rate 0 sends as fast as one core can.
Prints one line: "sent N initiations in T s (R/s) from M source addresses (D not sent: ...)".

`count` counts cookie replies (type 3, 64 bytes) arriving on a UDP socket bound to --port on every local
address (scripts/flood routes the spoofed prefix to the flood namespace's loopback), until --seconds
pass. Prints one line: "cookie replies N, other datagrams M".
"""
import argparse
import base64
import hashlib
import ipaddress
import os
import random
import socket
import struct
import time

INITIATION_SIZE = 148
MAC1_OFFSET = 116


def initiations(public_key: bytes, count: int) -> list[bytes]:
    """`count` distinct initiations with a valid MAC1 for `public_key`."""
    mac1_key = hashlib.blake2s(b"mac1----" + public_key).digest()
    result = []
    for _ in range(count):
        body = struct.pack("<I", 1) + os.urandom(4) + os.urandom(32) + os.urandom(48) + os.urandom(28)
        assert len(body) == MAC1_OFFSET
        mac1 = hashlib.blake2s(body, key=mac1_key, digest_size=16).digest()
        result.append(body + mac1 + bytes(16))
    return result


def send(args: argparse.Namespace) -> None:
    public_key = base64.b64decode(args.public_key)
    if len(public_key) != 32:
        raise SystemExit("flood-generator: --public-key must be 32 bytes in base64")
    network = ipaddress.IPv4Network(args.sources)
    sources = [address.packed for address in network.hosts()]
    random.shuffle(sources)
    payloads = initiations(public_key, 256)
    destination = socket.inet_aton(args.target)
    udp_length = 8 + INITIATION_SIZE
    # One prebuilt datagram per source address, so the send loop only sends.
    packets = []
    for index, source in enumerate(sources):
        ip_header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_length, 0, 0, 64, socket.IPPROTO_UDP, 0,
                                source, destination)
        udp_header = struct.pack("!HHHH", args.source_port, args.port, udp_length, 0)
        packets.append(ip_header + udp_header + payloads[index % len(payloads)])
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    address = (args.target, 0)
    sendto = raw.sendto
    # Paced sends go out in small batches (one per 0.4 ms at most) so the flood has no long gaps in which a
    # legitimate initiation would find the responder's handshake budget refilled and skip the cookie round.
    batch = 64 if args.rate <= 0 else max(1, min(64, int(args.rate // 2500)))
    sent = 0
    dropped = 0
    start = time.monotonic()
    deadline = start + args.seconds
    position = 0
    total = len(packets)
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        if args.rate > 0:
            # Paced: never ahead of rate * elapsed; sleep off any lead in small steps.
            ahead = sent - args.rate * (now - start)
            if ahead >= batch:
                time.sleep(min(ahead / args.rate, 0.01))
                continue
        for _ in range(batch):
            try:
                sendto(packets[position], address)
                sent += 1
            except OSError:  # ENOBUFS or EAGAIN: the queue is full, this one is not offered
                dropped += 1
            position += 1
            if position == total:
                position = 0
    elapsed = time.monotonic() - start
    print(f"sent {sent} initiations in {elapsed:.1f} s ({sent / elapsed:.0f}/s) from {total} source addresses"
          f" ({dropped} not sent: send queue full)",
          flush=True)


def count(args: argparse.Namespace) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    receiver.bind(("0.0.0.0", args.port))
    receiver.settimeout(0.2)
    deadline = time.monotonic() + args.seconds
    replies = 0
    other = 0
    recv = receiver.recv
    while time.monotonic() < deadline:
        try:
            for _ in range(256):
                data = recv(2048)
                if len(data) == 64 and data[0] == 3 and data[1:4] == b"\0\0\0":
                    replies += 1
                else:
                    other += 1
        except socket.timeout:
            pass
    print(f"cookie replies {replies}, other datagrams {other}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_subparsers(dest="mode", required=True)
    sender = modes.add_parser("send")
    sender.add_argument("--target", required=True)
    sender.add_argument("--port", type=int, required=True)
    sender.add_argument("--public-key", required=True)
    sender.add_argument("--sources", required=True)
    sender.add_argument("--source-port", type=int, required=True)
    sender.add_argument("--seconds", type=float, required=True)
    sender.add_argument("--rate", type=float, default=0)
    counter = modes.add_parser("count")
    counter.add_argument("--port", type=int, required=True)
    counter.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    send(args) if args.mode == "send" else count(args)


if __name__ == "__main__":
    main()
