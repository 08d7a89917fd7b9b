#!/usr/bin/env python3
"""Deletes the JetStream streams whose names start with a prefix, so a benchmark run leaves no
stream behind on the local NATS. Speaks the NATS text protocol directly: no client to install.

    python3 bench/drop_streams.py PREFIX [nats://127.0.0.1:4222]
"""
import json
import socket
import sys
from urllib.parse import urlparse

INBOX = "_INBOX.seckiller_bench_drop"


class Nats:
    def __init__(self, url: str):
        where = urlparse(url)
        self.sock = socket.create_connection((where.hostname or "127.0.0.1", where.port or 4222), timeout=5)
        self.buffer = b""
        self.line()  # INFO
        self.send(b'CONNECT {"verbose":false,"pedantic":false}\r\n')
        self.send(f"SUB {INBOX} 1\r\n".encode())

    def send(self, data: bytes):
        self.sock.sendall(data)

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("NATS closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def payload(self, size: int) -> bytes:
        while len(self.buffer) < size + 2:
            self.buffer += self.sock.recv(65536)
        data, self.buffer = self.buffer[:size], self.buffer[size + 2:]
        return data

    def request(self, subject: str, body: dict) -> dict:
        data = json.dumps(body).encode()
        self.send(f"PUB {subject} {INBOX} {len(data)}\r\n".encode() + data + b"\r\n")
        while True:
            line = self.line()
            if line == b"PING":
                self.send(b"PONG\r\n")
            elif line.startswith(b"MSG "):
                return json.loads(self.payload(int(line.split()[-1])) or b"{}")
            elif line.startswith(b"-ERR"):
                raise RuntimeError(line.decode())


def main():
    if len(sys.argv) < 2 or not sys.argv[1]:
        sys.exit("usage: drop_streams.py PREFIX [NATS_URL]")
    prefix = sys.argv[1]
    nats = Nats(sys.argv[2] if len(sys.argv) > 2 else "nats://127.0.0.1:4222")
    names, offset = [], 0
    while True:
        page = nats.request("$JS.API.STREAM.NAMES", {"offset": offset})
        found = page.get("streams") or []
        names += found
        offset += len(found)
        if not found or offset >= page.get("total", 0):
            break
    for name in names:
        if name.startswith(prefix):
            nats.request(f"$JS.API.STREAM.DELETE.{name}", {})


if __name__ == "__main__":
    main()
