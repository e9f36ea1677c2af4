# libvirtd for the tests: start virtlogd and libvirtd (as root, no systemd
# needed) when they are not running, and stop at exit only what was started
# here. Domains a test defines are named $LV_PREFIX-*: every one left at exit
# is destroyed and undefined. Sourced after lib.sh (or lib-guest.sh).
#
#   libvirt_up      start what is missing; exit 77 (skip) when not root or
#                   libvirt is not installed, saying which
LV_PREFIX=vpmem-t$$
LV_STARTED=
export VPMEM_LIBVIRT_DIR="/var/lib/libvirt/images/$LV_PREFIX"

libvirt_up() {
	[ "$(id -u)" = 0 ] || { echo "skip: the libvirt tests need root (qemu:///system)" >&2; exit 77; }
	command -v libvirtd >/dev/null || { echo "skip: libvirtd missing (apt-get install libvirt-daemon-system)" >&2; exit 77; }
	if ! pgrep -x virtlogd >/dev/null; then
		virtlogd -d && LV_STARTED="$LV_STARTED virtlogd"
	fi
	if ! pgrep -x libvirtd >/dev/null; then
		libvirtd -d && LV_STARTED="$LV_STARTED libvirtd"
	fi
	for _i in $(seq 50); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
	virsh -c qemu:///system version >/dev/null 2>&1 || { echo "FAIL: libvirtd does not answer" >&2; exit 1; }
	trap 'libvirt_down; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
	trap 'exit 143' INT TERM HUP   # so that the EXIT trap runs
}

libvirt_down() {
	for _d in $(virsh -c qemu:///system list --all --name 2>/dev/null | grep "^$LV_PREFIX-"); do
		virsh -c qemu:///system destroy "$_d" >/dev/null 2>&1
		virsh -c qemu:///system undefine "$_d" >/dev/null 2>&1
	done
	rm -rf "$VPMEM_LIBVIRT_DIR"
	# stop only what libvirt_up started, by the pid it wrote
	for _s in $LV_STARTED; do
		[ -r "/run/$_s.pid" ] && kill "$(cat "/run/$_s.pid")" 2>/dev/null
	done
}
