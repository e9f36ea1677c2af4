#!/bin/sh
# Make reference images with the real guest kernel and ndctl, independent of
# vpmem's own format code: blank backing files, labels initialised and
# namespaces created by ndctl inside the default guest (plus one Kata-style
# info block written on the host, as Kata's nsdax does). Writes, into OUTDIR:
#   NAME.img.xz     the backing file, compressed (sparse: they are tiny)
#   boot1.json boot2.json   the guest's `ndctl list -RND -v` after each boot
#   MANIFEST        "NAME SLOT BOOT" lines
#
# usage: VPMEM=path/to/vpmem tests/guest/mkgolden.sh OUTDIR
set -eu
out=$1
: "${VPMEM:?}"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
L=131072

# boot 1: label-capable DIMMs (label-size 128K): ndctl init-labels v1.1 / v1.2,
# and ndctl's autolabel (v1.2) on a never-initialised label area
truncate -s $((256 * 1048576 + L)) v11.img v12.img autolabel.img
"$VPMEM" run -q --timeout 300 --state-dir "$work/vm1" --qemu-memory 768M --label-size 128K \
	--pmem-image "$work/v11.img,slot=0" --pmem-image "$work/v12.img,slot=1" \
	--pmem-image "$work/autolabel.img,slot=2" --guest-cmd '
set -e
# nmem and region of the DIMM with a given id (regions do not follow slots)
r() { ndctl list -D | awk -F\" -v id="$1" "/\"dev\"/ {d=\$4} \$4 == id {print d}" | head -n1; }
reg() { ndctl list -R -d "$1" | awk -F\" "/\"dev\"/ {print \$4; exit}"; }
n0=$(r 8680-56341200); n1=$(r 8680-57341200); n2=$(r 8680-58341200)
r0=$(reg $n0); r1=$(reg $n1); r2=$(reg $n2)
ndctl disable-region $r0 >/dev/null; ndctl disable-region $r1 >/dev/null
ndctl init-labels $n0 >/dev/null
ndctl init-labels -V 1.2 $n1 >/dev/null
ndctl enable-region $r0 >/dev/null; ndctl enable-region $r1 >/dev/null
for rg in $r0 $r1; do
	ndctl create-namespace -r $rg -m fsdax -s 32M -n fsd >/dev/null
	ndctl create-namespace -r $rg -m fsdax -M mem -s 32M >/dev/null
	ndctl create-namespace -r $rg -m devdax -s 32M -n dd >/dev/null
	ndctl create-namespace -r $rg -m sector -s 32M -l 4096 >/dev/null
	ndctl create-namespace -r $rg -m sector -s 48M -l 512 -n s512 >/dev/null
	ndctl create-namespace -r $rg -m raw -s 16M -n r >/dev/null
done
# a destroyed namespace leaves a hole and a stale label slot behind
ndctl destroy-namespace -f $(ndctl list -r $r1 -N | awk -F\" "/\"dev\"/ {n=\$4} /\"name\":\"r\"/ {print n}" | head -n1) >/dev/null
ndctl create-namespace -f -e namespace${r2#region}.0 -m fsdax >/dev/null
ndctl list -RND -v
' >boot1.json

# boot 2: label-less DIMMs; ndctl writes the info block of the one namespace
truncate -s 64M ll-fsdax.img ll-devdax.img ll-sector.img kata.img
# Kata Containers nsdax.gpl.c: v0.2 PFN block at 4K, map=mem, dataoff = align = 2M
python3 - kata.img <<'PY'
import struct, sys
b = bytearray(4096)
b[0:16] = b"NVDIMM_PFN_INFO\0"
struct.pack_into("<HH", b, 52, 0, 2)           # version 0.2
struct.pack_into("<Q", b, 56, 2 << 20)         # dataoff
struct.pack_into("<I", b, 72, 1)               # PFN_MODE_RAM
struct.pack_into("<I", b, 84, 2 << 20)         # align
lo = hi = 0
for i in range(0, 4096, 4):
    lo = (lo + struct.unpack_from("<I", b, i)[0]) & 0xffffffff
    hi = (hi + lo) & 0xffffffff
struct.pack_into("<Q", b, 4088, (hi << 32) | lo)
with open(sys.argv[1], "r+b") as f:
    f.seek(4096)
    f.write(b)
PY
"$VPMEM" run -q --timeout 300 --state-dir "$work/vm2" --qemu-memory 512M \
	--pmem-image "$work/ll-fsdax.img,slot=3" --pmem-image "$work/ll-devdax.img,slot=4" \
	--pmem-image "$work/ll-sector.img,slot=5" --pmem-image "$work/kata.img,slot=6" --guest-cmd '
set -e
for id in 59 5a 5b; do
	d=$(ndctl list -D | awk -F\" -v id="8680-${id}341200" "/\"dev\"/ {d=\$4} \$4 == id {print d}")
	rg=$(ndctl list -R -d $d | awk -F\" "/\"dev\"/ {print \$4; exit}")
	case $id in 59) m=fsdax ;; 5a) m=devdax ;; 5b) m=sector ;; esac
	ndctl create-namespace -f -e namespace${rg#region}.0 -m $m >/dev/null
done
ndctl list -RND -v
' >boot2.json

{
	echo "v11 0 1"; echo "v12 1 1"; echo "autolabel 2 1"
	echo "ll-fsdax 3 2"; echo "ll-devdax 4 2"; echo "ll-sector 5 2"; echo "kata 6 2"
} >MANIFEST
for f in *.img; do xz -T1 -6 -c "$f" >"$out/$f.xz"; done
cp boot1.json boot2.json MANIFEST "$out/"
