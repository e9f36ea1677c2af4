#!/bin/sh
# vpmem emulate: planning on real captured memory maps, GRUB edits on copies of
# real /etc/default/grub files, status on a captured system tree.
. "$(dirname "$0")/../lib.sh"
data=$(cd "$(dirname "$0")/../data" && pwd)
param() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["param"])' "$1"; }

# --- plan: every map format gives the same answer for the same machine
for f in dmesg memmap iomem; do
	run_vpmem emulate plan --size 1G --json --e820 "$data/e820/guest-$f.txt"
	expect_eq "guest $f: status" "$rc" 0
	expect_eq "guest $f: param" "$(param "$out")" "memmap=1G!4G"
	run_vpmem emulate plan --size 4G --json --e820 "$data/e820/host-$f.txt"
	expect_eq "host $f: 4G above 4G" "$(param "$out")" "memmap=4G!4G"
done
run_vpmem emulate plan --size 16G --count 2 --e820 "$data/e820/server-2s-384g-dmesg.txt"
expect_match "server: two reservations, 1G aligned, above 4G" "$out" '^kernel parameter: memmap=16G!4G memmap=16G!20G$'
expect_match "server: says how much RAM remains" "$out" '^RAM left for the system: 351.69 GiB of 383.69 GiB'
run_vpmem emulate plan --size 384M --e820 "$data/e820/server-2s-384g-dmesg.txt"
expect_match "128M multiple: 1G-aligned start still preferred" "$out" 'memmap=384M!4G$'
# a machine already booted with memmap=16G!4G: the firmware (BIOS-e820) map is planned on
run_vpmem emulate plan --size 16G --e820 "$data/e820/server-pmem-applied-dmesg.txt"
expect_match "replan uses the firmware map" "$out" 'memmap=16G!4G$'
# nothing above 4G: below 4G, above the first GiB, not across the hole
run_vpmem emulate plan --size 1G --min-ram 1G --json --e820 "$data/e820/guest-dmesg.txt"
expect_eq "1G of a 4G guest" "$rc" 0
printf '[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x00000000bffdefff] usable\n' >"$T/low.txt"
run_vpmem emulate plan --size 512M --e820 "$T/low.txt"
expect_match "below 4G when nothing fits above" "$out" 'memmap=512M!1G$'
expect_match "below 4G explained" "$out" 'below 4G \(nothing fits above\)'

# refusals, each one line
run_vpmem emulate plan --size 100M --e820 "$data/e820/guest-dmesg.txt"
expect_match "not a section multiple" "$err" "^vpmem: error: emulate: no plan: --size 100M is not a multiple of 128M"
run_vpmem emulate plan --size 1G --e820 "$data/e820/small-vm-dmesg.txt"
expect_match "too little RAM" "$err" "would leave nothing of the 1023.50 MiB of RAM"
run_vpmem emulate plan --size 256M --min-ram 256M --e820 "$data/e820/small-vm-dmesg.txt"
expect_match "no room in a 1G VM" "$err" 'no usable range holds 256M'
run_vpmem emulate plan --size 20G --e820 "$data/e820/host-dmesg.txt"
expect_match "too much of the host" "$err" 'keep at least 6.00 GiB'
printf 'hello\nworld\n' >"$T/garbage.txt"
run_vpmem emulate plan --size 1G --e820 "$T/garbage.txt"
expect_match "garbage" "$err" 'no memory map found'
printf '[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x00000000ffffffff] usable\n[    0.000000] BIOS-e820: [mem 0x0000000080000000-0x00000001ffffffff] usable\n' >"$T/overlap.txt"
run_vpmem emulate plan --size 1G --e820 "$T/overlap.txt"
expect_match "overlapping ranges" "$err" 'overlap'
printf '[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x00000000ffffffff] frobnicated\n' >"$T/type.txt"
run_vpmem emulate plan --size 1G --e820 "$T/type.txt"
expect_match "unknown type" "$err" "line 1: unknown range type 'frobnicated'"
printf '00000000-00000000 : System RAM\n00000000-00000000 : Reserved\n' >"$T/iomem-user.txt"
run_vpmem emulate plan --size 1G --e820 "$T/iomem-user.txt"
expect_match "iomem read without root" "$err" 'read it as root'
run_vpmem emulate plan --size 1G --e820 "$T/missing.txt"
expect_match "missing file" "$err" "cannot read '$T/missing.txt'"

# --- GRUB: apply twice = once; remove restores the original byte for byte
for g in debian12 ubuntu2204 fedora38 noline unquoted-noeol; do
	cp "$data/grub/$g.grub" "$T/$g"
	run_vpmem emulate apply --size 1G --e820 "$data/e820/guest-dmesg.txt" --grub-file "$T/$g"
	expect_eq "$g: apply" "$rc" 0
	first=$(sha256sum <"$T/$g")
	# grub-mkconfig sources the file with sh: the value must come out intact
	expect_match "$g: sh sees memmap=1G!4G" "$(sh -c ". '$T/$g'; echo \"\$GRUB_CMDLINE_LINUX\"")" '(^| )memmap=1G!4G$'
	expect_eq "$g: only the cmdline line changed" \
		"$(diff "$data/grub/$g.grub" "$T/$g" | grep -c '^[<>]' | tr -d ' ')" "$(grep -q '^GRUB_CMDLINE_LINUX=' "$data/grub/$g.grub" && echo 2 || echo 1)"
	check "$g: backup kept" cmp -s "$T/$g.vpmem.bak" "$data/grub/$g.grub"
	run_vpmem emulate apply --size 1G --e820 "$data/e820/guest-dmesg.txt" --grub-file "$T/$g"
	expect_match "$g: second apply changes nothing" "$out" 'nothing changed'
	expect_eq "$g: apply twice = once" "$(sha256sum <"$T/$g")" "$first"
	# a new size replaces the earlier vpmem reservation instead of stacking
	run_vpmem emulate apply --size 512M --e820 "$data/e820/guest-dmesg.txt" --grub-file "$T/$g"
	expect_eq "$g: one memmap after re-apply" "$(grep -o 'memmap=[^ "]*' "$T/$g" | tr '\n' ' ')" "memmap=512M!4G "
	run_vpmem emulate remove --grub-file "$T/$g"
	expect_eq "$g: remove" "$rc" 0
	check "$g: remove restores the original byte for byte" cmp -s "$T/$g" "$data/grub/$g.grub"
	check "$g: record and backup gone" test ! -e "$T/$g.vpmem" -a ! -e "$T/$g.vpmem.bak"
done
# user edits after apply: remove takes out only vpmem's token
cp "$data/grub/ubuntu2204.grub" "$T/u"
run_vpmem emulate apply --size 1G --e820 "$data/e820/guest-dmesg.txt" --grub-file "$T/u"
sed -i 's/console=tty1/console=tty2/' "$T/u"
run_vpmem emulate remove --grub-file "$T/u"
expect_match "edited since: note" "$out" 'changed since vpmem applied it'
expect_eq "edited since: user edit kept, memmap gone" "$(grep '^GRUB_CMDLINE_LINUX=' "$T/u")" 'GRUB_CMDLINE_LINUX="console=tty2 console=ttyS0,115200"'
run_vpmem emulate remove --grub-file "$T/u"
expect_match "remove without a record" "$err" 'no vpmem reservation recorded'
# malformed files are refused untouched (issue 17 D14: these refusal paths leaked;
# the build-san run of this suite has LeakSanitizer on, detect_leaks=1 in scripts/run-tests.py)
for g in bad-twice bad-unterminated bad-continuation bad-subst; do
	cp "$data/grub/$g.grub" "$T/$g"
	run_vpmem emulate apply --size 1G --e820 "$data/e820/guest-dmesg.txt" --grub-file "$T/$g"
	expect_eq "$g: refused" "$rc" 1
	expect_match "$g: says why" "$err" 'refused \(left untouched\)'
	check "$g: untouched" cmp -s "$T/$g" "$data/grub/$g.grub"
	check "$g: no record, no backup" test ! -e "$T/$g.vpmem" -a ! -e "$T/$g.vpmem.bak"
done
cp "$data/grub/debian12.grub" "$T/dry"
run_vpmem emulate apply --size 1G --e820 "$data/e820/guest-dmesg.txt" --grub-file "$T/dry" --dry-run
expect_match "--dry-run shows the line" "$out" 'would set .*GRUB_CMDLINE_LINUX="memmap=1G!4G"'
check "--dry-run changes nothing" cmp -s "$T/dry" "$data/grub/debian12.grub"
# --json, with --dry-run too: what the text says, as one object
jg() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
run_vpmem emulate apply --size 1G --e820 "$data/e820/guest-dmesg.txt" --grub-file "$T/dry" --dry-run --json
expect_eq "apply --dry-run --json: exit" "$rc" 0
expect_eq "apply --dry-run --json: param, edit, backup, record" \
	"$(jg "$out" '(j["dry_run"], j["param"], j["changed"], j["line"], j["plan"]["param"], j["backup"], j["record"], j["updated"], "update_command" in j)')" \
	"(True, 'memmap=1G!4G', True, 'GRUB_CMDLINE_LINUX=\"memmap=1G!4G\"', 'memmap=1G!4G', '$T/dry.vpmem.bak', '$T/dry.vpmem', False, True)"
check "apply --dry-run --json changes nothing" cmp -s "$T/dry" "$data/grub/debian12.grub"
check "apply --dry-run --json: no record, no backup" test ! -e "$T/dry.vpmem" -a ! -e "$T/dry.vpmem.bak"
run_vpmem emulate apply --size 1G --e820 "$data/e820/guest-dmesg.txt" --grub-file "$T/dry" --json
expect_eq "apply --json: written" "$(jg "$out" '(j["dry_run"], j["changed"])')" "(False, True)"
check "apply --json: backup made" cmp -s "$T/dry.vpmem.bak" "$data/grub/debian12.grub"
cp "$T/dry" "$T/dry.applied"
run_vpmem emulate remove --grub-file "$T/dry" --dry-run --json
expect_eq "remove --dry-run --json" "$(jg "$out" '(j["dry_run"], j["param"], j["changed"])')" "(True, 'memmap=1G!4G', True)"
check "remove --dry-run --json changes nothing" cmp -s "$T/dry" "$T/dry.applied"
run_vpmem emulate remove --grub-file "$T/dry" --json
expect_eq "remove --json" "$(jg "$out" '(j["dry_run"], j["param"])')" "(False, 'memmap=1G!4G')"
check "remove --json: the original back" cmp -s "$T/dry" "$data/grub/debian12.grub"

# --- status on a captured system tree (as after the reboot)
R=$T/root
mkdir -p "$R/proc" "$R/sys/bus/nd/devices/region0" "$R/sys/bus/nd/devices/namespace0.0/block/pmem0"
echo "BOOT_IMAGE=/vmlinuz root=/dev/vda1 memmap=1G!4G quiet" >"$R/proc/cmdline"
printf '00000000-00000fff : Reserved\n00100000-bffdefff : System RAM\n100000000-13fffffff : Persistent Memory (legacy)\n  100000000-13fffffff : namespace0.0\n' >"$R/proc/iomem"
echo 0x100000000 >"$R/sys/bus/nd/devices/region0/resource"
echo 1073741824 >"$R/sys/bus/nd/devices/region0/size"
run_vpmem emulate status --sysroot "$R"
expect_eq "status matches" "$rc" 0
expect_match "status: reserved" "$out" '^planned memmap=1G!4G: reserved as persistent memory \(type 12\)$'
expect_match "status: device" "$out" '^region0: 1.00 GiB at 0x100000000 -> /dev/pmem0$'
expect_match "status: next steps" "$out" 'mount -o dax'
echo "root=/dev/vda1 memmap=2G!4G" >"$R/proc/cmdline"
run_vpmem emulate status --sysroot "$R" --json
expect_eq "status mismatch exit" "$rc" 1
expect_match "status mismatch json" "$out" '"match":false'

# the text says what --json says about a parameter applied to GRUB but not booted yet
cp "$data/grub/debian12.grub" "$T/pend"
run_vpmem emulate apply --size 1G --e820 "$data/e820/guest-dmesg.txt" --grub-file "$T/pend"
expect_eq "apply for status" "$rc" 0
run_vpmem emulate status --sysroot "$R" --grub-file "$T/pend" --json
expect_match "status json: GRUB parameter" "$out" '"grub_param":"memmap=1G!4G"'
expect_match "status json: pending" "$out" '"grub_pending":true'
run_vpmem emulate status --sysroot "$R" --grub-file "$T/pend"
expect_match "status text: pending GRUB parameter" "$out" "^GRUB \\($T/pend\\): memmap=1G!4G, pending: not on the running kernel's command line \\(regenerate grub.cfg and reboot\\)$"
echo "root=/dev/vda1 memmap=1G!4G" >"$R/proc/cmdline"
run_vpmem emulate status --sysroot "$R" --grub-file "$T/pend"
expect_match "status text: GRUB parameter booted" "$out" "^GRUB \\($T/pend\\): memmap=1G!4G, on the running kernel's command line$"
run_vpmem emulate status --sysroot "$R" --grub-file "$T/pend" --json
expect_match "status json: not pending once booted" "$out" '"grub_pending":false'

done_testing
