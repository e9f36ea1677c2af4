#!/bin/sh
# The default guest boots with one vNVDIMM and the guest kernel sees it.
. "$(dirname "$0")/lib-guest.sh"

# The guest runs the kernel chosen ($VPMEM_GUEST_KERNEL, as the test command sets
# per kernel), from its own cache directory; building or booting one kernel's
# guest leaves the other kernels' guests alone.
kernel=${VPMEM_GUEST_KERNEL:-6.1}
info=$("$VPMEM" guest path --json)
release=$(json_get "$info" 'j["release"]')
for other in 6.1 6.12; do
	[ "$other" = "$kernel" ] && continue
	odir=$("$VPMEM" guest path --guest-kernel "$other" 2>/dev/null | sed -n 's/^dir  *//p'); [ -n "$odir" ] || continue
	ostamp=$(stat -c %Y:%s "$odir/initrd.img")
done
guest_run --qemu-pmem 256M 'uname -r'
expect_eq "guest runs the built kernel" "$gout" "$release"
name=$(json_get "$info" 'j["name"]')
case "$kernel" in
6.1|6.12)
	expect_match "guest kernel is $kernel" "$gout" "^$(echo "$kernel" | sed 's/\./\\./')\."
	expect_eq "guest name" "$name" "$kernel" ;;
esac
gdir=${XDG_CACHE_HOME:-$HOME/.cache}/vpmem/guest/$name
expect_eq "one directory per kernel" "$(json_get "$info" 'j["dir"]')" "$gdir"
"$VPMEM" guest build 2>"$T/.build"
expect_eq "built guest is up to date" "$(cat "$T/.build")" "vpmem guest: up to date in $gdir"
if [ -n "${ostamp:-}" ]; then
	expect_eq "the other kernel's guest untouched" "$(stat -c %Y:%s "$odir/initrd.img")" "$ostamp"
fi

guest_run --qemu-pmem 256M 'ndctl list -D; echo to-stderr >&2'
expect_eq "boot status" "$grc" 0
expect_eq "one DIMM" "$(json_get "$gout" 'len(j)')" 1
expect_eq "DIMM id of slot 0" "$(json_get "$gout" 'j[0]["id"]')" 8680-56341200
expect_eq "DIMM handle" "$(json_get "$gout" 'j[0]["handle"]')" 1
expect_eq "guest stderr kept apart" "$gerr" to-stderr
check "backing created sparse at the exact size" test "$(stat -c %s "$T/vm/pmem0.img")" = 268435456
check "backing is sparse" test "$(stat -c %b "$T/vm/pmem0.img")" -lt 1024

# The region the guest reports is the planned size; the backing keeps what the guest writes.
guest_run --qemu-pmem 256M '
ndctl list -RN
printf "vpmem-marker-42" | dd of=/dev/pmem0 bs=4096 seek=1 conv=sync 2>/dev/null
sync'
expect_eq "second boot status" "$grc" 0
expect_eq "region size" "$(json_get "$gout" 'j["regions"][0]["size"]')" 268435456
expect_eq "raw namespace" "$(json_get "$gout" 'j["regions"][0]["namespaces"][0]["mode"]')" raw
expect_eq "marker in the backing file" "$(dd if="$T/vm/pmem0.img" bs=4096 skip=1 count=1 2>/dev/null | head -c 15)" vpmem-marker-42

# Exit status of the guest command is vpmem's exit status; vpmem runs inside the guest.
guest_run --qemu-pmem 256M 'vpmem --version && vpmem run --qemu-pmem 0 2>&1; exit 7'
expect_eq "guest exit status" "$grc" 7
expect_match "vpmem in the guest" "$gout" '^vpmem [0-9]'
expect_match "vpmem error in the guest" "$gout" 'vpmem: error: run: --qemu-pmem: size must be greater than zero'

# Disks and NICs given as raw QEMU arguments are seen: the default guest loads
# virtio_blk and virtio_net (guest/modules).
printf 'vpmem-virtio-disk' >"$T/disk.raw"
truncate -s 16M "$T/disk.raw"
"$VPMEM" run -q --timeout "$GUEST_TIMEOUT" --state-dir "$T/vio" --qemu-pmem 256M \
	--guest-cmd 'head -c 17 /dev/vda; echo; cat /sys/block/vda/size; ls -1 /sys/class/net' \
	-- -drive "file=$T/disk.raw,format=raw,if=virtio" -nic user,model=virtio-net-pci >"$T/vio.out" 2>&1
expect_eq "virtio disk and NIC: status" "$?" 0
expect_eq "virtio disk and NIC are seen" "$(cat "$T/vio.out")" "vpmem-virtio-disk
32768
eth0
lo"

# A hung guest is killed at the timeout and reported as a failure.
GUEST_EXPECT_FAIL=1 GUEST_TIMEOUT=12 guest_run --qemu-pmem 256M 'sleep 600'
expect_eq "timeout status" "$grc" 1
expect_match "timeout message" "$gerr" 'did not finish within 12 s'

# The same VM cannot be started twice at once.
# (the first holds the lock from before it writes run/cmd until QEMU exits; wait
# for that rather than for a fixed time, which a loaded machine outlasts)
"$VPMEM" run -q --state-dir "$T/vm2" --qemu-pmem 256M --timeout 120 --guest-cmd 'sleep 15' >/dev/null 2>&1 &
i=0
while [ ! -e "$T/vm2/run/cmd" ] && [ "$i" -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
GUEST_STATE=$T/vm2 GUEST_EXPECT_FAIL=1 guest_run --qemu-pmem 256M 'true'
expect_eq "second instance refused" "$grc" 1
expect_match "second instance message" "$gerr" 'is already running'
wait

done_testing
