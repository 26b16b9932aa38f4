#!/usr/bin/env python3
"""Prints one project's frames from understudy's WebSocket stream, one JSON text per line.

    python3 examples/ws_tail.py --port 8080 --project balloons [--count N]

Standard library only: Python ships no WebSocket client, so this speaks just enough RFC 6455 to
read text frames (handshake, unmasked server frames of any length, fragments, ping, close). It is
a terminal tool and the independent client of the C++ server's end-to-end test; browsers use the
built-in WebSocket (docs/http.md). How the stream ended goes to stderr, e.g.
"# closed 1001 server shutting down".
"""

import argparse
import base64
import hashlib
import os
import socket
import struct
import sys
import urllib.parse

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x8, 0x9, 0xA


def handshake(host, port, project):
    sock = socket.create_connection((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    target = "/ws?project=" + urllib.parse.quote(project, safe="")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    reader = sock.makefile("rb")
    status = reader.readline().decode("latin-1").strip()
    headers = {}
    while True:
        line = reader.readline().decode("latin-1").strip()
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if status.split(" ")[1:2] != ["101"]:
        raise SystemExit(f"ws_tail: upgrade refused: {status}")
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    if headers.get("sec-websocket-accept") != accept:
        raise SystemExit("ws_tail: wrong Sec-WebSocket-Accept")
    return sock, reader


def send_frame(sock, opcode, payload):
    """Client frames must be masked (RFC 6455 5.3)."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(header + mask + masked)


def read_exact(reader, n):
    data = reader.read(n)
    if len(data) != n:
        raise EOFError("connection closed mid-frame")
    return data


def read_frame(reader):
    b0, b1 = read_exact(reader, 2)
    if b1 & 0x80:
        raise ValueError("server frames must not be masked")
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", read_exact(reader, 2))
    elif n == 127:
        (n,) = struct.unpack("!Q", read_exact(reader, 8))
    return bool(b0 & 0x80), b0 & 0x0F, read_exact(reader, n)


def messages(sock, reader):
    """Yields each text message; returns (close code, reason) when the server closes."""
    parts = []
    while True:
        fin, opcode, payload = read_frame(reader)
        if opcode == OP_PING:
            send_frame(sock, OP_PONG, payload)
        elif opcode == OP_CLOSE:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            send_frame(sock, OP_CLOSE, payload[:2])
            return code, payload[2:].decode()
        elif opcode in (OP_TEXT, OP_CONT):
            parts.append(payload)
            if fin:
                yield b"".join(parts).decode()
                parts = []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--count", type=int, default=0,
                        help="stop after this many frames (the hello included); 0: until closed")
    args = parser.parse_args()

    sock, reader = handshake(args.host, args.port, args.project)
    stream = messages(sock, reader)
    seen = 0
    try:
        while True:
            print(next(stream), flush=True)
            seen += 1
            if args.count and seen == args.count:
                send_frame(sock, OP_CLOSE, struct.pack("!H", 1000))
                print("# closed by us after", seen, "frames", file=sys.stderr, flush=True)
                return 0
    except StopIteration as end:
        code, reason = end.value
        print(f"# closed {code} {reason}", file=sys.stderr, flush=True)
        return 0
    except (EOFError, ConnectionError) as e:
        print(f"# connection lost: {e}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
