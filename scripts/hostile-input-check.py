#!/usr/bin/env python3
"""Feeds thousands of damaged and random inputs to `sigma -dc`, `sigma -t` and `sigma recover`
and checks that none panics (exit status 101), hangs (10 s timeout), dies on a signal, or
decodes damaged data to wrong bytes with success.

    scripts/hostile-input-check.py [COUNT]        (default 3000, seeded: the same inputs every run)
"""
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIGMA = os.path.join(ROOT, "target", "release", "sigma")
CORPORA = os.environ.get("SIGMA_CORPORA", os.path.join(ROOT, "..", "shared", "corpora"))


def run(args, data):
    try:
        p = subprocess.run([SIGMA] + args, input=data, capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return "hang", b"", b""
    return p.returncode, p.stdout, p.stderr


def rehead(stream, data):
    """Whether `data` is `stream` behind another stream header (23 to 33 bytes, section 3 of
    the spec): its frames and footer start at the first frame or footer magic."""
    starts = [i for i in (stream.find(b"\xfe\xce\xa3\x46", 4), stream.find(b"\xfe\xce\xa3\x45", 4)) if i >= 0]
    if not starts:
        return False
    rest = stream[min(starts):]
    return data.endswith(rest) and 23 <= len(data) - len(rest) <= 33


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    if not os.path.exists(SIGMA):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    rng = random.Random(20261127)
    with open(os.path.join(CORPORA, "canterbury", "cantrbry", "alice29.txt"), "rb") as f:
        alice = f.read()
    originals = [alice[:40000], alice[40000:41000], bytes(rng.randrange(256) for _ in range(3000)), b""]
    streams = []
    for text in originals:
        s = subprocess.run([SIGMA, "-c", "--frame-size", "4KiB"], input=text, capture_output=True, check=True).stdout
        streams.append((text, s))

    kinds = {"truncated": 0, "mutated": 0, "random": 0, "spliced": 0}
    outcomes = {"rejected": 0, "exact": 0}
    failures = []
    for i in range(count):
        text, stream = streams[i % len(streams)]
        kind = ["truncated", "mutated", "random", "spliced"][i % 4]
        kinds[kind] += 1
        if kind == "truncated":
            data = stream[: rng.randrange(len(stream))]
        elif kind == "mutated":
            data = bytearray(stream)
            for _ in range(rng.choice([1, 1, 1, 2, 5])):
                data[rng.randrange(len(data))] ^= rng.randrange(1, 256)
            data = bytes(data)
        elif kind == "random":
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
            if rng.random() < 0.5:
                data = stream[:25] + data  # a valid stream header, then noise
        else:
            other = streams[rng.randrange(len(streams))][1]
            cut = rng.randrange(len(stream))
            data = stream[:cut] + other[rng.randrange(len(other)) :]
        # Success is only allowed for the exact original content, or for the content of an
        # intact stream that the damage happened to rebuild: a splice of one stream's header
        # with another's frames and footer, whose frames that header admits (the headers differ
        # only in the max frame size: a pipe of 1,000 bytes records 1 KiB, the empty one 4 KiB).
        rebuilt = [t for t, s in streams if s == data or (kind == "spliced" and rehead(s, data))]
        for args in (["-dc"], ["-t"]):
            code, out, err = run(args, data)
            if code == 0 and args == ["-dc"] and out != text and data != stream and out not in rebuilt:
                failures.append(f"{kind} #{i}: {' '.join(args)} succeeded with different bytes")
            elif code not in (0, 1):
                failures.append(f"{kind} #{i}: {' '.join(args)} exit status {code}: {err[-200:]!r}")
            elif code == 1 and (len(err.splitlines()) != 1 or not err.startswith(b"sigma: ")):
                failures.append(f"{kind} #{i}: {' '.join(args)} error is not one 'sigma: ' line: {err!r}")
            else:
                outcomes["exact" if code == 0 else "rejected"] += 1
        code, out, err = run(["recover", "-c"], data)
        if code not in (0, 1, 2):
            failures.append(f"{kind} #{i}: recover exit status {code}: {err[-200:]!r}")
    print(f"inputs: {count} ({', '.join(f'{k} {v}' for k, v in kinds.items())})")
    print(f"decodes: {outcomes['rejected']} rejected with one error line, {outcomes['exact']} decoded to the exact original")
    print(f"failures: {len(failures)} (panics, hangs, signals, wrong bytes, malformed errors)")
    for f in failures[:20]:
        print("  " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
