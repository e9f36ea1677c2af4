#!/bin/sh
# vpmem doctor inside the guest, on the guest kernel's real DAX stack: a file on
# ext4/xfs mounted -o dax is guaranteed (MAP_SYNC probe succeeds), the same file
# system mounted without dax is not, and a devdax device is guaranteed.
. "$(dirname "$0")/lib-guest.sh"

guest_run --qemu-nodes 2 --qemu-pmem 1G '
set -e
v() { vpmem doctor --json "$1" >/tmp/d.json || true; sed -n "s/.*\"verdict\":\"\([^\"]*\)\".*/\1/p" /tmp/d.json | head -n1; }
ndctl create-namespace -f -e namespace0.0 --mode fsdax >/dev/null
ndctl create-namespace -f -e namespace1.0 --mode devdax >/dev/null
mkdir -p /mnt/p
mkfs.ext4 -q -F -b 4096 /dev/pmem0   # DAX needs block size == page size
mount -o dax /dev/pmem0 /mnt/p
dd if=/dev/zero of=/mnt/p/file bs=1M count=32 2>/dev/null
echo "ext4-dax: $(v /mnt/p/file)"
grep -o "\"map_sync\":[a-z]*" /tmp/d.json | sed "s/^/ext4-dax-/"
umount /mnt/p
mount /dev/pmem0 /mnt/p
echo "ext4-nodax: $(v /mnt/p/file)"
umount /mnt/p
mkfs.xfs -q -f -m reflink=0 /dev/pmem0
mount -o dax /dev/pmem0 /mnt/p
dd if=/dev/zero of=/mnt/p/file bs=1M count=32 2>/dev/null
echo "xfs-dax: $(v /mnt/p/file)"
umount /mnt/p
mount /dev/pmem0 /mnt/p
echo "xfs-nodax: $(v /mnt/p/file)"
umount /mnt/p
echo "devdax: $(v /dev/dax1.0)"
echo "pmem-blockdev: $(v /dev/pmem0)"
vpmem doctor /dev/dax1.0 /dev/pmem0 || echo "doctor-status: $?"
vpmem doctor --json | grep -c "\"dev\":\"region" | sed "s/^/host-regions: /"
'
expect_eq "guest status" "$grc" 0
expect_match "ext4 -o dax" "$gout" '^ext4-dax: guaranteed$'
expect_match "ext4 -o dax MAP_SYNC" "$gout" '^ext4-dax-"map_sync":true$'
expect_match "ext4 without dax" "$gout" '^ext4-nodax: not guaranteed$'
expect_match "xfs -o dax" "$gout" '^xfs-dax: guaranteed$'
expect_match "xfs without dax" "$gout" '^xfs-nodax: not guaranteed$'
expect_match "devdax" "$gout" '^devdax: guaranteed$'
expect_match "fsdax block device" "$gout" '^pmem-blockdev: not guaranteed$'
expect_match "text verdict devdax" "$gout" '^/dev/dax1.0: guaranteed \(devdax'
expect_match "exit status 1 when one is not guaranteed" "$gout" '^doctor-status: 1$'
expect_match "host view sees both regions" "$gout" '^host-regions: 2$'

done_testing
