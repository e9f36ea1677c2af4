#!/usr/bin/env python3
"""Classify the first 16 sectors of each BTT crash-cut image as A (old) or
B (new), from sector checksums, and print one verdict line per cut:
    cutN SECTORS check=ok|FAIL
SECTORS has one letter per sector: O (old), N (new), both (O) when old and
new are the same bytes, X (neither: a failure).

usage: verdicts.py CUTDIR SUMS [GUEST_JSON]
  SUMS: lines "KEY SECTOR SHA256" (+ "CHECK KEY rc"), KEY = cutN, or a guest
  namespace dev mapped to its slot through GUEST_JSON (ndctl list -RDN).
"""
import hashlib, json, sys

S = 4096
d = sys.argv[1]
a = open(d + "/a.bin", "rb").read()
b = open(d + "/b.bin", "rb").read()
def sect(buf, k):
    s = buf[k * S:(k + 1) * S]
    return s + bytes(S - len(s))
old = [hashlib.sha256(sect(a, k)).hexdigest() for k in range(16)]
new = [hashlib.sha256(sect(b, k)).hexdigest() for k in range(16)]

key_of = {}
if len(sys.argv) > 3:
    doc = json.load(open(sys.argv[3]))
    ids = {x["dev"]: x["id"] for x in doc["dimms"]}
    for r in doc["regions"]:
        slot = int(ids[r["mappings"][0]["dimm"]][5:7], 16) - 0x56
        for n in r.get("namespaces", []):
            key_of[n["dev"]] = "cut%d" % slot
sums, checks = {}, {}
for line in open(sys.argv[2]):
    f = line.split()
    if not f:
        continue
    if f[0] == "CHECK":
        checks[key_of.get(f[1], f[1])] = f[2]
    else:
        sums.setdefault(key_of.get(f[0], f[0]), {})[int(f[1])] = f[2]
for key in sorted(sums, key=lambda k: int(k[3:])):
    v = ""
    for k in range(16):
        h = sums[key].get(k)
        v += "O" if h == old[k] else "N" if h == new[k] else "X"
    c = checks.get(key)
    print(key, v, "" if c is None else "check=" + ("ok" if c == "rc=0" else "FAIL"))
