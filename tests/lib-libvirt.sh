# libvirtd for the tests: start virtlogd and libvirtd (as root, no systemd
# needed) when they are not running, and stop at exit only what the tests
# started, once no test uses them. Domains a test defines are named
# $LV_PREFIX-*: every one left at exit is destroyed and undefined. Sourced after lib.sh (or lib-guest.sh),
# or before it by a test that starts with libvirt_guest_test (which sources lib-guest.sh).
#
#   libvirt_up      start what is missing; exit 77 (skip) when not root or
#                   libvirt is not installed, saying which
#   libvirt_guest_test
#                   the start of a guest test that boots through libvirtd
#                   (test-libvirt, test-cxl-libvirt): its files under /var/tmp
#                   unless $TMPDIR says otherwise (it runs long; other
#                   checkouts clean up /tmp), lib-guest.sh, libvirt_up, $T
#                   readable by libvirt's QEMU user, TCG (VPMEM_ACCEL)
LV_PREFIX=vpmem-t$$
export VPMEM_LIBVIRT_DIR="/var/lib/libvirt/images/$LV_PREFIX"
# Several tests may run at once (meson runs two): each registers its pid in
# LV_USERS while it uses the daemons; the daemons the tests started (not ones
# running before, as CI's) are listed in LV_STARTED and stopped by the last
# test out (pids of tests that died unregistered are dropped). Registering,
# starting and stopping happen under one lock, LV_LOCK (flock -o: the
# daemons do not inherit it).
LV_LOCK=/run/vpmem-test-libvirt.lock
LV_USERS=/run/vpmem-test-libvirt.users
LV_STARTED=/run/vpmem-test-libvirt.started

libvirt_up() {
	[ "$(id -u)" = 0 ] || { echo "skip: the libvirt tests need root (qemu:///system)" >&2; exit 77; }
	command -v libvirtd >/dev/null || { echo "skip: libvirtd missing (apt-get install libvirt-daemon-system)" >&2; exit 77; }
	command -v flock >/dev/null || { echo "skip: flock missing (util-linux)" >&2; exit 77; }
	mkdir -p "$LV_USERS"
	flock -o -w 300 "$LV_LOCK" sh -c '
		touch "$1/$2"
		for d in virtlogd libvirtd; do
			pgrep -x $d >/dev/null || { $d -d && echo $d >>"$3"; }
		done' sh "$LV_USERS" $$ "$LV_STARTED" ||
		{ echo "FAIL: cannot take $LV_LOCK" >&2; exit 1; }
	trap 'libvirt_down; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
	trap 'exit 143' INT TERM HUP   # so that the EXIT trap runs
	for _i in $(seq 50); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
	virsh -c qemu:///system version >/dev/null 2>&1 || { echo "FAIL: libvirtd does not answer" >&2; exit 1; }
}

libvirt_guest_test() {
	: "${TMPDIR:=/var/tmp}"
	export TMPDIR
	. "$(dirname "$0")/lib-guest.sh"
	libvirt_up
	chmod 755 "$T"
	export VPMEM_ACCEL=tcg
}

libvirt_down() {
	for _d in $(virsh -c qemu:///system list --all --name 2>/dev/null | grep "^$LV_PREFIX-"); do
		virsh -c qemu:///system destroy "$_d" >/dev/null 2>&1
		virsh -c qemu:///system undefine "$_d" >/dev/null 2>&1
	done
	rm -rf "$VPMEM_LIBVIRT_DIR"
	# the last test out stops what the tests started, by the pids the daemons wrote
	flock -o -w 300 "$LV_LOCK" sh -c '
		rm -f "$1/$2"
		for u in "$1"/*; do
			[ -e "$u" ] || continue
			kill -0 "${u##*/}" 2>/dev/null && exit 0
			rm -f "$u"
		done
		for d in $(cat "$3" 2>/dev/null); do
			[ -r "/run/$d.pid" ] && kill "$(cat "/run/$d.pid")" 2>/dev/null
		done
		rm -f "$3"' sh "$LV_USERS" $$ "$LV_STARTED"
}
