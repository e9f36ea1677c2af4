#!/bin/sh
# Build vpmem's default guest: a Debian kernel package, busybox-static,
# ndctl/daxctl/cxl (+ libraries), mkfs.ext4/mkfs.xfs and the vpmem binary, in an
# uncompressed initramfs. Rebuilt only when an input changes.
#
# usage: mkguest.sh --out DIR --vpmem BIN [--kernel-package NAME] [--debs DIR]
#                   [--force] [--quiet]
#
# One DIR per kernel (vpmem uses <cache>/guest/<kernel>); downloaded packages go
# to --debs (default DIR/debs), which several guests may share. NAME may be a
# meta-package (linux-image-cloud-amd64, linux-image-6.12-cloud-amd64): it is
# resolved to the kernel image package it depends on. Compressed modules
# (.ko.xz, .ko.gz, .ko.zst: Debian's 6.12 ships .ko.xz) are stored
# uncompressed, so the guest's busybox modprobe loads any of them.
set -eu

out= vpmem= kpkg= debs= force=0 quiet=0
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--vpmem) vpmem=$2; shift 2 ;;
	--kernel-package) kpkg=$2; shift 2 ;;
	--debs) debs=$2; shift 2 ;;
	--force) force=1; shift ;;
	--quiet) quiet=1; shift ;;
	*) echo "mkguest: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] && [ -n "$vpmem" ] || { echo "mkguest: --out and --vpmem are required" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
# depmod (kmod) is in /sbin, not on a normal user's PATH
for d in /usr/local/sbin /usr/sbin /sbin; do
	case ":$PATH:" in *":$d:"*) ;; *) PATH=$PATH:$d ;; esac
done
export PATH
say() { [ "$quiet" = 1 ] || echo "vpmem guest: $*" >&2; }
die() { echo "vpmem: error: guest build: $*" >&2; exit 1; }

for t in dpkg-deb cpio depmod ldd apt-get sha256sum; do
	command -v "$t" >/dev/null 2>&1 || die "'$t' is missing (run the README's set-up command)"
done
# busybox must be the static one: the guest has no libc of its own for it.
bb=$(command -v busybox || true)
[ -n "$bb" ] && ! ldd "$bb" >/dev/null 2>&1 || die "busybox-static is not installed (apt-get install busybox-static)"
command -v ndctl >/dev/null 2>&1 || die "ndctl is not installed (apt-get install ndctl daxctl)"
command -v cxl >/dev/null 2>&1 || die "the cxl tool is not installed (apt-get install ndctl)"

debs=${debs:-$out/debs}
mkdir -p "$out" "$debs"
# One build per directory at a time. The lock is the directory itself, not a
# file in it: a link or FIFO planted in the cache is never opened, followed or
# truncated ("DIR/." opens only a directory, and never blocks).
exec 9<"$out/."
flock 9
# Files in the cache are written only as fresh temporary files in a directory
# this script made private (mktemp), then renamed into place with mv -T: a
# symlink planted at the name is replaced, never written through, and a
# directory there is an error, not a place to move into.

# The kernel package: the one named (default: linux-image-cloud-amd64). A
# meta-package stands for the image package it depends on. Without package
# lists (offline), what this guest was last built from.
kpkg=${kpkg:-linux-image-cloud-amd64}
if apt-cache show "$kpkg" >/dev/null 2>&1; then
	dep=$(apt-cache depends "$kpkg" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1)
	[ -z "$dep" ] || kpkg=$dep
elif [ -s "$out/kernel-package" ]; then
	kpkg=$(cat "$out/kernel-package")
else
	die "unknown package '$kpkg' (run 'apt-get update', check the name)"
fi
deb=$(ls "$debs/${kpkg}_"*.deb 2>/dev/null | sort -V | tail -n1 || true)
# one apt has already fetched (apt-get install --download-only, or
# 'scripts/setup.sh' for the default kernels) serves every user: no download
if [ -z "$deb" ]; then
	for d in ${VPMEM_APT_ARCHIVES:-/var/cache/apt/archives}; do
		f=$(ls "$d/${kpkg}_"*.deb 2>/dev/null | sort -V | tail -n1 || true)
		if [ -n "$f" ] && [ -r "$f" ]; then
			say "using $f (fetched by apt before)"
			t=$(mktemp "$debs/.$(basename "$f").XXXXXX")
			cp "$f" "$t" && chmod 644 "$t" && mv -fT "$t" "$debs/$(basename "$f")"
			deb=$debs/$(basename "$f")
			break
		fi
	done
fi
if [ -z "$deb" ]; then
	# apt's own progress on stderr (stdout stays for results); its error in one line
	say "downloading $kpkg with apt-get download (once: kept in $debs)"
	# into a fresh directory of its own (apt writes the .deb by its name)
	dl=$(mktemp -d "$debs/.download.XXXXXX")
	aerr=$dl/.apt-err
	if [ "$quiet" = 1 ]; then aq=-qq; else aq=; fi
	if ! (cd "$dl" && apt-get download $aq "$kpkg" >&2 2>"$aerr"); then
		msg=$(grep -E '^(E|Err):' "$aerr" | head -n1 | sed 's/^E: //')
		[ -n "$msg" ] || msg=$(sed '/^[[:space:]]*$/d' "$aerr" | tail -n1)
		rm -rf "$dl"
		die "cannot download '$kpkg': ${msg:-apt-get download failed} (run 'apt-get update' as root, check the name and the network)"
	fi
	for f in "$dl/${kpkg}_"*.deb; do
		chmod 644 "$f" && mv -fT "$f" "$debs/$(basename "$f")"
	done
	rm -rf "$dl"
	deb=$(ls "$debs/${kpkg}_"*.deb | sort -V | tail -n1)
fi

tools="$bb $(command -v ndctl) $(command -v daxctl) $(command -v cxl || true) $(command -v mkfs.ext4 || true) $(command -v mkfs.xfs || true) $(command -v e2fsck || true) $(command -v xfs_repair || true) $vpmem"
stamp=$( { cat "$here/mkguest.sh" "$here/init" "$here/modules"; echo "$deb"; sha256sum $tools; ldd "$vpmem" | awk '$3 ~ /^\// {print $3}' | xargs sha256sum; } | sha256sum | cut -d' ' -f1)
if [ "$force" = 0 ] && [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -f "$out/initrd.img" ] && [ -f "$out/vmlinuz" ]; then
	say "up to date in $out"
	exit 0
fi

say "building in $out from $(basename "$deb")"
work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/kernel"
kver=$(ls "$work/kernel/lib/modules" | head -n1)
[ -n "$kver" ] && [ -f "$work/kernel/boot/vmlinuz-$kver" ] || die "'$deb' is not a kernel image package"
root=$work/root
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc/vpmem" "$root/lib/modules/$kver"

# Modules and their dependencies (from the package's own modules.dep).
moddir=$work/kernel/lib/modules/$kver
depmod -b "$work/kernel" "$kver"   # the package ships no modules.dep
want=$(grep -v '^#' "$here/modules" | tr '\n' ' ')
: >"$work/mods"
for m in $want; do
	f=$(grep -E "(^|/)$(echo "$m" | sed 's/[-_]/[-_]/g')\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -n1 | cut -d: -f1)
	[ -n "$f" ] || { grep -qE "/$(echo "$m" | sed 's/[-_]/[-_]/g')\.ko" "$moddir/modules.builtin" 2>/dev/null && continue; die "module '$m' is not in $kpkg"; }
	echo "$f" >>"$work/mods"
	grep -E "^$f:" "$moddir/modules.dep" | cut -d: -f2 | tr ' ' '\n' | sed '/^$/d' >>"$work/mods"
done
sort -u "$work/mods" | while read -r f; do
	mkdir -p "$root/lib/modules/$kver/$(dirname "$f")"
	cp "$moddir/$f" "$root/lib/modules/$kver/$f"
done
# Uncompressed in the guest: busybox modprobe may not read .ko.xz/.ko.zst.
for z in xz:xz gz:gzip zst:zstd; do
	files=$(find "$root/lib/modules/$kver" -name "*.ko.${z%%:*}")
	[ -n "$files" ] || continue
	command -v "${z#*:}" >/dev/null 2>&1 || die "'${z#*:}' is missing: $kpkg has .ko.${z%%:*} modules"
	echo "$files" | xargs "${z#*:}" -d -q -f
done
cp "$moddir/modules.order" "$moddir/modules.builtin" "$root/lib/modules/$kver/" 2>/dev/null || true
cp "$moddir"/modules.builtin.modinfo "$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"
echo "$want" | tr ' ' '\n' | sed '/^$/d' >"$root/etc/vpmem/modules"

# Programs and the shared libraries they need, at the host's paths.
cp "$bb" "$root/bin/busybox"
for t in $tools; do
	[ "$t" = "$bb" ] && continue
	case "$t" in
	"$vpmem") dst=/usr/bin/vpmem ;;
	*) dst=$t ;;
	esac
	mkdir -p "$root$(dirname "$dst")"
	cp "$t" "$root$dst"
	for lib in $(ldd "$t" | awk '$3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
		real=$(readlink -f "$lib")
		case "$lib" in
		/lib/*|/lib64/*|/usr/lib/*|/usr/lib64/*) ;;
		*) lib=/usr/lib/$(basename "$lib") ;;  # e.g. libvpmem from a build tree
		esac
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp "$real" "$root$lib"
	done
done
# libkmod (used by ndctl) and mkfs read these; harmless if absent.
for f in /etc/mke2fs.conf; do [ -f "$f" ] && cp "$f" "$root$f"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
cp "$here/init" "$root/init"
chmod 755 "$root/init"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) >"$work/initrd.img"
cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"
chmod 644 "$work/vmlinuz" "$work/initrd.img"
mv -fT "$work/vmlinuz" "$out/vmlinuz"
mv -fT "$work/initrd.img" "$out/initrd.img"
# put NAME TEXT: "$out/NAME" holds TEXT, made as said above (the stamp last)
put() { printf '%s\n' "$2" >"$work/$1" && chmod 644 "$work/$1" && mv -fT "$work/$1" "$out/$1"; }
put kernel-package "$kpkg"
put kernel-version "$kver"
put stamp "$stamp"
say "built: $out/vmlinuz ($kver), $out/initrd.img ($(du -h "$out/initrd.img" | cut -f1))"
