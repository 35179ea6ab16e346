#!/usr/bin/env python3
"""Writes the seeds of the small-parsers target to corpus/small-parsers/.

Encoding (Sources/FuzzTargets/SmallParsersTarget.swift): byte 0 = k (0...63, where the value is
also cut in two field lines), then the field value. Values are as real clients and origins send
them (browsers, curl, nginx, CDNs), plus the edge cases of the list and directive grammar.
Run from anywhere: python3 Fuzz/seeds/small_parsers.py
"""
import hashlib, os

VALUES = [
    # Cache-Control, as origins and browsers send it
    "max-age=0", "no-cache", "no-store", "max-age=0, private, must-revalidate",
    "no-store, no-cache, must-revalidate, post-check=0, pre-check=0",
    "public, max-age=31536000, immutable", "private, max-age=0, no-cache",
    "s-maxage=600, stale-while-revalidate=30, stale-if-error=86400", "public, s-maxage=60, proxy-revalidate",
    "max-stale", "max-stale=60, min-fresh=10, only-if-cached", "no-transform", "must-understand, no-store",
    'private="Set-Cookie, X-A", no-cache="X-B"', 'max-age="60"', "max-age=99999999999999999999",
    "max-age=2147483648", "max-age=2147483647", "max-age=-1", "max-age=abc", "max-age", "max-age=",
    "Max-Age=10, MAX-AGE=20", ", ,max-age=5,,", 'x="unterminated, no-store', 'a="\\"quoted\\", b", no-cache',
    'ext="a\\', "max-age=10 , s-maxage = 5", "no-cache;x", "\tpublic\t,\tmax-age=1\t",
    # Connection and Pragma
    "keep-alive", "close", "Upgrade", "keep-alive, X-Custom, X-Other", "TE, close", "a b", '"quoted"',
    "Keep-Alive, keep-alive, Close", "content-length", "x-a, X-A, x-b", "no-cache, close",
]

def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    folder = os.path.join(root, "corpus", "small-parsers")
    os.makedirs(folder, exist_ok=True)
    for i, value in enumerate(VALUES):
        data = bytes([(i * 17) % 64]) + value.encode()
        name = "seed-" + hashlib.sha1(data).hexdigest()[:12]
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(VALUES)} seeds to {folder}")

if __name__ == "__main__":
    main()
