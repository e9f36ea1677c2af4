# Shared helpers for vpmem's shell tests (tests/cli, tests/guest).
# $VPMEM is the vpmem binary under test (set by meson).
set -u
: "${VPMEM:?VPMEM must point to the vpmem binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-test.XXXXXX")
trap '[ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
export XDG_STATE_HOME="$T/state"
nfail=0
ncheck=0

fail() { echo "FAIL: $*" >&2; nfail=$((nfail + 1)); }
pass() { ncheck=$((ncheck + 1)); }
# check DESCRIPTION COMMAND...: COMMAND must succeed
check() { d=$1; shift; if "$@"; then pass; else fail "$d"; fi; }
# expect_eq DESCRIPTION GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then pass; else fail "$1: got '$2', want '$3'"; fi; }
# expect_match DESCRIPTION TEXT PATTERN (grep -E)
expect_match() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then pass; else fail "$1: '$2' does not match '$3'"; fi; }
expect_nomatch() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then fail "$1: '$2' matches '$3'"; else pass; fi; }
# run_vpmem ARGS...: sets $out, $err, $rc
run_vpmem() {
	"$VPMEM" "$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	err=$(cat "$T/.err")
}
# A failed test shows the kernel's own account of every guest of its state
# directory that panicked or oopsed (the directory goes when the test ends).
show_guest_crashes() {
	find "$T" -name console.log 2>/dev/null | while read -r f; do
		grep -Eq 'Kernel panic|BUG:|Oops|Call Trace' "$f" || continue
		echo "--- $f (a guest kernel crash), its last 60 lines:"
		tail -n 60 "$f" | cat -v
	done >&2
}
done_testing() {
	echo "$ncheck checks passed, $nfail failed"
	[ "$nfail" -eq 0 ] || show_guest_crashes
	[ "$ncheck" -gt 0 ] || { echo "no checks ran" >&2; exit 1; }
	[ "$nfail" -eq 0 ]
}
