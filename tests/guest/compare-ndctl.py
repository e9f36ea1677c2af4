#!/usr/bin/env python3
"""Compare `vpmem list --json OPTS` (host, offline) with the guest's `ndctl list OPTS`.

usage: compare-ndctl.py GUEST_OUT HOST_DIR
GUEST_OUT holds "=== OPTS" lines, each followed by ndctl's output; the first
section ("=== map") is `ndctl list -DR` of the guest, used to rename the
guest's devices to the host's (the guest numbers regions in probe order,
vpmem in the order of its FILE arguments; DIMMs are matched by id).
HOST_DIR/<k>.json is vpmem's output for the k-th section after "map".

Compared: the top-level shape (array, single object with -u, or object and
its keys), then every object's keys and values, arrays sorted by "dev".
Skipped, explicitly: keys only a live system knows -- LIVE below -- and, with
-v, the extra details vpmem documents from the image -- HOST_ONLY_VERBOSE.
Prints one line per mismatch; exits 1 if there is any.
"""
import json
import re
import sys

# the running kernel's view, not the image's: NUMA placement, the platform's
# persistence domain (QEMU's NFIT flags, set at boot), enable state, media
# errors, device-dax instances (ndctl -v shows "daxregion" instead of "chardev")
LIVE = {"persistence_domain", "numa_node", "target_node", "state", "badblock_count", "badblocks", "daxregion"}
# vpmem -v: label and layout details a guest's ndctl does not show
HOST_ONLY_VERBOSE = {"dpa", "raw_size", "label_slot", "claim_class", "dataoff", "info_version", "file", "slot",
                     "label_size", "label_version", "label_index", "label_seq", "label_slots", "slot_source"}


def sections(text):
    out, cur = [], None
    for line in text.splitlines():
        if line.startswith("=== "):
            cur = [line[4:], []]
            out.append(cur)
        elif cur is not None and not line.startswith("rc="):
            cur[1].append(line)
    return [(o, "\n".join(body).strip()) for o, body in out]


def renamer(guest_map, host_map):
    """guest device number -> host number, for DIMMs and regions."""
    gd = {d["dev"]: d["id"] for d in guest_map["dimms"]}
    hd = {d["id"]: d["dev"] for d in host_map["dimms"]}
    dimm = {g: hd[i] for g, i in gd.items() if i in hd}
    region = {}
    for r in guest_map["regions"]:
        g = r["mappings"][0]["dimm"]
        if g in dimm:
            region[r["dev"][6:]] = dimm[g][4:]

    def ren(v):
        if not isinstance(v, str):
            return v
        m = re.fullmatch(r"nmem(\d+)", v)
        if m:
            return dimm.get(v, v)
        m = re.fullmatch(r"(region|namespace|pmem|dax)(\d+)(.*)", v)
        if m and m.group(2) in region:
            return m.group(1) + region[m.group(2)] + m.group(3)
        return v
    return ren, set(dimm.values())


def norm(v, ren, verbose, side):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k in LIVE or (verbose and side == "host" and k in HOST_ONLY_VERBOSE):
                continue
            if verbose and side == "host" and k == "chardev":
                continue  # ndctl -v moves it into the live "daxregion"
            out[k] = norm(x, ren, verbose, side)
        return out
    if isinstance(v, list):
        items = [norm(x, ren, verbose, side) for x in v]
        return sorted(items, key=lambda x: json.dumps(x.get("dev") if isinstance(x, dict) else x))
    return ren(v) if side == "guest" else v


def diff(path, h, g, bad):
    if type(h) is not type(g):
        bad.append(f"{path}: host {type(h).__name__} {h!r:.80}, guest {type(g).__name__} {g!r:.80}")
    elif isinstance(h, dict):
        if set(h) != set(g):
            bad.append(f"{path}: keys host-only {sorted(set(h) - set(g))}, guest-only {sorted(set(g) - set(h))}")
        for k in sorted(set(h) & set(g)):
            diff(f"{path}.{k}", h[k], g[k], bad)
    elif isinstance(h, list):
        if len(h) != len(g):
            bad.append(f"{path}: host {len(h)} entries, guest {len(g)}")
        for i, (x, y) in enumerate(zip(h, g)):
            diff(f"{path}[{i}]", x, y, bad)
    elif h != g:
        bad.append(f"{path}: host {h!r}, guest {g!r}")


def main():
    secs = sections(open(sys.argv[1]).read())
    hostdir = sys.argv[2]
    guest_map = json.loads(secs[0][1])
    host_map = json.load(open(f"{hostdir}/map.json"))
    ren, _ = renamer(guest_map, host_map)
    bad, n = [], 0
    for k, (opts, body) in enumerate(secs[1:]):
        host_text = open(f"{hostdir}/{k}.json").read().strip()
        if not body and not host_text:
            n += 1
            continue
        try:
            g = json.loads(body)
            h = json.loads(host_text)
        except ValueError as e:
            bad.append(f"ndctl list {opts}: not JSON on one side ({e})")
            continue
        verbose = "v" in opts.split()[0]
        before = len(bad)
        diff(f"ndctl list {opts}", norm(h, ren, verbose, "host"), norm(g, ren, verbose, "guest"), bad)
        n += 1
        if len(bad) == before:
            print(f"same: ndctl list {opts}")
    for line in bad:
        print("MISMATCH:", line)
    print(f"compared {n} listings")
    sys.exit(1 if bad or not n else 0)


main()
