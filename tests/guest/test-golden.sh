#!/bin/sh
# Regenerate the golden set live (real kernel + ndctl in the default guest)
# and check vpmem list against it, so both directions are judged by today's
# guest, not only by the stored images.
. "$(dirname "$0")/lib-guest.sh"
here=$(cd "$(dirname "$0")" && pwd)
if ! sh "$here/mkgolden.sh" "$T/golden" >"$T/mk.log" 2>&1; then
	cat "$T/mk.log" >&2
	fail "mkgolden.sh failed"
	done_testing
fi
check "seven reference images made" test "$(ls "$T"/golden/*.img.xz | wc -l)" -eq 7
GOLDEN=$T/golden sh "$here/../cli/test-golden.sh"
expect_eq "vpmem list matches the freshly made golden set" "$?" 0
done_testing
