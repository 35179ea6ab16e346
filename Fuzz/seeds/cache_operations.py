#!/usr/bin/env python3
"""Writes the hand-made seeds of the cache-operations target to corpus/cache-operations/.

Each seed is a script in the target's frozen encoding (Sources/FuzzTargets/CacheScript.swift): a
configuration byte (the store profile), then operations, each an opcode byte and its arguments.
Keys are indexes into CacheScript.keys (16), variants 0 none, 1 "gzip", 2 "br".
Run from anywhere: python3 Fuzz/seeds/cache_operations.py
"""
import os, random

# profiles: 0 = 32 KiB / 4 KiB, 1 = 48 KiB / 8 KiB, 2 = 64 KiB / 12 KiB, 3 = 128 KiB / 24 KiB
def config(profile): return bytes([profile])

def k(key, variant=0, bit6=False, bit7=False):
    return key | variant << 4 | (0x40 if bit6 else 0) | (0x80 if bit7 else 0)

def size(n): return [n & 0xFF, n >> 8]   # taken modulo maxObjectBytes + 513 by the target

def store(key, n, variant=0, announce=True, head=40, pieces=0, abandon_at=None):
    a = 0 if abandon_at is None else abandon_at
    return bytes([0x00, k(key, variant, announce, abandon_at is not None)] + size(n) + [head, pieces, a])

def begin(key, n=None, variant=0, head=30):
    return bytes([0x01, k(key, variant, n is not None)] + size(n or 0) + [head])

def append(slot, n): return bytes([0x02, slot] + size(n))
def commit(slot): return bytes([0x03, slot])
def abandon(slot): return bytes([0x04, slot])
def lookup(key, variant=0, any_variant=False, keep=False): return bytes([0x05, k(key, variant, any_variant, keep)])
def release(i=0): return bytes([0x06, i])
def remove(key): return bytes([0x07, key])
def claim(key, deadline_ms): return bytes([0x08, key, deadline_ms])
def finish(key): return bytes([0x09, key])
def filling(key): return bytes([0x0A, key])
def advance(ms): return bytes([0x0B, ms])
RECLAIM = bytes([0x0C])

def seq(*parts): return b"".join(parts)

SEEDS = {
    "store-lookup-remove": config(0) + seq(
        store(0, 1000), lookup(0), lookup(1), store(1, 0, announce=False, head=0), lookup(1),
        remove(0), lookup(0), lookup(1, any_variant=True)),
    "variants-newest-first": config(1) + seq(
        store(2, 500), store(2, 600, variant=1), store(2, 700, variant=2),
        lookup(2, any_variant=True), lookup(2, 1), lookup(2, 2), lookup(2, 0),
        store(2, 800, variant=1, pieces=3), lookup(2, any_variant=True), lookup(2, 2),
        remove(2), lookup(2, any_variant=True)),
    # 32 KiB: the heap holds five 3000-byte entries; lookups reorder the LRU between stores.
    "eviction-under-pressure": config(0) + seq(
        *[store(i, 3000, pieces=5) for i in range(6)],
        lookup(1), lookup(3),
        *[store(i, 2500 + 100 * i, announce=i % 2 == 0) for i in range(6, 12)],
        lookup(1), lookup(3), lookup(11),
        store(12, 4000, announce=False, head=0), store(13, 100), store(14, 3900, head=0)),
    # A pin keeps its bytes while its entry is replaced, removed, and its neighbours evicted.
    "pins-across-eviction-and-replacement": config(0) + seq(
        store(0, 3000), store(1, 2000), lookup(0, keep=True), store(0, 3500, pieces=2),
        lookup(1, keep=True), remove(1), lookup(0, keep=True),
        *[store(i, 3000) for i in range(2, 9)],
        lookup(0, keep=True), release(0), release(1),
        *[store(i, 3000) for i in range(9, 13)],
        release(0), release(0), store(13, 3900, head=0)),
    # Three writers open at once; two on the same key: the last commit wins.
    "interleaved-writers": config(3) + seq(
        begin(3), begin(3, 9000), begin(4, variant=1),
        append(0, 5000), append(1, 4000), append(2, 1000), RECLAIM, store(5, 6000),
        append(0, 13000), append(1, 5000), lookup(5, keep=True),
        commit(1), lookup(3), commit(0), lookup(3), append(2, 20000), abandon(2),
        release(0), lookup(3, any_variant=True), lookup(4, 1)),
    # Variants of one key by writers committed in the other order than opened: newest is last committed.
    "writers-commit-out-of-order": config(2) + seq(
        begin(9, variant=1), begin(9, 700, variant=2), begin(9), append(0, 100), append(1, 700),
        commit(1), lookup(9, any_variant=True), commit(0), lookup(9, any_variant=True), append(2, 50),
        commit(2), lookup(9, any_variant=True), lookup(9, 2, keep=True), remove(9), release(0)),
    # 24 KiB objects on 128 KiB: unannounced bodies start at 16 KiB and grow.
    "unknown-length-growth": config(3) + seq(
        store(6, 20000, announce=False, pieces=40), store(7, 24000, announce=False, head=0, pieces=200),
        begin(8), append(0, 16000), append(0, 8000), commit(0),
        lookup(6), lookup(7), lookup(8), store(9, 15000, announce=False, pieces=1),
        store(10, 24000, announce=False, pieces=100)),
    # Over maxObjectBytes: refused when announced, failing an append when not; abandoned midway.
    "oversize-and-abandoned": config(1) + seq(
        store(0, 8500), store(1, 8600, announce=False, pieces=50), store(2, 5000, abandon_at=128),
        begin(3), append(0, 8000), append(0, 300), commit(0), lookup(3),
        store(2, 5000, announce=False, pieces=7, abandon_at=255), lookup(2), store(4, 0, head=255)),
    # No room while pins and writers hold the space: refused stores, failed appends.
    "no-room-while-held": config(0) + seq(
        *[seq(store(i, 3000), lookup(i, keep=True)) for i in range(4)],
        store(4, 3000), begin(5, 3000), append(0, 3000), begin(6), append(1, 4000),
        release(0), release(0), store(7, 3500), commit(0), abandon(1), release(0), release(0),
        store(8, 4000, announce=False, head=0)),
    # Fill markers: refused while held, expiring exactly at the deadline, finished, every key at once.
    "fill-markers-expire": config(2) + seq(
        claim(0, 10), claim(0, 50), filling(0), advance(5), filling(0), claim(0, 1),
        advance(5), filling(0), claim(0, 20), claim(1, 0), filling(1), claim(1, 30), finish(0), filling(0),
        claim(0, 255), *[claim(i, 100 + i) for i in range(16)], *[filling(i) for i in range(16)],
        advance(103), *[filling(i) for i in range(16)], *[claim(i, 5) for i in range(16)],
        *[finish(i) for i in range(0, 16, 2)], advance(255), *[filling(i) for i in range(16)]),
}

def random_script(seed, profile, count=256):
    rng = random.Random(seed)
    ops = []
    for _ in range(count):
        op = rng.choice([0, 0, 0, 1, 2, 2, 3, 4, 5, 5, 5, 6, 7, 8, 9, 10, 11, 12])
        args = [rng.randrange(256) for _ in range([6, 4, 3, 1, 1, 1, 1, 1, 2, 1, 1, 1, 0][op])]
        if op in (0, 1, 2):  # sizes mostly within maxObjectBytes (appends smaller)
            limit = [4096, 8192, 12288, 24576][profile]
            v = rng.randrange(limit // (3 if op == 2 else 1))
            args[1], args[2] = v & 0xFF, v >> 8
        ops.append(bytes([op]) + bytes(args))
    return config(profile) + b"".join(ops)

for profile in range(4):
    SEEDS[f"random-mix-profile-{profile}"] = random_script(1000 + profile, profile)

def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    folder = os.path.join(root, "corpus", "cache-operations")
    os.makedirs(folder, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(folder, "seed-" + name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {folder}")

if __name__ == "__main__":
    main()
