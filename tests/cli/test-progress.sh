#!/bin/sh
# Progress and honesty on long work: a line before the KVM probe boot, its
# reason when KVM is not usable (cached with the answer), the guest build's
# download through apt with apt's error in one line, -q for run, guest build
# and emulate, tools found in /sbin when PATH lacks it, and a progress line
# for long copies on a terminal only.
. "$(dirname "$0")/../lib.sh"
data=$(cd "$(dirname "$0")/../data" && pwd)

# -q / --quiet is accepted alike by run, guest build and emulate
run_vpmem run -q --qemu-pmem 256M --state-dir "$T/q" --print
expect_eq "run -q" "$rc" 0
expect_eq "run -q: nothing on stderr" "$err" ""
run_vpmem emulate plan -q --size 1G --e820 "$data/e820/guest-dmesg.txt"
expect_eq "emulate plan -q" "$rc" 0
expect_eq "emulate plan -q: the result only" "$out" "kernel parameter: memmap=1G!4G"
run_vpmem emulate plan --quiet --size 1G --e820 "$data/e820/guest-dmesg.txt"
expect_eq "emulate plan --quiet" "$out" "kernel parameter: memmap=1G!4G"
run_vpmem emulate plan --size 1G --e820 "$data/e820/guest-dmesg.txt"
expect_match "emulate plan without -q reasons" "$(printf '%s\n' "$out" | wc -l)" '^ *([2-9]|[1-9][0-9]+)$'
cp "$data/grub/debian12.grub" "$T/grub"
run_vpmem emulate apply -q --size 1G --e820 "$data/e820/guest-dmesg.txt" --grub-file "$T/grub"
expect_eq "emulate apply -q" "$out" "'$T/grub': GRUB_CMDLINE_LINUX now has memmap=1G!4G (backup: $T/grub.vpmem.bak)"

# guest build: a fake apt (on PATH before the real one) that knows the package
# but cannot fetch it: the build says it downloads, then apt's error in one line
mkdir -p "$T/bin"
cat >"$T/bin/apt-cache" <<'EOF'
#!/bin/sh
case "$1" in
show) echo "Package: $2" ;;
depends) echo "$2"; echo "  Depends: linux-image-9.9.9-test-amd64" ;;
esac
EOF
cat >"$T/bin/apt-get" <<'EOF'
#!/bin/sh
echo "Err:1 http://deb.debian.org/debian bookworm/main amd64 linux-image-9.9.9-test-amd64 amd64 9.9.9-1" >&2
echo "  Could not resolve 'deb.debian.org'" >&2
echo "E: Failed to fetch http://deb.debian.org/debian/pool/main/l/linux/linux-image-9.9.9-test-amd64_9.9.9-1_amd64.deb  Could not resolve 'deb.debian.org'" >&2
exit 100
EOF
chmod 755 "$T/bin/apt-cache" "$T/bin/apt-get"
PATH=$T/bin:$PATH XDG_CACHE_HOME=$T/cache VPMEM_APT_ARCHIVES=$T/none run_vpmem guest build --kernel-package linux-image-9.9.9-test
expect_eq "download failure status" "$rc" 1
expect_match "a line before the download" "$err" "^vpmem guest: downloading linux-image-9.9.9-test-amd64 with apt-get download \\(once: kept in $T/cache/vpmem/guest/debs\\)$"
expect_match "apt's error in one line" "$err" "^vpmem: error: guest build: cannot download 'linux-image-9.9.9-test-amd64': Err:1 http://deb.debian.org/debian bookworm/main amd64 linux-image-9.9.9-test-amd64 amd64 9.9.9-1 \\(run 'apt-get update' as root, check the name and the network\\)$"
PATH=$T/bin:$PATH XDG_CACHE_HOME=$T/cache VPMEM_APT_ARCHIVES=$T/none run_vpmem guest build -q --kernel-package linux-image-9.9.9-test
expect_nomatch "-q: no progress line" "$err" "downloading"
expect_match "-q: the error still" "$err" "^vpmem: error: guest build: cannot download"
check "no download debris" test -z "$(ls -A "$T/cache/vpmem/guest/debs")"

# tools where Debian installs them (depmod, mkfs.ext4: /usr/sbin), not on a
# user's PATH. Two lookups, each tested alone: vpmem adds the sbin
# directories to PATH for every tool it runs (src/vpmem.c path_with_sbin),
# and the guest builder adds them for its own (guest/mkguest.sh).
userpath=/usr/local/bin:/usr/bin:/bin
if PATH=$userpath command -v mkfs.ext4 >/dev/null || PATH=$userpath command -v depmod >/dev/null; then
	fail "mkfs.ext4 or depmod is on $userpath here: the /sbin lookup cannot be tested"
fi
# vpmem's own: a layout with ext4 runs mkfs.ext4 (in /usr/sbin only)
printf '{"namespaces": [{"name": "fs", "mode": "fsdax", "size": "64M", "filesystem": "ext4"}]}\n' >"$T/fs.json"
out=$(env PATH=$userpath "$VPMEM" image create "$T/fs.img" --size 128M --layout "$T/fs.json" 2>&1)
expect_eq "mkfs.ext4 found without /sbin on PATH: image made" "$?" 0
expect_nomatch "mkfs.ext4 found without /sbin on PATH" "$out" "error|No such file"
expect_match "mkfs.ext4 ran: ext4 in the namespace" "$("$VPMEM" layout --image "$T/fs.img" 2>&1)" '"filesystem": ?"ext4"'
# ... and the PATH it hands the guest builder (a stand-in for mkguest.sh)
mkdir -p "$T/data/guest"
printf '#!/bin/sh\necho "PATH=$PATH" >&2\nexit 1\n' >"$T/data/guest/mkguest.sh"
out=$(env PATH=$userpath VPMEM_DATADIR="$T/data" XDG_CACHE_HOME="$T/cache" "$VPMEM" guest build --kernel-package linux-image-9.9.9-test 2>&1)
expect_match "the guest builder gets the sbin directories" "$out" "^PATH=$userpath:/usr/local/sbin:/usr/sbin:/sbin$"
# the builder's own (run as vpmem runs it, without vpmem's PATH): past its
# tool check (depmod, in /usr/sbin only) to the package lookup
out=$(env PATH=$userpath /bin/sh "$(dirname "$0")/../../guest/mkguest.sh" --out "$T/mk" --vpmem "$VPMEM" \
	--debs "$T/mk/debs" --kernel-package linux-image-9.9.9-test 2>&1)
expect_nomatch "mkguest.sh finds depmod without /sbin on PATH" "$out" "'depmod' is missing"
expect_match "mkguest.sh: past the tool check" "$out" "unknown package 'linux-image-9.9.9-test'"

# long copies: a progress line on a terminal (script(1) gives a pty), none
# when stderr is a pipe. 300M, sparse: the copy skips holes (fast).
"$VPMEM" image create "$T/p.img" --size 512M >/dev/null && "$VPMEM" namespace create "$T/p.img" -m raw -s 400M -n big >/dev/null ||
	fail "progress: image"
truncate -s 300M "$T/in.bin"
printf 'data' | dd of="$T/in.bin" bs=1 seek=1000000 conv=notrunc 2>/dev/null
out=$(script -qec "'$VPMEM' namespace import '$T/p.img' --name big --from '$T/in.bin'" /dev/null | tr '\r' '\n')
expect_match "import on a tty: a progress line" "$out" '^importing: [0-9.]+ [KMG]iB of 300\.00 MiB \([0-9]+%\)'
expect_match "import on a tty: it ends at 100%" "$out" '^importing: 300\.00 MiB of 300\.00 MiB \(100%\)'
expect_match "import on a tty: done" "$out" "^imported $T/in.bin into namespace0.0"
out=$("$VPMEM" namespace import "$T/p.img" --name big --from "$T/in.bin" 2>&1 | cat)
expect_match "import, stderr a pipe: done" "$out" "^imported $T/in.bin into namespace0.0"
expect_nomatch "import, stderr a pipe: no progress line" "$out" 'importing:'
out=$(script -qec "'$VPMEM' namespace export '$T/p.img' --name big --to '$T/out.bin'" /dev/null | tr '\r' '\n')
expect_match "export on a tty: a progress line" "$out" '^exporting: 400\.00 MiB of 400\.00 MiB \(100%\)'
check "export: the data back" cmp -n 314572800 "$T/in.bin" "$T/out.bin"
out=$("$VPMEM" namespace export "$T/p.img" --name big --to "$T/out2.bin" 2>&1 | cat)
expect_nomatch "export, stderr a pipe: no progress line" "$out" 'exporting:'

# KVM: the probe needs /dev/kvm. In a private mount namespace a stand-in
# /dev/kvm opens, and a QEMU wrapper fails every KVM boot as a nested host does.
if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
	echo "KVM probe part skipped: needs root and unshare" >&2
	done_testing
	exit $?
fi
cat >"$T/qemu" <<'EOF'
#!/bin/sh
case " $* " in *" -accel kvm "*) echo "qemu-system-x86_64: KVM: entry failed, hardware error 0x80000021" >&2; exit 1 ;; esac
exec qemu-system-x86_64 "$@"
EOF
chmod 755 "$T/qemu"
G=$T/gc/vpmem/guest/6.1
mkdir -p "$G"
: >"$G/vmlinuz"
: >"$G/initrd.img"
with_kvm() {
	unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /dev &&
		mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
		mknod -m 666 /dev/urandom c 1 9 && mknod -m 666 /dev/kvm c 1 3 && exec "$@"' sh \
		env XDG_CACHE_HOME="$T/gc" "$VPMEM" "$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	err=$(cat "$T/.err")
}
reason="the probe boot under KVM failed (QEMU exit status 1: qemu-system-x86_64: KVM: entry failed, hardware error 0x80000021)"
with_kvm run --qemu "$T/qemu" --qemu-pmem 256M --state-dir "$T/k1" --print
expect_eq "probe: run status" "$rc" 0
expect_match "a line before the probe boot" "$err" '^vpmem: probing KVM with a test boot of the default guest \(up to 30 s, once: the answer is cached\)$'
expect_match "the probe's reason" "$err" "^vpmem: KVM is not usable, using TCG: $(printf '%s' "$reason" | sed 's/[().]/\\&/g')$"
expect_match "TCG chosen" "$err" '^vpmem: accelerator: tcg$'
check "the answer is cached with its reason" grep -q " fail $reason\$" "$T/gc/vpmem/kvm-probe"
with_kvm run --qemu "$T/qemu" --qemu-pmem 256M --state-dir "$T/k1" --print
expect_nomatch "cached: no second probe boot" "$err" 'probing KVM'
expect_match "cached: the reason again, and where it is cached" "$err" "^vpmem: KVM is not usable, using TCG: .*hardware error 0x80000021\\) \\(cached in '$T/gc/vpmem/kvm-probe'\\)$"
with_kvm run -q --qemu "$T/qemu" --qemu-pmem 256M --state-dir "$T/k1" --print
expect_eq "-q: silent" "$err" ""
with_kvm doctor --qemu "$T/qemu" --json
expect_match "doctor --json: the reason" "$out" "\"why\":\"$(printf '%s' "$reason" | sed 's/[().]/\\&/g') \\(cached in"
rm -f "$T/gc/vpmem/kvm-probe"
with_kvm doctor --qemu "$T/qemu"
expect_match "doctor: a line before its probe boot" "$err" '^vpmem: probing KVM'
expect_match "doctor: the reason" "$out" "^KVM: the probe boot under KVM failed"

done_testing
