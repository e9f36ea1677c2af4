#!/bin/sh
# vpmem set-up: install what is needed (Debian 12), build, then run the demo or
# the test suite.
#
#   scripts/setup.sh demo   install, build, install vpmem to /usr/local (meson
#                           install: on PATH), boot the default guest with 256M
#                           of PMem and print the guest's `ndctl list -D`
#   scripts/setup.sh test   install, build (plain and ASan+UBSan), install vpmem
#                           to /usr/local, run every suite
#   scripts/setup.sh deps | build   (build installs to /usr/local too)
set -eu
cd "$(dirname "$0")/.."
mode=${1:-demo}

PACKAGES="meson ninja-build pkg-config gcc libc6-dev libjson-c-dev uuid-dev libsmartcols-dev libxml2-dev
libcmocka-dev libndctl-dev libdaxctl-dev libmount-dev qemu-system-x86 busybox-static ndctl daxctl cpio kmod xz-utils
e2fsprogs xfsprogs python3 libxml2-utils libvirt-clients clang libclang-rt-14-dev
zlib1g-dev liblzma-dev libzstd-dev liblz4-dev zstd lz4 gzip binutils
nbdkit nbdkit-plugin-dev libnbd-bin libvirt-daemon-system libvirt-dev
asciidoctor man-db groff-base bsdextrautils ipmctl strace"

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

deps() {
	missing=
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
	done
	# the default guest's kernel comes from Debian's archive: the lists must be there
	if [ -n "$missing" ] || ! apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1; then
		echo "setup: installing:${missing:- (package lists only)}" >&2
		echo "setup: apt-get update" >&2
		apt_ update -q
	fi
	if [ -n "$missing" ]; then
		echo "setup: apt-get install (a few minutes on a fresh machine)" >&2
		# shellcheck disable=SC2086
		apt_ install -y -q --no-install-recommends $missing
	fi
}

# apt-get, its output hidden, its error in one line
apt_() {
	log=$(mktemp)
	if ! sudo_ env DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1; then
		msg=$(grep -E '^(E|Err):' "$log" | head -n1 | sed 's/^E: //')
		rm -f "$log"
		echo "setup: error: apt-get $1 failed: ${msg:-see 'apt-get $1' output}" >&2
		exit 1
	fi
	rm -f "$log"
}

build() {
	[ -d build ] || meson setup build >/dev/null
	ninja -C build >/dev/null
	# vpmem on PATH: /usr/local/bin (meson's default prefix), its library in
	# /usr/local/lib/<triplet> (ld.so.conf.d has it), guest/ in /usr/local/share
	prefix=$(meson introspect build --buildoptions | python3 -c \
		'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
	echo "setup: installing vpmem to $prefix (meson install)" >&2
	sudo_ meson install -C build --quiet >/dev/null
	sudo_ ldconfig
	vpmem=$prefix/bin/vpmem
}

# the last line says where vpmem is, and whether it is on PATH
say_path() {
	if [ "$(command -v vpmem || true)" = "$vpmem" ]; then
		echo "setup: vpmem is $vpmem, on PATH: the README's examples run from here" >&2
	else
		echo "setup: vpmem is $vpmem, which is not first on your PATH (add $(dirname "$vpmem") to PATH)" >&2
	fi
}

# The default guests' kernel packages where apt keeps what it fetched: every
# user's first 'vpmem run' builds that user's guest from them, no download
share_debs() {
	for deb in "${XDG_CACHE_HOME:-$HOME/.cache}"/vpmem/guest/debs/linux-image-*.deb; do
		[ -f "$deb" ] && [ ! -e "/var/cache/apt/archives/$(basename "$deb")" ] &&
			sudo_ install -m 644 "$deb" /var/cache/apt/archives/
	done
	return 0
}

case "$mode" in
deps) deps ;;
build) deps; build; say_path ;;
demo)
	deps
	build
	"$vpmem" guest build
	share_debs
	"$vpmem" run --qemu-pmem 256M --timeout 600 --guest-cmd 'ndctl list -D'
	say_path
	;;
test)
	deps
	build
	[ -d build-san ] || meson setup build-san -Db_sanitize=address,undefined -Db_lundef=false \
		-Dguest_tests=false >/dev/null
	ninja -C build-san >/dev/null
	# libFuzzer (clang) build of the image reader, ASan+UBSan
	[ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false -Dguest_tests=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	ninja -C build-fuzz >/dev/null
	# every guest suite runs on each kernel (meson option guest_kernels): build them all first
	for k in $(meson introspect build --buildoptions | python3 -c \
		'import json,sys; print(" ".join(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "guest_kernels")))'); do
		./build/src/vpmem guest build --kernel-package "$k"
	done
	share_debs
	say_path
	exec python3 scripts/run-tests.py build build-san build-fuzz:fuzz
	;;
*) echo "usage: scripts/setup.sh demo|test|deps|build" >&2; exit 2 ;;
esac
