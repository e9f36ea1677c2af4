#!/bin/sh
# The issue's example layout applied offline (vpmem apply --image) to 512M
# images with 128K labels boots in the default guest with every namespace as
# named: the guest's ndctl list equals vpmem list (mode, size, uuid, raw_uuid,
# name, sector size, map, align), the devices exist, and the ext4 that apply
# made on the fsdax namespace mounts with -o dax without mkfs; afterwards
# vpmem check calls both images ok.
. "$(dirname "$0")/lib-guest.sh"
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data/layout
cd "$T" || exit 1

"$VPMEM" image create nofs.img --size 512M --label-size 128K --slot 0 >/dev/null || fail "image create nofs"
"$VPMEM" apply "$data/example-nofs.json" --image nofs.img >/dev/null || fail "apply nofs"
"$VPMEM" image create fs.img --size 512M --label-size 128K --slot 1 --layout "$data/example.json" >/dev/null ||
	fail "image create --layout"
"$VPMEM" list --json nofs.img fs.img >host.json || fail "vpmem list"

guest_run --qemu-memory 1G --pmem-image "$T/nofs.img" --pmem-image "$T/fs.img" '
ndctl list -RND -v
echo ---devices
ls /dev | grep -E "^(pmem|dax)" | sort | tr "\n" " "; echo
echo ---mount
mkdir -p /mnt/db
dev=$(ndctl list -r region1 -N | awk -F\" "/\"blockdev\"/ {b=\$4} /\"name\":\"db\"/ {print b; exit}")
echo "db is /dev/$dev"
mount -o dax /dev/$dev /mnt/db && grep " /mnt/db " /proc/mounts | sed "s/^/mounted: /"
echo hello >/mnt/db/hello && sync && cat /mnt/db/hello
dd if=/dev/zero of=/mnt/db/f bs=1M count=32 2>/dev/null && vpmem doctor /mnt/db/f | head -n1
umount /mnt/db
'
expect_eq "guest status" "$grc" 0
printf '%s\n' "$gout" | sed -n '1,/^---devices/p' | sed '$d' >guest.json
res=$(python3 "$here/compare.py" guest.json host.json)
expect_eq "host listing equals the guest's ndctl list" "$?" 0
printf '%s\n' "$res" | grep MISMATCH >&2
expect_match "namespaces compared" "$res" '^compared 8 namespaces$'
names=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1]));
print(" ".join(sorted("%s:%s:%s:%s:%s" % (n.get("name"), n["mode"], n.get("map", "-"), n.get("sector_size", "-"), n.get("align", "-"))
      for r in j["regions"] for n in r["namespaces"])))' guest.json)
want="cache:devdax:dev:-:2097152 cache:devdax:dev:-:2097152 db:fsdax:dev:512:2097152 db:fsdax:dev:512:2097152 log:sector:-:4096:- log:sector:-:4096:- rest:raw:-:512:- rest:raw:-:512:-"
expect_eq "every namespace as named, in the guest" "$names" "$want"
devs=$(printf '%s\n' "$gout" | sed -n '/^---devices/{n;p}')
for d in pmem0 dax0.1 pmem0.2s pmem0.3 pmem1 dax1.1 pmem1.2s pmem1.3; do
	expect_match "device /dev/$d" " $devs " " $d "
done
expect_match "db on region1 is pmem1" "$gout" '^db is /dev/pmem1$'
expect_match "ext4 made offline mounts -o dax" "$gout" '^mounted: /dev/pmem1 /mnt/db ext4 .*dax'
expect_match "and holds a file" "$gout" '^hello$'
expect_match "guaranteed persistent" "$gout" '^/mnt/db/f: guaranteed'
# no false alarms: after the guest mounted and wrote the ext4, vpmem check
# calls both images ok, with no finding
for i in nofs.img fs.img; do
	expect_check_ok "$i" -v
	expect_match "$i after the guest: four namespaces judged ok" "$(printf '%s\n' "$out" | grep -c '^  namespace0\.[0-9]*: ok ')" '^4$'
done

done_testing
