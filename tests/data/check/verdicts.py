#!/usr/bin/env python3
"""The guest kernel's verdict on each image of the check damage suite, next
to vpmem check's, one line per image:

  NAME host=VERDICT kernel=same|CHANGES ndctl=ok|FAIL(nsK,..)|- data=same|differs(nsK,..)|-  # DESCRIPTION

kernel: the namespaces the guest shows for the image (ndctl list -RDNi:
mode, size, uuid, sector size, state) against those it shows for the
pristine image the damage was made on (attached in the same boot); CHANGES
lists nsK:WHAT for each of the pristine image's namespaces K (in the
pristine image's order) that is gone (-) or differs, and +MODE for a
namespace the pristine image does not have. ndctl: `ndctl check-namespace`
of the image's BTT namespaces. data: the first 256 KiB of each namespace's
block device against the pristine image's.

usage: verdicts.py TABLE GUEST_JSON DATA CHECKS
  TABLE: "NAME SLOT BASE EXPECTED HOST DESCRIPTION" lines
"""
import json
import sys


def main():
    table = [l.rstrip("\n").split(None, 5) for l in open(sys.argv[1], errors="replace") if l.strip()]
    doc = json.load(open(sys.argv[2], errors="replace"))
    if isinstance(doc, list):
        doc = {"regions": doc}
    slot_of_dimm = {d["dev"]: int(d["id"][5:7], 16) - 0x56 for d in doc.get("dimms", [])}
    by_slot, ns_slot = {}, {}
    for r in doc.get("regions", []):
        maps = r.get("mappings", [])
        if not maps or maps[0]["dimm"] not in slot_of_dimm:
            continue
        slot = slot_of_dimm[maps[0]["dimm"]]
        nss = []
        for n in r.get("namespaces", []):
            if not n.get("size"):
                continue  # the region's seed namespace
            nss.append(n)
            ns_slot[n["dev"]] = slot
        by_slot[slot] = sorted(nss, key=lambda n: n["dev"])
    data, checks = {}, {}
    for line in open(sys.argv[3], errors="replace"):
        f = line.split()
        if len(f) == 2:
            data[f[0]] = f[1]
    for line in open(sys.argv[4], errors="replace"):
        f = line.split()
        if len(f) >= 3 and f[0] == "CHECK":
            checks[f[1]] = f[2] == "rc=0"

    def key(n):  # what identifies a namespace across copies of one image
        if label_less:
            return "io"  # one namespace, the whole region
        return n.get("raw_uuid") or n.get("uuid") or "-"

    def view(n):
        return (n.get("mode"), n.get("size"), n.get("sector_size"), n.get("state", "enabled"), n.get("map"))

    slot_of = {t[0]: int(t[1]) for t in table}
    for name, slot, base, _exp, host, desc in table:
        label_less = base.startswith("ll-")
        mine = by_slot.get(int(slot), [])
        pristine = by_slot.get(slot_of[base], [])
        pk = {key(n): i for i, n in enumerate(pristine)}
        changes, seen = [], set()
        for i, p in enumerate(pristine):
            m = [n for n in mine if key(n) == key(p)]
            if not m:
                changes.append("ns%d:-" % i)
                continue
            seen.add(m[0]["dev"])
            a, b = view(p), view(m[0])
            what = [f for f, x, y in zip(("mode", "size", "sector", "state", "map"), a, b) if x != y]
            if what:
                changes.append("ns%d:%s" % (i, ",".join("%s=%s" % (w, y) for w, x, y in
                                                          zip(("mode", "size", "sector", "state", "map"), a, b)
                                                          if x != y)))
        for n in mine:
            if n["dev"] not in seen:
                changes.append("+%s/%s" % (n.get("mode"), n.get("size")))
        bad = ["ns%d" % pk.get(key(n), -1) for n in mine if checks.get(n["dev"]) is False]
        checked = [n for n in mine if n["dev"] in checks]
        diff = []
        for n in mine:
            if key(n) in pk and n["dev"] in data:
                p = pristine[pk[key(n)]]
                if data.get(p["dev"]) != data[n["dev"]]:
                    diff.append("ns%d" % pk[key(n)])
        have_data = any(n["dev"] in data for n in mine)
        print("%s host=%s kernel=%s ndctl=%s data=%s  # %s" % (
            name, host, ";".join(changes) or "same",
            ("FAIL(%s)" % ",".join(bad)) if bad else ("ok" if checked else "-"),
            ("differs(%s)" % ",".join(diff)) if diff else ("same" if have_data else "-"),
            desc))


main()
