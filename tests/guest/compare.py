#!/usr/bin/env python3
"""Compare `vpmem list --json` (host, offline) with the guest's `ndctl list`.

usage: compare.py GUEST_JSON HOST_JSON...
Only the DIMMs the host documents list are compared. Regions are matched by their DIMM's id (the QEMU slot), namespaces by uuid (or
as the one namespace of a label-less region). Prints one line per mismatch and
exits 1 if there is any; prints the number of namespaces compared otherwise.
"""
import json
import sys

FIELDS = ("mode", "map", "size", "uuid", "raw_uuid", "name", "sector_size", "align")


def load(path):
    with open(path) as f:
        text = f.read()
    return json.loads(text[text.index("{"):])


def by_id(doc):
    """dimm id -> list of namespaces of the region on that DIMM."""
    dimms = {d["dev"]: d["id"] for d in doc.get("dimms", [])}
    out = {}
    for r in doc.get("regions", []):
        dimm = r["mappings"][0]["dimm"]
        out[dimms[dimm]] = r.get("namespaces", [])
    return out


def main():
    guest, host = by_id(load(sys.argv[1])), {}
    for path in sys.argv[2:]:
        host.update(by_id(load(path)))
    bad, n = [], 0
    for dimm_id, hns in sorted(host.items()):
        if dimm_id not in guest:
            bad.append(f"{dimm_id}: no such DIMM in the guest")
            continue
        gns = guest[dimm_id]
        # the guest lists a raw, zero-sized seed namespace nowhere (ndctl hides it)
        if len(hns) != len(gns):
            bad.append(f"{dimm_id}: host lists {len(hns)} namespaces, guest {len(gns)}")
        for h in hns:
            key = h.get("uuid")
            g = [x for x in gns if key and x.get("uuid") == key] or (gns if len(gns) == 1 and len(hns) == 1 else [])
            if not g:
                bad.append(f"{dimm_id}: {h['dev']} uuid {key}: not in the guest")
                continue
            n += 1
            for f in FIELDS:
                if h.get(f) != g[0].get(f):
                    bad.append(f"{dimm_id}: {h['dev']} {f}: host {h.get(f)!r}, guest {g[0].get(f)!r}")
    for line in bad:
        print("MISMATCH:", line)
    print(f"compared {n} namespaces")
    sys.exit(1 if bad or not n else 0)


main()
