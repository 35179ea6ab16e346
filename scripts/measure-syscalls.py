#!/usr/bin/env python3
"""Aggregates the traces of scripts/measure-syscalls into system calls per sandbox role.

    scripts/measure-syscalls.py POLICY_FILE TRACE_DIR

POLICY_FILE is the output of `proxy --print-sandbox-policy`. TRACE_DIR holds `trace.<id>`
files (`strace -f -qq -X raw -s 16 -o ...`, one per proxy run) and `trace.<id>.args` (the
proxy's arguments, one per line, from which the main thread's role is read: `-c MODEL`).
A trace without an .args file takes its model from a file name such as `epoll.trace`
(scripts/sandbox-dns-check TRACE=1), else the default model (epoll).

Per thread: its role is set when its own seccomp(SECCOMP_SET_MODE_FILTER) (or
prctl(PR_SET_SECCOMP)) returns 0, chosen from who installed it:
  main thread of the proxy      iterative: servingAcceptor, thread: spawningAcceptor,
                                pool/epoll: acceptor, fork: forkParent
  log-writer                    logger
  resolver-N                    resolver
  worker-N (pool), loop-N       worker
  a process cloned without CLONE_THREAD (fork model child)   forkChild
A thread or process created by a filtered thread starts with its creator's role (the
filter is inherited; a fork child runs under forkParent until it narrows itself). Every
call a thread completes while it has a role counts for that role. Exit status 0 always.

Arguments are checked against the rules' conditions where strace printed a plain number
(-X raw); a call allowed in some form but not with the measured arguments is listed apart.
`--print-sandbox-policy` prints errno rules without their conditions (openat: read-only),
so a measured call answered by one is listed with example arguments to check by eye.
"""
import os
import re
import sys
from collections import defaultdict

ROLES = ["acceptor", "servingAcceptor", "spawningAcceptor", "worker", "resolver", "logger",
         "forkParent", "forkChild"]
MAIN_ROLE = {"iterative": "servingAcceptor", "thread": "spawningAcceptor", "pool": "acceptor",
             "epoll": "acceptor", "fork": "forkParent"}
CLONE_THREAD = 0x10000
SECCOMP_SET_MODE_FILTER = 1
PR_SET_NAME = 15
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
U64 = (1 << 64) - 1


# ---------------------------------------------------------------- policy

def parse_policy(path):
    """{role: [(name, answer, [(arg, mask, value)])]} and {role: allowed-count-as-printed}."""
    rules, counts, role = {}, {}, None
    head = re.compile(r"^(\w+): (\d+) rules, (\d+) calls allowed")
    cond = re.compile(r"arg(\d+) (?:& (0x[0-9a-f]+|\d+) )?== (0x[0-9a-f]+|\d+)")
    with open(path) as f:
        for line in f:
            m = head.match(line)
            if m:
                role = m.group(1)
                rules[role], counts[role] = [], int(m.group(3))
                continue
            if role is None or not line.startswith("  "):
                continue
            parts = line.split()
            name = parts[0]
            rest = line[2 + len(name):].strip()
            if rest.startswith("fail errno"):
                answer = "fail"
            elif rest.startswith("allow"):
                answer = "allow"
            else:
                continue
            conds = []
            if rest.startswith("allow if ") or rest.startswith("fail errno") and " if " in rest[:60]:
                for c in cond.finditer(rest[:120]):
                    mask = int(c.group(2), 0) if c.group(2) else U64
                    conds.append((int(c.group(1)), mask, int(c.group(3), 0)))
            rules[role].append((name, answer, conds))
    return rules, counts


def answer(role_rules, name, args):
    """'allow', 'fail' or None (denied) for a call with these arguments (None: unreadable)."""
    for rname, ans, conds in role_rules:
        if rname != name:
            continue
        ok = True
        for i, mask, value in conds:
            v = args[i] if i < len(args) else None
            if v is None or (v & mask) != value:
                ok = False
                break
        if ok:
            return ans
    return None


# ---------------------------------------------------------------- strace lines

LINE = re.compile(r"^(\d+)\s+(.*)$")
CALL = re.compile(r"^([a-z_][a-z0-9_]*)\((.*)$")
RESUMED = re.compile(r"^<\.\.\. ([a-z_][a-z0-9_]*) resumed>(.*)$")
RESULT = re.compile(r"\)\s+= (-?\d+|0x[0-9a-f]+|\?)(.*)$")


def split_args(text):
    """Top-level arguments of a call (text after '(' up to the matching ')')."""
    out, depth, cur, quote, esc = [], 0, [], False, False
    for ch in text:
        if quote:
            cur.append(ch)
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                quote = False
            continue
        if ch == '"':
            quote = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    last = "".join(cur).strip()
    if last or out:
        out.append(last)
    return out


def number(text):
    text = text.strip()
    if "=" in text and not text.startswith("["):
        text = text.split("=", 1)[1]
    if text == "NULL":
        return 0
    try:  # -X raw prints flags with a signal as 0x1200000|17
        value = 0
        for part in text.split("|"):
            value |= int(part, 0) & U64
        return value
    except ValueError:
        return None


def kernel_args(name, raw):
    """Argument values in the kernel's order (None where not a plain number)."""
    if name == "clone":  # strace prints clone(child_stack=..., flags=..., ...); arg0 is flags
        flags = next((a for a in raw if a.startswith("flags=")), None)
        return [number(flags) if flags else None] + [None] * 4
    return [number(a) for a in raw]


def clone_flags(name, raw):
    if name == "clone3":
        m = re.search(r"flags=(0x[0-9a-f]+|\d+)", raw[0] if raw else "")
        return int(m.group(1), 0) if m else 0
    if name in ("fork", "vfork"):
        return 0
    a = kernel_args("clone", raw)[0]
    return a or 0


def events(path):
    """Yields (tid, name, args_text, result_text) per completed call, in trace order;
    result None for a call the trace never saw end."""
    pending = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            tid, body = int(m.group(1)), m.group(2)
            if body.startswith("+++") or body.startswith("---"):
                continue
            r = RESUMED.match(body)
            if r:
                name, rest = r.group(1), r.group(2)
                start = pending.pop(tid, (name, ""))
                text = start[1] + rest
            else:
                c = CALL.match(body)
                if not c:
                    continue
                name, text = c.group(1), c.group(2)
            if text.endswith("<unfinished ...>"):
                pending[tid] = (name, text[: -len("<unfinished ...>")].rstrip())
                continue
            res = RESULT.search(text)
            yield tid, name, text, (res.group(1) if res else None)
    for tid, (name, text) in pending.items():
        yield tid, name, text, None


# ---------------------------------------------------------------- one trace

def model_of(trace):
    args_file = trace + ".args"
    args = []
    if os.path.exists(args_file):
        with open(args_file) as f:
            args = [a.rstrip("\n") for a in f]
    model = "epoll"
    for i, a in enumerate(args):
        if a in ("-c", "--concurrency") and i + 1 < len(args):
            model = args[i + 1]
        elif a.startswith("--concurrency="):
            model = a.split("=", 1)[1]
    if not args:
        base = os.path.basename(trace).split(".")[0]
        if base in MAIN_ROLE:
            model = base
    return model


def measure(trace, policy, measured, mismatched, failed, per_model):
    model = model_of(trace)
    per_model[model] += 1
    root = None
    role = {}       # tid -> role (absent: no filter yet)
    name = {}       # tid -> thread name
    tgid = {}       # tid -> process id
    born = {}       # child tid -> (creator tid, is_thread): from clone results
    unknown = set()

    # Pass 1: who created whom (a child's first line can come before its clone returns).
    for tid, call, text, res in events(trace):
        if root is None:
            root = tid
        if call in ("clone", "clone3", "fork", "vfork") and res not in (None, "?") and not res.startswith("-"):
            child = int(res, 0)
            if child > 0:
                flags = clone_flags(call, split_args(text))
                born[child] = (tid, bool(flags & CLONE_THREAD))
    if root is None:
        return model
    tgid[root] = root
    name[root] = "main"

    def see(tid):
        if tid in tgid:
            return
        parent, is_thread = born.get(tid, (None, True))
        tgid[tid] = tgid.get(parent, root) if is_thread else tid
        name[tid] = name.get(parent, "?") if is_thread else "child"
        if parent in role:
            role[tid] = role[parent]

    def role_for(tid):
        if tgid[tid] != root:
            return "forkChild"
        if tid == root:
            return MAIN_ROLE.get(model, "unknown:main(" + model + ")")
        n = name[tid]
        if n == "log-writer":
            return "logger"
        if n.startswith("resolver-"):
            return "resolver"
        if n.startswith("worker-") or n.startswith("loop-"):
            return "worker"
        return "unknown:" + n

    # Pass 2: calls in order.
    for tid, call, text, res in events(trace):
        see(tid)
        raw = split_args(text)
        if tid in role:
            r = role[tid]
            args = kernel_args(call, raw)
            measured[r][call] += 1
            verdict = answer(policy.get(r, []), call, args)
            if verdict is None and any(n == call for n, _, _ in policy.get(r, [])):
                # allowed in some form, but not with these arguments
                mismatched[r][call].add(text.split(")")[0][:80])
            elif verdict == "fail" and len(failed[r][call]) < 50:
                failed[r][call].add(text.split(")")[0][:80])
        if call in ("clone", "clone3", "fork", "vfork") and res not in (None, "?") and not res.startswith("-"):
            # The child starts with its creator's filter as it is now (the creator may
            # install its own later, before the child's first call shows in the trace).
            see(int(res, 0))
        if res != "0":
            continue
        if call == "prctl" and len(raw) > 1 and number(raw[0]) == PR_SET_NAME:
            name[tid] = raw[1].strip('"').rstrip(".")
        elif (call == "seccomp" and raw and number(raw[0]) == SECCOMP_SET_MODE_FILTER) or \
                (call == "prctl" and len(raw) > 1 and number(raw[0]) == PR_SET_SECCOMP
                 and number(raw[1]) == SECCOMP_MODE_FILTER):
            role[tid] = role_for(tid)
    return model


# ---------------------------------------------------------------- report

def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 0
    policy, counts = parse_policy(sys.argv[1])
    tdir = sys.argv[2]
    traces = sorted(os.path.join(tdir, f) for f in os.listdir(tdir)
                    if (f.startswith("trace.") or f.endswith(".trace")) and not f.endswith(".args"))
    measured = defaultdict(lambda: defaultdict(int))
    mismatched = defaultdict(lambda: defaultdict(set))
    failed = defaultdict(lambda: defaultdict(set))
    per_model = defaultdict(int)
    for t in traces:
        measure(t, policy, measured, mismatched, failed, per_model)

    print("traces: %d (%s)" % (len(traces), ", ".join("%s %d" % kv for kv in sorted(per_model.items()))))
    print()
    print("%-17s %9s %8s %20s %20s" % ("role", "measured", "allowed", "allowed-not-measured",
                                         "measured-not-allowed"))
    roles = ROLES + sorted(r for r in measured if r not in ROLES)
    for r in roles:
        m = measured.get(r, {})
        allow_names = sorted({n for n, a, _ in policy.get(r, []) if a == "allow"})
        fail_names = {n for n, a, _ in policy.get(r, []) if a == "fail"}
        got = set(m)
        args_bad = set(mismatched.get(r, {}))
        print("%-17s %9d %8s %20d %20d" % (
            r, len(got), counts.get(r, "-"), len([n for n in allow_names if n not in got]),
            len([n for n in got if n not in allow_names and n not in fail_names]) + len(args_bad)))
    print("(distinct system call names; measured-not-allowed counts calls allowed only with other arguments too)")
    for r in roles:
        m = measured.get(r, {})
        allow_names = sorted({n for n, a, _ in policy.get(r, []) if a == "allow"})
        fail_names = {n for n, a, _ in policy.get(r, []) if a == "fail"}
        got = set(m)
        print()
        print("== %s: %d measured, %s allowed, %d calls counted" % (
            r, len(got), counts.get(r, "-"), sum(m.values())))
        print("  measured:          " + (" ".join("%s(%d)" % (n, m[n]) for n in sorted(got)) or "-"))
        print("  allowed, never measured: " + (" ".join(n for n in allow_names if n not in got) or "-"))
        print("  measured, not allowed:   " + (" ".join(sorted(n for n in got if n not in allow_names
                                                                and n not in fail_names)) or "-"))
        answered = sorted(n for n in got if n in fail_names and n not in allow_names)
        for n in answered:
            ex = sorted(failed.get(r, {}).get(n, ()))
            print("  measured, answered by an errno rule: %s(%d)  e.g. %s" % (
                n, m[n], " | ".join("%s(%s)" % (n, e) for e in ex[:2])))
        bad = mismatched.get(r, {})
        for n in sorted(bad):
            ex = sorted(bad[n])
            print("  measured with arguments no rule allows: %s  e.g. %s(%s)" % (
                n, n, " | ".join(ex[:3]) + (" ...+%d" % (len(ex) - 3) if len(ex) > 3 else "")))
    return 0


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass
    sys.exit(0)
