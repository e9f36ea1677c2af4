#!/bin/sh
# vpmem set-up: install what is needed (Debian 12), build, then run the demo or
# the test suite.
#
#   scripts/setup.sh demo   install, build, boot the default guest with 256M of
#                           PMem and print the guest's `ndctl list -D`
#   scripts/setup.sh test   install, build (plain and ASan+UBSan), run every suite
#   scripts/setup.sh deps | build
set -eu
cd "$(dirname "$0")/.."
mode=${1:-demo}

PACKAGES="meson ninja-build pkg-config gcc libc6-dev libjson-c-dev uuid-dev libsmartcols-dev libxml2-dev
libcmocka-dev libndctl-dev libdaxctl-dev libmount-dev qemu-system-x86 busybox-static ndctl daxctl cpio kmod xz-utils
e2fsprogs xfsprogs python3 libxml2-utils libvirt-clients clang libclang-rt-14-dev
zlib1g-dev liblzma-dev libzstd-dev liblz4-dev zstd lz4 gzip binutils
nbdkit nbdkit-plugin-dev libnbd-bin libvirt-daemon-system libvirt-dev"

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

deps() {
	missing=
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
	done
	# the default guest's kernel comes from Debian's archive: the lists must be there
	if [ -n "$missing" ] || ! apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1; then
		echo "setup: installing:${missing:- (package lists only)}" >&2
		sudo_ apt-get update -q >/dev/null
	fi
	if [ -n "$missing" ]; then
		# shellcheck disable=SC2086
		sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
	fi
}

build() {
	[ -d build ] || meson setup build >/dev/null
	ninja -C build >/dev/null
}

case "$mode" in
deps) deps ;;
build) deps; build ;;
demo)
	deps
	build
	./build/src/vpmem guest build
	./build/src/vpmem run --qemu-pmem 256M --timeout 600 --guest-cmd 'ndctl list -D'
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
	exec python3 scripts/run-tests.py build build-san build-fuzz:fuzz
	;;
*) echo "usage: scripts/setup.sh demo|test|deps|build" >&2; exit 2 ;;
esac
