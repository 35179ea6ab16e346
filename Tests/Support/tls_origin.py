#!/usr/bin/env python3
"""TLS origin for the CONNECT tunnel tests (Tests/IntegrationTests/TunnelTests.swift).

Python 3 standard library plus the openssl command. Makes a throwaway self-signed
certificate for 127.0.0.1 in the directory given as the only argument, listens on an
ephemeral port of 127.0.0.1 only, prints "PORT <n>" on stdout, and serves until stdin
reaches EOF (so it never outlives the test).

Each TLS connection may carry several HTTP/1.1 requests:
  /fixed/<n>   a Content-Length body of n bytes in the pattern origin.py uses
               (body[i] = P[i % 65521], P[j] = (7*j + j//251) & 0xFF)
  anything else: 404
"""
import os
import socket
import ssl
import subprocess
import sys
import threading

PATTERN = bytes(((7 * j + j // 251) & 0xFF) for j in range(65521))


def body(n):
    whole, rest = divmod(n, len(PATTERN))
    return PATTERN * whole + PATTERN[:rest]


def serve(conn):
    try:
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            path = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
            if path.startswith("/fixed/"):
                payload = body(int(path[len("/fixed/"):]))
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload)
            else:
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    except (OSError, ssl.SSLError, ValueError, IndexError):
        pass
    finally:
        conn.close()


def main():
    workdir = sys.argv[1]
    key = os.path.join(workdir, "tls-origin.key")
    cert = os.path.join(workdir, "tls-origin.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def accept_loop():
        while True:
            raw, _ = listener.accept()
            try:
                conn = context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                raw.close()
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    sys.stdout.write("PORT %d\n" % listener.getsockname()[1])
    sys.stdout.flush()
    sys.stdin.read()


if __name__ == "__main__":
    main()
