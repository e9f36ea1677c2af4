#!/bin/sh
# Backings: a path with a comma and a space, images pinned to slots, virtio-pmem.
. "$(dirname "$0")/lib-guest.sh"

# Commas and spaces in paths reach QEMU intact; what the guest writes is in the file.
mkdir -p "$T/a, b"
truncate -s 256M "$T/a, b/disk,1.img"
guest_run --pmem-image "$T/a, b/disk,1.img" '
printf "comma-space-ok" | dd of=/dev/pmem0 bs=512 seek=8 conv=sync 2>/dev/null && sync'
expect_eq "comma path boots" "$grc" 0
expect_eq "guest data in the comma path file" "$(dd if="$T/a, b/disk,1.img" bs=512 skip=8 count=1 2>/dev/null | head -c 14)" comma-space-ok

# An image pinned to slot 2 shows up with the serial of slot 2, whatever its order.
truncate -s 256M "$T/s2.img" "$T/s0.img"
GUEST_STATE=$T/vm-slots guest_run --pmem-image "$T/s2.img,slot=2" --pmem-image "$T/s0.img" 'ndctl list -D'
expect_eq "pinned slots boot" "$grc" 0
expect_eq "slot 2 and slot 0 ids" "$(json_get "$gout" '",".join(sorted(d["id"] for d in j))')" "8680-56341200,8680-58341200"

# virtio-pmem: the guest gets a pmem device through virtio, no NFIT DIMM.
GUEST_STATE=$T/vm-virtio guest_run --virtio-pmem --qemu-pmem 256M '
ndctl list -R; ls /sys/bus/nd/devices/; cat /sys/block/pmem0/size
printf "virtio-ok" | dd of=/dev/pmem0 bs=512 conv=sync 2>/dev/null && sync'
expect_eq "virtio-pmem boots" "$grc" 0
expect_match "virtio-pmem block device size (sectors)" "$gout" '^524288$'
expect_nomatch "virtio-pmem has no NFIT DIMM" "$gout" 'nmem'
expect_eq "virtio-pmem data in the backing" "$(head -c 9 "$T/vm-virtio/pmem0.img")" virtio-ok

done_testing
