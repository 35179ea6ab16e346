#!/usr/bin/env python3
"""Writes the seeds of the differential targets to corpus/differential-request/ and
corpus/differential-response/.

The encoding is that of the request-parser and response-parser targets
(Sources/FuzzTargets/MessageOptions.swift): byte 0 options (bits 0-1 limits profile, bit 2 finish,
bits 3-4 the request method a response answers: 0 GET, 1 HEAD, 2 CONNECT, 3 POST), byte 1 the split
pattern, then the byte stream. Messages are as real clients (curl, wget, Chromium, Firefox, Python
requests, ab, wrk) and origins (nginx, Apache, Node, CDNs) send them, plus framing edge cases.
Run from anywhere: python3 Fuzz/seeds/differential.py
"""
import hashlib, os

FINISH = 0b100
GET, HEAD, CONNECT, POST = 0 << 3, 1 << 3, 2 << 3, 3 << 3

REQUESTS = [
    "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
    "GET / HTTP/1.1\r\nUser-Agent: Wget/1.21.4\r\nAccept: */*\r\nAccept-Encoding: identity\r\nHost: example.com\r\nConnection: Keep-Alive\r\n\r\n",
    "GET /search?q=a+b HTTP/1.1\r\nHost: www.example.com\r\nConnection: keep-alive\r\nsec-ch-ua: \"Chromium\";v=\"124\"\r\n"
    "Upgrade-Insecure-Requests: 1\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: example.org\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\r\n"
    "Accept: text/html\r\nAccept-Language: en-US,en;q=0.5\r\nConnection: keep-alive\r\nCookie: a=1; b=2\r\nSec-Fetch-Mode: navigate\r\n\r\n",
    "POST /api HTTP/1.1\r\nHost: httpbin.org\r\nUser-Agent: python-requests/2.31.0\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\n"
    "Connection: keep-alive\r\nContent-Length: 13\r\nContent-Type: application/json\r\n\r\n{\"key\": \"v\"}\n",
    "GET /bench HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\nGET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\nGET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
    "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;name=\"v\"\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n000a\r\n0123456789\r\n00\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\nabcdefgGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "DELETE /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01",
    "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n",
    "GET http://example.com/abs?x=1 HTTP/1.1\r\nHost: example.com\r\nProxy-Connection: keep-alive\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx",
    "GET / HTTP/1.1\nHost: a\n\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n",
    "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello0\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n",
]

RESPONSES = [
    (GET, "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Type: text/html\r\n"
          "Content-Length: 12\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\nConnection: keep-alive\r\nETag: \"65-c\"\r\n"
          "Accept-Ranges: bytes\r\n\r\nhello world\n"),
    (GET, "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nServer: Apache/2.4.58 (Debian)\r\nVary: Accept-Encoding\r\n"
          "Transfer-Encoding: chunked\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n"),
    (GET, "HTTP/1.1 200 OK\r\nX-Powered-By: Express\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 2\r\n"
          "ETag: W/\"2-l9Fw4VUO7kr8CvBlt4zaMCqXZ0w\"\r\nKeep-Alive: timeout=5\r\n\r\n{}"),
    (GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n4;ext=\"q\"\r\nwiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n"),
    (GET | FINISH, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the connection closes"),
    (GET | FINISH, "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11\r\n\r\nbody"),
    (GET, "HTTP/1.1 204 No Content\r\nServer: cloudflare\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"),
    (GET, "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    (HEAD, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/html\r\n\r\n"),
    (HEAD, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
    (GET, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    (GET, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    (GET, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00"),
    (CONNECT, "HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x03"),
    (CONNECT, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n"),
    (POST, "HTTP/1.1 201 Created\r\nLocation: /x/1\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"),
    (GET, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
    (GET, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
    (GET | FINISH, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\ncompressed"),
    (GET, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"),
    (GET, "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 5\r\n\r\nerror"),
    (GET, "HTTP/1.1 200 OK\nContent-Length: 0\n\n"),
    (GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n"),
    (GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
]

SPLITS = [0x00, 0x3F, 0x20, 0x45, 0x83, 0xC5]

def write(folder, data):
    name = "seed-" + hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)

def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    requests = os.path.join(root, "corpus", "differential-request")
    responses = os.path.join(root, "corpus", "differential-response")
    os.makedirs(requests, exist_ok=True)
    os.makedirs(responses, exist_ok=True)
    for i, text in enumerate(REQUESTS):
        write(requests, bytes([FINISH if i % 3 == 0 else 0, SPLITS[i % len(SPLITS)]]) + text.encode("latin-1"))
    for i, (options, text) in enumerate(RESPONSES):
        write(responses, bytes([options, SPLITS[i % len(SPLITS)]]) + text.encode("latin-1"))
    print(f"wrote {len(REQUESTS)} request and {len(RESPONSES)} response seeds")

if __name__ == "__main__":
    main()
