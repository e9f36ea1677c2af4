#!/bin/sh
# vpmem as a normal user: a new unprivileged account, with a user's PATH (no
# /sbin, /usr/sbin), runs the offline commands (image create with a layout
# that runs mkfs.ext4, namespace create/list/check, layout, doctor, emulate
# plan) and the main job, `vpmem run --guest-cmd` (TCG: no /dev/kvm needed),
# which builds the user's own default guest under the user's ~/.cache.
#
# The kernel package: as a user, the guest build cannot write apt's cache, but
# it reuses a package apt already fetched (/var/cache/apt/archives, readable
# by everyone; scripts/setup.sh leaves the default kernels there) and else runs
# `apt-get download` as the user (network). Here the test puts the package the
# shared guest cache holds into a world-readable directory standing for
# /var/cache/apt/archives (VPMEM_APT_ARCHIVES), so that no download is needed.
# Needs root to create the account: skipped (77) otherwise.
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || { echo "skip: creating a user needs root" >&2; exit 77; }
command -v useradd >/dev/null && command -v runuser >/dev/null ||
	{ echo "skip: useradd/runuser missing" >&2; exit 77; }
"$VPMEM" guest build --quiet || { echo "FAIL: cannot build the default guest" >&2; exit 1; }
kernel=${VPMEM_GUEST_KERNEL:-6.1}
deb=$("$VPMEM" guest path --json | python3 -c 'import json,sys,glob,os
j=json.load(sys.stdin)
d=os.path.join(os.path.dirname(j["dir"]), "debs")
print(sorted(glob.glob(os.path.join(d, j["package"] + "_*.deb")))[-1])')
[ -r "$deb" ] || { echo "FAIL: no kernel package next to the default guest" >&2; exit 1; }

user=vpmem-u$$
U=$(mktemp -d /tmp/vpmem-user.XXXXXX)
chmod 755 "$U"
mkdir -p "$U/archives"
cp "$deb" "$U/archives/"
chmod -R a+rX "$U/archives"
useradd -M -d "$U/home" -s /bin/sh "$user" || { echo "FAIL: useradd" >&2; exit 1; }
mkdir -p "$U/home" "$U/work"
chown "$user:" "$U/home" "$U/work"
cleanup() {
	userdel "$user" 2>/dev/null
	rm -rf "$U"
	[ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' INT TERM HUP

# as_user CMD...: sets $out, $err, $rc; a user's environment, PATH without sbin
as_user() {
	(cd "$U/work" && runuser -u "$user" -- env -i HOME="$U/home" USER="$user" \
		PATH=/usr/local/bin:/usr/bin:/bin VPMEM_APT_ARCHIVES="$U/archives" \
		VPMEM_GUEST_KERNEL="$kernel" "$@") >"$T/.out" 2>"$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	err=$(cat "$T/.err")
}
as_user sh -c 'command -v depmod mkfs.ext4; id -u'
expect_eq "the user's PATH has no depmod, no mkfs.ext4" "$out" "$(id -u "$user")"

# offline commands
cat >"$U/work/layout.json" <<'EOF'
{"namespaces": [
  {"name": "db", "mode": "fsdax", "size": "96M", "filesystem": "ext4"},
  {"name": "rest", "mode": "raw"}
]}
EOF
chmod 644 "$U/work/layout.json"
as_user "$VPMEM" image create vm.img --size 512M --layout layout.json
expect_eq "image create --layout (mkfs.ext4 from /sbin)" "$rc" 0
[ "$rc" = 0 ] || echo "$err" >&2
as_user "$VPMEM" image create b.img --size 256M
expect_eq "image create" "$rc" 0
as_user "$VPMEM" namespace create b.img --mode sector --size 64M
expect_eq "namespace create" "$rc" 0
as_user "$VPMEM" list vm.img
expect_eq "list" "$rc" 0
expect_match "list: the layout's namespace" "$out" 'db'
as_user "$VPMEM" check vm.img b.img
expect_eq "check" "$rc" 0
as_user "$VPMEM" layout --image vm.img
expect_eq "layout" "$rc" 0
as_user "$VPMEM" doctor b.img
expect_match "doctor: a verdict" "$out" 'not guaranteed'
as_user "$VPMEM" emulate plan --size 1G --e820 "$(cd "$(dirname "$0")/../data" && pwd)/e820/guest-dmesg.txt"
expect_eq "emulate plan" "$rc" 0
check "the user owns what it made" test "$(stat -c %U "$U/work/vm.img")" = "$user"

# the main job: the user's own default guest (built once, under ~/.cache), then a boot
as_user "$VPMEM" run --qemu-pmem 256M --timeout 600 --guest-cmd 'ndctl list -D; id -u'
expect_eq "vpmem run as a user" "$rc" 0
[ "$rc" = 0 ] || echo "$err" >&2
expect_match "the guest sees the vNVDIMM" "$out" '"dev":"nmem0"'
expect_match "the build said it reused apt's package" "$err" "using $U/archives/"
check "the guest is the user's own" test -s "$U/home/.cache/vpmem/guest/$kernel/initrd.img"
check "the VM's state is the user's" test -d "$U/home/.local/state/vpmem/vm/default"

done_testing
