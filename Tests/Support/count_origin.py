#!/usr/bin/env python3
"""Plain TCP origin for the CONNECT half-close test (Tests/IntegrationTests/TunnelTests.swift).

Python 3 standard library only. Listens on an ephemeral port of 127.0.0.1, prints
"PORT <n>" on stdout and serves until stdin reaches EOF (so it never outlives the test).
Each connection: reads until the peer half-closes (EOF), then answers
"received <n> bytes\\n" on the same connection and closes it. A reply can only arrive if the
client's half-close reached the origin while the way back stayed open.
"""
import socket
import sys
import threading


def serve(conn):
    with conn:
        total = 0
        while True:
            data = conn.recv(65536)
            if not data:
                break
            total += len(data)
        conn.sendall(b"received %d bytes\n" % total)


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print("PORT %d" % listener.getsockname()[1], flush=True)

    def accept_loop():
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    sys.stdin.read()


if __name__ == "__main__":
    main()
