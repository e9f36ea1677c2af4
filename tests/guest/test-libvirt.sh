#!/bin/sh
# libvirt for real, and VM lifecycle, against a real libvirtd and guest:
#  - 1, 2, 4 nodes x {label-less, 128K labels}: `vpmem run --libvirt` boots
#    through libvirtd and every region the guest lists has the size that
#    `vpmem run --libvirt --print --json` predicted; `vpmem map
#    --libvirt-domain` maps every DIMM; on a new 128K-label backing the guest
#    creates a namespace without `ndctl init-labels`;
#  - virtio-pmem through libvirt 9.0: refused with a clear line, no domain left;
#  - SIGINT mid-boot (QEMU launcher, then libvirt): no QEMU and no domain
#    left, the next run is fine (and boots the saved machine again);
#  - a second run on a mapped backing is refused naming the pid, the first
#    guest's data intact; vm list/stop/rm on both launchers, and vm stop of
#    the default guest ends by ACPI, not by the kill.
. "$(dirname "$0")/../lib-libvirt.sh"
libvirt_guest_test

# A private copy of the default guest: the shared cache may be rebuilt by
# other checkouts meanwhile, and vm stop needs this one's ACPI handler.
has_acpid() { { xz -dc "$1" 2>/dev/null || gzip -dc "$1" 2>/dev/null || cat "$1"; } |
	cpio -i --quiet --to-stdout init 2>/dev/null | grep -q 'acpid -c'; }
gdir=$("$VPMEM" guest path | sed -n 's/^dir  *//p')
mkdir -p "$T/g"
for _try in 1 2 3; do
	cp "$gdir/vmlinuz" "$gdir/initrd.img" "$T/g/" && has_acpid "$T/g/initrd.img" && break
	"$VPMEM" guest build --quiet
done
check "private guest has the ACPI handler" has_acpid "$T/g/initrd.img"
K="--kernel $T/g/vmlinuz --initrd $T/g/initrd.img"

# lv_run NAME ARGS... SCRIPT: vpmem run NAME's machine with SCRIPT as the guest command
lv_run() {
	_name=$1
	shift
	# shellcheck disable=SC2086
	guest_exec --name "$_name" $K "$@"
}
sizes() { python3 -c 'import json,sys
j=json.load(sys.stdin)
if isinstance(j, dict): j=j.get("regions", j.get("dimms", []))
print(" ".join(sorted(str(d.get("region_size", d.get("size"))) for d in j)))'; }
domain_exists() { virsh -c qemu:///system dominfo "$1" >/dev/null 2>&1; }

for nodes in 1 2 4; do
	for lab in 0 128K; do
		name=$LV_PREFIX-n$nodes-l$lab
		set -- --libvirt --qemu-nodes "$nodes" --qemu-pmem $((nodes * 64))M --label-size "$lab"
		run_vpmem run --name "$name" "$@" --print --json
		expect_eq "$name: --print --json" "$rc" 0
		want=$(printf '%s' "$out" | sizes)
		script='ndctl list -R; echo ---; ndctl list -D'
		[ "$lab" = 0 ] || script="$script; echo ---; ndctl create-namespace -r region0 -m fsdax -s 16M >/dev/null && echo created"
		lv_run "$name" "$@" "$script"
		expect_eq "$name: boots through libvirtd" "$grc" 0
		got=$(printf '%s\n' "$gout" | sed '/^---/,$d' | sizes)
		expect_eq "$name: guest regions = predicted region_size" "$got" "$want"
		expect_eq "$name: one region per node" "$(echo "$got" | wc -w)" "$nodes"
		printf '%s\n' "$gout" | sed -n '/^---/,$p' | sed '1d;/^---/,$d' >"$T/dimms.json"
		run_vpmem map --libvirt-domain "$name" --guest-json "$T/dimms.json" --json
		expect_eq "$name: map --libvirt-domain" "$rc" 0
		expect_eq "$name: every DIMM mapped" "$(printf '%s' "$out" | python3 -c 'import json,sys; print(sum(1 for d in json.load(sys.stdin)["devices"] if d.get("guest") and d.get("host")))')" "$nodes"
		if [ "$lab" != 0 ]; then
			expect_match "$name: namespace without init-labels" "$gout" "^created$"
		fi
		check "$name: domain is persistent (defined after the run)" domain_exists "$name"
		# no false alarms: the domain is shut off; every backing it leaves (and
		# with labels, the guest's fsdax namespace of 16M on region0) is ok
		nimg=0 nfsdax=0
		for i in "$VPMEM_LIBVIRT_DIR/$name"/pmem*.img; do
			expect_check_ok "$i" -v
			nimg=$((nimg + 1))
			nfsdax=$((nfsdax + $(printf '%s\n' "$out" | grep -c '^  namespace0\.[0-9]*: ok (fsdax, dpa 0, 16\.00 MiB)$')))
		done
		expect_eq "$name: vpmem check ran on every backing" "$nimg" "$nodes"
		[ "$lab" = 0 ] || expect_eq "$name: vpmem check judges the guest's fsdax namespace ok" "$nfsdax" 1
		run_vpmem vm rm --backings "$name"
		expect_eq "$name: vm rm" "$rc" 0
		check "$name: vm rm undefines the domain" sh -c "! virsh -c qemu:///system dominfo '$name' >/dev/null 2>&1"
		check "$name: vm rm --backings removes them" test ! -e "$VPMEM_LIBVIRT_DIR/$name/pmem0.img"
	done
done

name=$LV_PREFIX-virtio
run_vpmem run -q --libvirt --name "$name" --virtio-pmem --qemu-pmem 64M --guest-cmd true
expect_eq "virtio-pmem via libvirt 9.0: refused" "$rc" 1
expect_match "virtio-pmem: says why in one line" "$err" "cannot start virtio-pmem domains: use the QEMU launcher"
check "virtio-pmem: no domain left" sh -c "! virsh -c qemu:///system dominfo '$name' >/dev/null 2>&1"
run_vpmem vm rm --backings "$name"
expect_eq "virtio-pmem: vm rm of the VM that never started" "$rc" 0

# -- QEMU launcher: SIGINT mid-boot, then the saved machine again --
qa=$LV_PREFIX-qa
"$VPMEM" run -q --name "$qa" $K --qemu-pmem 64M --guest-cmd 'sleep 600' >"$T/qa.out" 2>&1 &
pid=$!
sleep 4
kill -INT "$pid"
wait "$pid"
expect_eq "qemu: SIGINT mid-boot: status 130" "$?" 130
check "qemu: SIGINT: no QEMU left" sh -c "! pgrep -f '[v]m/$qa/' >/dev/null"
run_vpmem vm list --json
expect_eq "qemu: SIGINT: lock released (vm list says stopped)" "$(printf '%s' "$out" | python3 -c "import json,sys; print([v['state'] for v in json.load(sys.stdin) if v['name']=='$qa'])")" "['stopped']"
qimg=$T/state/vpmem/vm/$qa/pmem0.img
"$VPMEM" run -q --name "$qa" $K --guest-cmd 'printf marker-qa | dd of=/dev/pmem0 conv=notrunc 2>/dev/null; sync; sleep 600' >"$T/qa.out" 2>&1 &
pid=$!
for _i in $(seq 300); do [ "$(head -c 9 "$qimg" 2>/dev/null)" = marker-qa ] && break; sleep 1; done
expect_eq "qemu: next run boots the saved machine" "$(head -c 9 "$qimg")" marker-qa
run_vpmem vm list --json
expect_eq "qemu: vm list" "$(printf '%s' "$out" | python3 -c "import json,sys; v=[v for v in json.load(sys.stdin) if v['name']=='$qa'][0]; print(v['state'], v['launcher'], v['pmem'], v['pid'] > 0)")" "running qemu 67108864 True"
run_vpmem run -q --name "$LV_PREFIX-qb" --pmem-image "$qimg" --guest-cmd true
expect_eq "qemu: second run on a mapped image refused" "$rc" 1
expect_match "qemu: names the pid" "$err" "is mapped by process [0-9]+"
run_vpmem run -q --name "$qa" --qemu-pmem 128M --guest-cmd true
expect_match "qemu: other options for a saved VM refused with a hint" "$err" "exists with other machine options: --qemu-pmem 128M \(saved: 64M\).*vm rm --backings"
run_vpmem vm rm "$qa"
expect_match "qemu: vm rm refuses a running VM" "$err" "is running"
run_vpmem vm stop "$qa"
expect_eq "qemu: vm stop" "$rc" 0
expect_eq "qemu: vm stop ends by ACPI" "$out" "VM '$qa' powered off (ACPI)"
wait "$pid"
expect_eq "qemu: first guest's data intact" "$(head -c 9 "$qimg")" marker-qa
expect_check_ok "$qimg"
run_vpmem vm rm --backings "$qa"
check "qemu: vm rm --backings" test ! -e "$qimg"

# -- libvirt: SIGINT mid-boot, then a run that stays up --
lb=$LV_PREFIX-lb
"$VPMEM" run -q --libvirt --name "$lb" $K --qemu-pmem 64M --guest-cmd 'sleep 600' >"$T/lb.out" 2>&1 &
pid=$!
for _i in $(seq 100); do [ "$(virsh -c qemu:///system domstate "$lb" 2>/dev/null)" = running ] && break; sleep 0.2; done
sleep 2
kill -INT "$pid"
wait "$pid"
expect_eq "libvirt: SIGINT mid-boot: status 130" "$?" 130
check "libvirt: SIGINT: no domain left" sh -c "! virsh -c qemu:///system dominfo '$lb' >/dev/null 2>&1"
check "libvirt: SIGINT: no QEMU left" sh -c "! pgrep -f '[g]uest=$lb,' >/dev/null"
limg=$VPMEM_LIBVIRT_DIR/$lb/pmem0.img
"$VPMEM" run -q --libvirt --name "$lb" $K --guest-cmd 'printf marker-lb | dd of=/dev/pmem0 conv=notrunc 2>/dev/null; sync; sleep 600' >"$T/lb.out" 2>&1 &
pid=$!
for _i in $(seq 300); do [ "$(head -c 9 "$limg" 2>/dev/null)" = marker-lb ] && break; sleep 1; done
expect_eq "libvirt: next run fine" "$(head -c 9 "$limg")" marker-lb
run_vpmem vm list --json
expect_eq "libvirt: vm list" "$(printf '%s' "$out" | python3 -c "import json,sys; v=[v for v in json.load(sys.stdin) if v['name']=='$lb'][0]; print(v['state'], v['launcher'], v['pmem'], v['pid'] > 0)")" "running libvirt 67108864 True"
run_vpmem run -q --name "$LV_PREFIX-qc" --pmem-image "$limg" --guest-cmd true
expect_eq "libvirt: second run on its image refused" "$rc" 1
expect_match "libvirt: names the pid" "$err" "is mapped by process [0-9]+"
run_vpmem vm stop "$lb"
expect_eq "libvirt: vm stop ends by ACPI" "$out" "VM '$lb' powered off (ACPI)"
wait "$pid"
expect_eq "libvirt: first guest's data intact" "$(head -c 9 "$limg")" marker-lb
expect_check_ok "$limg"
run_vpmem vm rm --backings "$lb"
expect_eq "libvirt: vm rm" "$rc" 0
check "libvirt: vm rm undefines" sh -c "! virsh -c qemu:///system dominfo '$lb' >/dev/null 2>&1"
check "libvirt: vm rm --backings" test ! -e "$limg"
run_vpmem vm list --json
expect_eq "vm list empty at the end" "$(printf '%s' "$out" | python3 -c "import json,sys; print(len([v for v in json.load(sys.stdin) if v['name'].startswith('$LV_PREFIX')]))")" 0

done_testing
