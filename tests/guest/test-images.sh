#!/bin/sh
# Images provisioned offline by vpmem alone boot in the default guest: for
# every mode x {labels v1.1, v1.2, label-less} x several sizes and slots, the
# guest's ndctl list matches `vpmem list` (mode, size, uuid, raw_uuid, name,
# sector size, map, align), the devices exist, a filesystem on an fsdax device
# mounts with -o dax, and ndctl check-namespace passes on every sector namespace;
# afterwards vpmem check calls every image ok.
. "$(dirname "$0")/lib-guest.sh"
here=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1

mk() { "$VPMEM" "$@" >/dev/null || fail "vpmem $*"; }
# labelled images: every mode, sizes 16M..96M, names, fixed and random uuids
for v in 1.1 1.2; do
	f=v$v.img
	slot=$([ "$v" = 1.1 ] && echo 0 || echo 3)
	mk image create $f --size 512M --label-size 128K --label-version $v --slot $slot
	mk namespace create $f --mode fsdax --size 64M --name fsdax-dev --uuid 11111111-2222-4333-8444-55555555555$slot
	mk namespace create $f --mode fsdax --map mem --size 32M
	mk namespace create $f --mode devdax --size 48M --name dd
	mk namespace create $f --mode devdax --align 4K --size 16M
	mk namespace create $f --mode sector --size 96M --name s4k
	mk namespace create $f --mode sector --sector-size 512 --size 32M
	mk namespace create $f --mode raw --size 16M --name rawns
done
# label-less images: one mode each, in other slots and sizes
mk image create ll-fsdax.img --size 320M --no-labels --slot 1
mk namespace create ll-fsdax.img --mode fsdax
mk image create ll-sector.img --size 64M --no-labels --slot 2
mk namespace create ll-sector.img --mode sector --sector-size 512
mk image create ll-devdax.img --size 128M --no-labels --slot 4
mk namespace create ll-devdax.img --mode devdax --map mem
mk image create ll-raw.img --size 48M --no-labels --slot 5

imgs="v1.1.img ll-fsdax.img ll-sector.img v1.2.img ll-devdax.img ll-raw.img"
"$VPMEM" list --json $imgs >host.json || fail "vpmem list"

args=
for i in $imgs; do args="$args --pmem-image $T/$i"; done
# shellcheck disable=SC2086
guest_run --qemu-memory 1G $args '
ndctl list -RND -v
echo ---devices
ls /dev | grep -E "^(pmem|dax)" | sort | tr "\n" " "; echo
echo ---check
for ns in $(ndctl list -N | sed -n "s/.*\"dev\":\"\(namespace[0-9.]*\)\".*/\1/p"); do
	mode=$(ndctl list -n $ns | sed -n "s/.*\"mode\":\"\([a-z]*\)\".*/\1/p")
	[ "$mode" = sector ] || continue
	ndctl check-namespace -f $ns >/dev/null 2>&1 && echo "check $ns ok" || echo "check $ns FAILED"
done
echo ---mount
mkdir -p /mnt/a /mnt/b
dev=$(ndctl list -N | awk -F\" "/\"blockdev\"/ {b=\$4} /\"name\":\"fsdax-dev\"/ {print b; exit}")
echo "fsdax-dev is /dev/$dev"
mkfs.ext4 -q -F -b 4096 /dev/$dev && mount -o dax /dev/$dev /mnt/a && grep -c " /mnt/a ext4 .*dax" /proc/mounts | sed "s/^/ext4-dax-mounts: /"
dd if=/dev/zero of=/mnt/a/f bs=1M count=32 2>/dev/null && vpmem doctor /mnt/a/f | head -n1
umount /mnt/a
'
expect_eq "guest status" "$grc" 0
printf '%s\n' "$gout" | sed -n '1,/^---devices/p' | sed '$d' >guest.json
res=$(python3 "$here/compare.py" guest.json host.json)
expect_eq "host listing equals the guest's ndctl list" "$?" 0
printf '%s\n' "$res" | grep MISMATCH >&2
expect_match "namespaces compared" "$res" '^compared 18 namespaces$'
devs=$(printf '%s\n' "$gout" | sed -n '/^---devices/{n;p}')
want=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(" ".join(sorted(n.get("blockdev") or n.get("chardev") or n["daxregion"]["devices"][0]["chardev"] for r in j["regions"] for n in r["namespaces"])))' guest.json)
expect_eq "device nodes of all 18 namespaces" "$(echo $want | wc -w)" 18
for d in $want; do
	expect_match "device /dev/$d" " $devs " " $d "
done
checks=$(printf '%s\n' "$gout" | sed -n '/^---check/,/^---mount/p')
expect_eq "sector namespaces checked" "$(printf '%s\n' "$checks" | grep -c '^check .* ok$')" 5
expect_nomatch "no failed check-namespace" "$checks" FAILED
expect_match "ext4 on offline fsdax mounts -o dax" "$gout" '^ext4-dax-mounts: 1$'
expect_match "and is guaranteed persistent" "$gout" '^/mnt/a/f: guaranteed'
# no false alarms: after the guest used them (ext4 made and written on the
# fsdax namespace, every BTT enabled and checked), vpmem check calls every
# image ok, with no finding
for i in $imgs; do
	expect_check_ok "$i"
done

done_testing
