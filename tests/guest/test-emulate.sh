#!/bin/sh
# DRAM-emulated PMem end to end: boot once to capture the guest's e820 map,
# plan with vpmem emulate plan on it, boot again with the planned memmap= and
# check that the guest shows /dev/pmem0 of exactly the planned size, that
# vpmem emulate status in the guest says it matches the plan, and that an
# fsdax namespace on it with ext4 is made and mounted with -o dax by
# vpmem apply --live (a second apply has nothing to do).
. "$(dirname "$0")/lib-guest.sh"

guest_run --no-pmem --qemu-memory 4G 'dmesg | grep BIOS-e820'
expect_eq "first boot" "$grc" 0
printf '%s\n' "$gout" >"$T/e820.txt"
expect_match "e820 captured" "$gout" 'BIOS-e820: \[mem 0x0000000100000000-0x000000013fffffff\] usable'

run_vpmem emulate plan --size 512M --json --e820 "$T/e820.txt"
expect_eq "plan status" "$rc" 0
param=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["param"])' "$out")
expect_eq "planned parameter" "$param" 'memmap=512M!4G'

guest_run --no-pmem --qemu-memory 4G --append "$param" '
cat /proc/cmdline
dmesg | grep "user: .*persistent (type 12)"
echo "pmem0-bytes: $(( $(cat /sys/block/pmem0/size) * 512 ))"
vpmem emulate status; echo "status-rc: $?"
echo "{\"namespaces\": [{\"mode\": \"fsdax\", \"filesystem\": \"ext4\", \"mount\": \"/mnt/p\"}]}" >/tmp/p.json
vpmem apply /tmp/p.json --live; echo "apply-rc: $?"
vpmem apply /tmp/p.json --live | tail -n1
grep " /mnt/p " /proc/mounts
dd if=/dev/zero of=/mnt/p/f bs=1M count=32 2>/dev/null
vpmem doctor /mnt/p/f | head -n1'
expect_eq "second boot" "$grc" 0
expect_match "memmap on the command line" "$gout" 'memmap=512M!4G'
expect_match "kernel reserved it as type 12" "$gout" 'user: \[mem 0x0000000100000000-0x000000011fffffff\] persistent \(type 12\)'
expect_match "/dev/pmem0 of exactly the planned size" "$gout" '^pmem0-bytes: 536870912$'
expect_match "status matches the plan" "$gout" '^planned memmap=512M!4G: reserved as persistent memory \(type 12\)$'
expect_match "status exit 0" "$gout" '^status-rc: 0$'
# the emulation path of issue 13: emulate, reboot, vpmem apply --live (fsdax,
# ext4 made by the real mkfs, mounted -o dax), a second apply does nothing
expect_match "apply --live on the memmap= region: DRAM said" "$gout" 'memmap=, DRAM: lost at power-off'
expect_match "apply --live status" "$gout" '^apply-rc: 0$'
expect_match "second apply: nothing to do" "$gout" '^nothing to do$'
expect_match "mounted with dax" "$gout" '/dev/pmem0 /mnt/p ext4 .*dax'
# DRAM behind memmap=: DAX works, but nothing survives a power cycle
expect_match "not guaranteed on the emulated PMem (DRAM)" "$gout" '^/mnt/p/f: not guaranteed .*memmap= \(e820\) region: DRAM'

done_testing
