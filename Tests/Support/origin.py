#!/usr/bin/env python3
"""Test origin server for the Portcullis integration tests (Tests/IntegrationTests).

Python 3 standard library only. Listens on 127.0.0.1 only, on two ephemeral ports:

  data port     the HTTP/1.1 origin the proxy forwards to (keep-alive by default);
  control port  answers every connection with one line "connections=N requests=M\\n"
                (accepted data connections, requests read) and closes, so a test can
                prove that a rejected request caused no upstream connection.

Prints "PORTS <data> <control>" on stdout once both listen, then serves until stdin
reaches EOF (the test closed it or died), so it never outlives the test process.

Every body is the repeating pattern body[i] = P[i % 65521], P[j] = (7*j + j//251) & 0xFF
(65521 is prime, so the pattern never lines up with a buffer size); the tests rebuild it.

Paths (n = body length in bytes):
  /fixed/<n>       Content-Length body; also sends two X-Multi lines, and hop-by-hop
                   fields (Connection: X-Hop-Test, X-Hop-Test, Keep-Alive) the proxy must drop
  /huge/<n>        the same, streamed in 128 KiB writes (/fixed writes 16 KiB at a time)
  /chunked/<n>     chunked body in chunks of 1, 2, 3 ... bytes growing to 8 KiB, a chunk
                   extension on the first chunk and a trailer field
  /drip/<n>        Content-Length body in ?pieces=K (default 8) writes, ?delay=MS apart
                   (default 40); with ?chunked=1 the same as chunks
  /reset/<n>       Content-Length n, sends n/2 bytes then resets the connection (RST)
  /close/<n>       no Content-Length, Connection: close: the body ends with the connection
  /echo-head       body = the request head exactly as received (request line to CRLFCRLF)
  /echo-body       body = the request body as decoded (Content-Length or chunked)
  /slow-head       never answers; waits (at most 30 s) for the peer to close
  /status/<code>   that status; a 12-byte body unless 204 or 304
  /cacheable/<n>   a Content-Length body with cache fields from the query: cc=<Cache-Control
                   value>, etag=<tag> (ETag "<tag>"; 304 when If-None-Match names it),
                   lm=1 (a fixed Last-Modified; 304 when If-Modified-Since equals it and no
                   If-None-Match came), vary=<field name>, delay=<ms before answering>;
                   always a Date field
  ?idle-close=MS   (any path) after answering, close the connection if no next request
                   arrives within MS milliseconds
  /drop-after/<n>  a keep-alive Content-Length response, then the connection is closed
                   50 ms later without notice (a stale keep-alive connection for the proxy)
  /hangup          reads the request, then closes the connection without a byte of answer
                   (an origin whose keep-alive timeout ran out just as a request came)
  /bad/<kind>      a malformed response: te-cl (Transfer-Encoding and Content-Length),
                   two-cl (two different Content-Length), garbage (not a status line)
A HEAD request gets the head of the GET response and no body. A request with
"Expect: 100-continue" gets "100 Continue" before its body is read.
"""
import socket
import sys
import threading
import time
import urllib.parse
import email.utils

PATTERN_LEN = 65521
PATTERN = bytes(((7 * j) + (j // 251)) & 0xFF for j in range(PATTERN_LEN))
# Three copies, so any slice of up to 2 * PATTERN_LEN bytes starting anywhere is contiguous.
PATTERN3 = PATTERN * 3

lock = threading.Lock()
counts = {"connections": 0, "requests": 0}


def body_slice(offset, length):
    """Pattern bytes [offset, offset+length), length <= 2 * PATTERN_LEN."""
    start = offset % PATTERN_LEN
    return PATTERN3[start:start + length]


def body_bytes(n):
    out = bytearray()
    while len(out) < n:
        out += body_slice(len(out), min(PATTERN_LEN, n - len(out)))
    return bytes(out)


class ClientGone(Exception):
    pass


class Conn:
    """One accepted data connection: buffered reads of heads and bodies."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ClientGone()
        self.buf += data

    def take(self, n):
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def read_head(self):
        while self.buf.find(b"\r\n\r\n") < 0:
            if len(self.buf) > 1 << 20:
                raise ClientGone()
            self.fill()
        return self.take(self.buf.find(b"\r\n\r\n") + 4)

    def read_exact(self, n):
        if len(self.buf) >= n:
            return self.take(n)
        parts = [self.take(len(self.buf))]
        missing = n - len(parts[0])
        while missing > 0:
            data = self.sock.recv(min(missing, 1 << 20))
            if not data:
                raise ClientGone()
            parts.append(data)
            missing -= len(data)
        return b"".join(parts)

    def read_line(self):
        while self.buf.find(b"\r\n") < 0:
            self.fill()
        line = self.take(self.buf.find(b"\r\n") + 2)
        return line[:-2]

    def read_chunked(self):
        body = bytearray()  # appends are amortized O(1)
        while True:
            size = int(self.read_line().split(b";")[0].strip(), 16)
            if size == 0:
                while self.read_line() != b"":
                    pass  # trailer fields
                return bytes(body)
            body += self.read_exact(size)
            self.read_line()

    def send(self, data):
        self.sock.sendall(data)


def parse_head(head):
    lines = head[:-4].split(b"\r\n")
    method, target, version = lines[0].split(b" ", 2)
    fields = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields.append((name.strip().lower(), value.strip()))
    return method.decode(), target.decode("latin-1"), version.decode(), fields


def field(fields, name):
    for k, v in fields:
        if k == name:
            return v
    return None


def status_line(code):
    reasons = {200: "OK", 204: "No Content", 304: "Not Modified", 404: "Not Found", 500: "Internal Server Error"}
    return "HTTP/1.1 %d %s\r\n" % (code, reasons.get(code, "Status"))


LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
COMMON = "X-Origin: portcullis-test\r\nContent-Type: application/octet-stream\r\n"
HOP = "Connection: X-Hop-Test\r\nX-Hop-Test: must-not-pass\r\nKeep-Alive: timeout=30\r\n"


def send_pattern(conn, n, piece):
    piece = min(piece, 2 * PATTERN_LEN)
    sent = 0
    while sent < n:
        k = min(piece, n - sent)
        conn.send(body_slice(sent, k))
        sent += k


def handle(conn, method, target, fields, head, body):
    """Answers one request. Returns False when the connection must end afterwards."""
    url = urllib.parse.urlsplit(target)
    query = dict(urllib.parse.parse_qsl(url.query))
    parts = [p for p in url.path.split("/") if p]
    kind = parts[0] if parts else ""
    arg = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    head_only = method == "HEAD"
    close_requested = (field(fields, b"connection") or b"").lower() == b"close"
    if "idle-close" in query:
        # Keep-alive, but the connection ends if no next request comes within this many ms.
        conn.sock.settimeout(int(query["idle-close"]) / 1000.0)
    tail = "Connection: close\r\n" if close_requested else HOP

    if kind in ("fixed", "huge"):
        conn.send((status_line(200) + COMMON + "X-Multi: one\r\nX-Multi: two\r\n" + tail
                   + "Content-Length: %d\r\n\r\n" % arg).encode())
        if not head_only:
            send_pattern(conn, arg, 2 * PATTERN_LEN if kind == "huge" else 16384)
    elif kind == "chunked":
        conn.send((status_line(200) + COMMON + tail + "Transfer-Encoding: chunked\r\n\r\n").encode())
        if head_only:
            return not close_requested
        sent, size, first = 0, 1, True
        while sent < arg:
            k = min(size, arg - sent)
            ext = ";ext=first" if first else ""
            conn.send(b"%x%s\r\n" % (k, ext.encode()) + body_slice(sent, k) + b"\r\n")
            sent += k
            size = min(size * 2 + 1, 8192)
            first = False
        conn.send(b"0\r\nX-Trailer: t\r\n\r\n")
    elif kind == "drip":
        pieces = max(1, int(query.get("pieces", "8")))
        delay = int(query.get("delay", "40")) / 1000.0
        chunked = query.get("chunked") == "1"
        framing = "Transfer-Encoding: chunked\r\n" if chunked else "Content-Length: %d\r\n" % arg
        conn.send((status_line(200) + COMMON + tail + framing + "\r\n").encode())
        if head_only:
            return not close_requested
        step = min(2 * PATTERN_LEN, max(1, (arg + pieces - 1) // pieces))
        sent = 0
        while sent < arg:
            k = min(step, arg - sent)
            data = body_slice(sent, k)
            conn.send(b"%x\r\n%s\r\n" % (k, data) if chunked else data)
            sent += k
            if sent < arg:
                time.sleep(delay)
        if chunked:
            conn.send(b"0\r\n\r\n")
    elif kind == "reset":
        conn.send((status_line(200) + COMMON + "Content-Length: %d\r\n\r\n" % arg).encode())
        send_pattern(conn, arg // 2, 65536)
        time.sleep(0.05)
        # SO_LINGER with a zero timeout: close sends RST instead of FIN.
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        return False
    elif kind == "hangup":
        return False
    elif kind == "close":
        conn.send((status_line(200) + COMMON + "Connection: close\r\n\r\n").encode())
        if not head_only:
            send_pattern(conn, arg, 65536)
        return False
    elif kind == "echo-head":
        conn.send((status_line(200) + "Content-Type: text/plain\r\n" + tail
                   + "Content-Length: %d\r\n\r\n" % len(head)).encode() + (b"" if head_only else head))
    elif kind == "echo-body":
        conn.send((status_line(200) + COMMON + tail + "Content-Length: %d\r\n\r\n" % len(body)).encode()
                  + (b"" if head_only else body))
    elif kind == "slow-head":
        conn.sock.settimeout(30)
        try:
            while conn.sock.recv(4096):
                pass
        except OSError:
            pass
        return False
    elif kind == "drop-after":
        conn.send((status_line(200) + COMMON + "Content-Length: %d\r\n\r\n" % arg).encode())
        send_pattern(conn, arg, 16384)
        time.sleep(0.05)
        return False
    elif kind == "bad":
        which = parts[1] if len(parts) > 1 else ""
        if which == "te-cl":
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        elif which == "two-cl":
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
        else:
            conn.send(b"HTTX/1.1 banana\r\n\r\n")
        return False
    elif kind == "cacheable":
        delay = int(query.get("delay", "0")) / 1000.0
        if delay:
            time.sleep(delay)
        extra = "Date: %s\r\n" % email.utils.formatdate(usegmt=True)
        if "cc" in query:
            extra += "Cache-Control: %s\r\n" % query["cc"]
        etag = query.get("etag")
        if etag:
            extra += 'ETag: "%s"\r\n' % etag
        if query.get("lm") == "1":
            extra += "Last-Modified: %s\r\n" % LAST_MODIFIED
        if "vary" in query:
            extra += "Vary: %s\r\n" % query["vary"]
        inm = field(fields, b"if-none-match")
        ims = field(fields, b"if-modified-since")
        if etag and inm is not None:
            not_modified = ('"%s"' % etag).encode() in inm
        else:
            not_modified = query.get("lm") == "1" and ims == LAST_MODIFIED.encode()
        if not_modified:
            conn.send((status_line(304) + extra + tail + "\r\n").encode())
        else:
            conn.send((status_line(200) + COMMON + extra + tail + "Content-Length: %d\r\n\r\n" % arg).encode())
            if not head_only:
                send_pattern(conn, arg, 16384)
    elif kind == "status":
        code = arg or 200
        if code in (204, 304):
            conn.send((status_line(code) + COMMON + tail + "\r\n").encode())
        else:
            conn.send((status_line(code) + COMMON + tail + "Content-Length: 12\r\n\r\n").encode()
                      + (b"" if head_only else b"status body\n"))
    else:
        conn.send((status_line(404) + "Content-Length: 10\r\n" + tail + "\r\nnot found\n").encode())
    return not close_requested


def serve_connection(sock):
    conn = Conn(sock)
    try:
        while True:
            head = conn.read_head()
            with lock:
                counts["requests"] += 1
            method, target, _version, fields = parse_head(head)
            if (field(fields, b"expect") or b"").lower() == b"100-continue":
                conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = b""
            if (field(fields, b"transfer-encoding") or b"").lower() == b"chunked":
                body = conn.read_chunked()
            elif field(fields, b"content-length") is not None:
                body = conn.read_exact(int(field(fields, b"content-length")))
            if not handle(conn, method, target, fields, head, body):
                break
    except (ClientGone, OSError, ValueError, IndexError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def accept_loop(listener, on_accept):
    while True:
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        on_accept(sock)


def on_data(sock):
    with lock:
        counts["connections"] += 1
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=serve_connection, args=(sock,), daemon=True).start()


def on_control(sock):
    with lock:
        line = "connections=%d requests=%d\n" % (counts["connections"], counts["requests"])
    try:
        sock.sendall(line.encode())
    except OSError:
        pass
    sock.close()


def listen():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1024)
    return s


def main():
    data, control = listen(), listen()
    threading.Thread(target=accept_loop, args=(data, on_data), daemon=True).start()
    threading.Thread(target=accept_loop, args=(control, on_control), daemon=True).start()
    sys.stdout.write("PORTS %d %d\n" % (data.getsockname()[1], control.getsockname()[1]))
    sys.stdout.flush()
    while sys.stdin.buffer.read(4096):
        pass


if __name__ == "__main__":
    main()
