#!/usr/bin/env python3
"""Writes the hand-made seeds of the connection-machine target to corpus/connection-machine/.

Each seed is a transcript in the target's frozen encoding (Sources/FuzzTargets/MachineScript.swift):
an options byte, then events. Canned messages are indexes into Sources/FuzzTargets/CannedMessages.swift.
Run from anywhere: python3 Fuzz/seeds/connection_machine.py
"""
import os

def client(data):   # kind 0: the client sends bytes
    data = data.encode() if isinstance(data, str) else data
    return bytes([0x00 | (len(data) >> 8), len(data) & 0xFF]) + data

def origin(data):   # kind 1: the origin sends bytes
    data = data.encode() if isinstance(data, str) else data
    return bytes([0x20 | (len(data) >> 8), len(data) & 0xFF]) + data

def req(i): return bytes([0x40 | i])      # kind 2: canned request i
def resp(i): return bytes([0x60 | i])     # kind 3: canned response i
CONNECTED, REFUSED, UNRESOLVED = b"\x80", b"\x81", b"\x82"
CLIENT_EOF, CLIENT_FAIL, ORIGIN_EOF, ORIGIN_RESET = b"\xa0", b"\xa1", b"\xa2", b"\xa3"
TIMER = b"\xc0"
def clock(seconds): return bytes([0xE0 | (seconds - 1)])

def opts(request_profile=0, response_profile=0, denied=False):
    return bytes([request_profile | response_profile << 2 | (0x10 if denied else 0)])

SEEDS = {
    "get-keep-alive-reuse": opts() + req(0) + CONNECTED + resp(0) + req(0) + resp(1) + CLIENT_EOF,
    "post-content-length": opts() + req(3) + CONNECTED + resp(0),
    "post-chunked-trailers": opts() + req(4) + CONNECTED + resp(2),
    "post-chunked-streamed": opts() + req(16) + CONNECTED + req(17) + req(17) + req(18) + resp(0),
    "post-content-length-late-body": opts() + req(15) + CONNECTED + client("hel") + client("lo") + resp(0),
    "pipelined-two-gets": opts() + req(27) + CONNECTED + resp(0) + resp(0),
    "pipelined-mixed": opts() + req(0) + req(3) + req(2) + CONNECTED + resp(1) + resp(26) + client("") + resp(0),
    "head-with-length": opts() + req(2) + CONNECTED + origin("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n") + req(0) + resp(0),
    "expect-100-continue": opts() + req(19) + CONNECTED + resp(8),
    "interim-then-final": opts() + req(0) + CONNECTED + resp(7) + resp(0) + req(0) + resp(23),
    "status-204-304": opts() + req(0) + CONNECTED + resp(5) + req(0) + resp(6) + req(0) + resp(27),
    "hop-by-hop-both-ways": opts() + req(1) + CONNECTED + resp(10),
    "http10-client": opts() + req(5) + CONNECTED + resp(3) + ORIGIN_EOF,
    "http10-keep-alive": opts() + req(6) + CONNECTED + resp(25) + req(30) + resp(0),
    "close-delimited-to-http11": opts() + req(0) + CONNECTED + resp(3) + ORIGIN_EOF,
    "origin-http10-response": opts() + req(0) + CONNECTED + resp(4) + req(0) + CONNECTED + resp(0),
    "connection-close-client": opts() + req(7) + CONNECTED + resp(0),
    "connection-close-origin": opts() + req(0) + CONNECTED + resp(19) + req(0) + CONNECTED + resp(0),
    "refused-targets": opts() + req(9) + req(10) + req(11) + req(12) + req(20),
    "malformed-field": opts() + req(13),
    "bare-lf": opts() + req(14),
    "invalid-connection-option": opts() + req(24),
    "unsupported-coding-request": opts() + req(31),
    "upgrade-request": opts() + req(23) + CONNECTED + resp(9),
    "connect-refused": opts() + req(0) + REFUSED + req(0) + UNRESOLVED,
    "connect-timeout": opts() + req(0) + TIMER,
    "response-timeout": opts() + req(0) + CONNECTED + TIMER,
    "request-body-timeout": opts() + req(15) + CONNECTED + client("he") + TIMER,
    "response-body-timeout": opts() + req(0) + CONNECTED + resp(20) + resp(21) + TIMER,
    "client-idle-timeout": opts() + req(0) + CONNECTED + resp(0) + TIMER,
    "head-timeout-slowloris": opts() + req(28) + TIMER,
    "slow-head-completes": opts() + req(28) + clock(5) + req(29) + CONNECTED + resp(0),
    "origin-reset-mid-body": opts() + req(0) + CONNECTED + resp(15) + ORIGIN_RESET,
    "origin-eof-mid-body": opts() + req(0) + CONNECTED + resp(15) + ORIGIN_EOF,
    "origin-eof-before-head": opts() + req(0) + CONNECTED + resp(29) + ORIGIN_EOF,
    "split-response-head": opts() + req(0) + CONNECTED + resp(29) + resp(30),
    "split-response-body": opts() + req(0) + CONNECTED + resp(15) + resp(16) + req(0) + resp(20) + resp(21) + resp(22),
    "stale-reused-upstream-retry": opts() + req(0) + CONNECTED + resp(0) + req(0) + ORIGIN_EOF + CONNECTED + resp(0),
    "stale-upstream-while-idle": opts() + req(0) + CONNECTED + resp(0) + ORIGIN_EOF + req(0) + CONNECTED + resp(0),
    "bad-responses": opts() + req(0) + CONNECTED + resp(13) + req(0) + CONNECTED + resp(9) + req(0) + CONNECTED + resp(11)
        + req(0) + CONNECTED + resp(12),
    "extra-bytes-after-response": opts() + req(0) + CONNECTED + resp(17) + req(0) + CONNECTED + resp(18),
    "unsolicited-bytes-idle-upstream": opts() + req(0) + CONNECTED + resp(0) + resp(0) + req(0) + CONNECTED + resp(0),
    "other-host-new-connection": opts() + req(0) + CONNECTED + resp(0) + req(8) + CONNECTED + resp(0) + req(25) + CONNECTED + resp(0),
    "ipv6-literal": opts() + req(26) + CONNECTED + resp(28),
    "duplicate-content-length": opts() + req(0) + CONNECTED + resp(24),
    "client-write-fails": opts() + req(0) + CONNECTED + resp(15) + CLIENT_FAIL,
    "client-eof-during-body": opts() + req(15) + CONNECTED + client("ab") + CLIENT_EOF,
    "client-half-close-after-request": opts() + req(0) + CLIENT_EOF + CONNECTED + resp(0),
    "denied-client": opts(denied=True) + req(0),
    "small-request-limits": opts(request_profile=1) + req(1) + req(0),
    "tiny-limits-both": opts(request_profile=2, response_profile=2) + req(0) + CONNECTED + resp(10),
    "zero-limits": opts(request_profile=3, response_profile=3) + req(0),
    "small-response-limits": opts(response_profile=1) + req(0) + CONNECTED + resp(10),
    "raw-bytes": opts() + client("GET http://a.test/p HTTP/1.1\r\nHost: a.test\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
        + CONNECTED + origin("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 3\r\n\r\nabc"),
    "raw-chunked-both": opts() + client("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        + CONNECTED + origin("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
    "events-after-close": opts() + req(7) + CONNECTED + resp(0) + req(0) + resp(0) + CONNECTED + TIMER + ORIGIN_EOF + CLIENT_EOF,
}

def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    folder = os.path.join(root, "corpus", "connection-machine")
    os.makedirs(folder, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {folder}")

if __name__ == "__main__":
    main()
