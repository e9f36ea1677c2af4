#!/bin/sh
# What `meson install` gives a user, installed under a temporary DESTDIR:
# every public header (each compiles alone, in C and C++), libvpmem.pc,
# a library that exports exactly what the headers declare (versioned), the
# example program doc/examples/create-and-list.c built with
# `pkg-config --cflags --libs libvpmem` and run, the man pages and the bash
# completion. $BUILD is the build directory, $SRC the source tree.
. "$(dirname "$0")/../lib.sh"
: "${BUILD:?}" "${SRC:?}"
D=$T/dest
meson install -C "$BUILD" --no-rebuild --quiet --destdir "$D" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log" >&2; fail "meson install"; done_testing; exit 1; }

pc=$(find "$D" -name libvpmem.pc | head -1)
check "libvpmem.pc installed" test -n "$pc"
inc=$(find "$D" -type d -path '*/include/vpmem' | head -1)
lib=$(find "$D" -name 'libvpmem.so.*.*' | head -1)
check "library installed" test -n "$lib"
# the .pc says /usr/local...; the sysroot makes its -I and -L point into $D
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$D"
cflags=$(pkg-config --cflags libvpmem) && libs=$(pkg-config --libs libvpmem)
check "pkg-config knows libvpmem" test -n "$libs"
expect_eq "pkg-config version" "$(pkg-config --modversion libvpmem)" "$("$VPMEM" version | cut -d' ' -f2 | sed 's/[-+].*//')"

# every header of the source tree is installed, nothing more
expect_eq "installed headers" "$(ls "$inc")" "$(ls "$SRC/include/vpmem")"
# each compiles with nothing before it
for h in "$inc"/*.h; do
	b=$(basename "$h")
	printf '#include <vpmem/%s>\n' "$b" >"$T/one.c"
	# shellcheck disable=SC2086
	check "<vpmem/$b> compiles alone (C11)" ${CC:-cc} -std=c11 -Wall -Wextra -Werror -fsyntax-only $cflags "$T/one.c"
	# shellcheck disable=SC2086
	[ -z "${CXX:-}" ] ||
		check "<vpmem/$b> compiles alone (C++)" $CXX -std=c++17 -Wall -Wextra -Werror -fsyntax-only -x c++ $cflags "$T/one.c"
done

[ -n "${CXX:-}" ] || echo "no C++ compiler: headers not compiled as C++" >&2
# exports: what the installed headers declare, nothing else, all versioned
if python3 "$SRC/tests/pkg/check-exports.py" "${CLANG:?clang is needed (scripts/setup.sh installs it)}" "$(dirname "$inc")" "$lib" >"$T/exports" 2>&1; then
	pass
else
	fail "exports differ from the installed headers: $(cat "$T/exports")"
fi

# the example, built as a user builds it, creates and lists an image
# shellcheck disable=SC2086
if ${CC:-cc} -Wall -Wextra -Werror -o "$T/create-and-list" "$SRC/doc/examples/create-and-list.c" $cflags $libs \
	2>"$T/cc.err"; then pass; else fail "example build: $(cat "$T/cc.err")"; fi
export LD_LIBRARY_PATH="$(dirname "$lib")"
check "example links the installed library" sh -c "ldd '$T/create-and-list' | grep -q '$(dirname "$lib")/libvpmem.so'"
out=$(cd "$T" && ./create-and-list ex.img 2>&1)
expect_eq "example status" "$?" 0
expect_match "example lists the region" "$out" '^region0: size 1073610752, labelled, slot 0, 1 namespace\(s\)'
expect_match "example lists its namespace" "$out" "namespace0.0: mode fsdax, size 526385152, name 'example', uuid [0-9a-f-]{36}"
# ...and the command agrees with it
uuid=$(printf '%s\n' "$out" | sed -n 's/.*uuid //p')
run_vpmem list "$T/ex.img" --json
expect_eq "vpmem list sees the example's namespace" \
	"$(printf '%s' "$out" | python3 -c 'import json,sys; ns=json.load(open(sys.argv[1]))["regions"][0]["namespaces"]; print(len(ns), ns[0]["mode"], ns[0]["name"], ns[0]["uuid"], ns[0]["size"])' "$T/.out")" \
	"1 fsdax example $uuid 526385152"
out=$(cd "$T" && ./create-and-list ex.img 2>&1)
expect_match "example refuses an existing file" "$out" "^create-and-list: error: create image: .*exists"

# man pages and completion
man1=$(find "$D" -type d -path '*/share/man/man1' | head -1)
[ "${MAN:-1}" = 1 ] || echo "man pages not built (no asciidoctor): not checked" >&2
[ "${MAN:-1}" = 1 ] && for c in "" $("$VPMEM" --help | sed -n 's/^  \([a-z]*\)  .*/\1/p' | grep -vx 'help\|version'); do
	check "man page vpmem${c:+-$c}.1 installed" test -s "$man1/vpmem${c:+-$c}.1"
done
check "bash completion installed" test -s "$(find "$D" -path '*/share/bash-completion/completions/vpmem' | head -1)"
done_testing
