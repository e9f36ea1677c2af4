#!/bin/sh
# The fuzz runner must fail when its target crashes, leaks or hangs on an
# input of the corpus, and pass on a harmless one: fuzz-selftest misbehaves
# on purpose on inputs starting "crash", "leak", "hang".
set -u
: "${FUZZER:?}" "${RUNNER:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
run() { # NAME INPUT EXPECTED-RC
	mkdir -p "$T/$1"
	printf '%s' "$2" >"$T/$1/input"
	FUZZER=$FUZZER CORPUS=$T/$1 FUZZ_SECONDS=3 FUZZ_TIMEOUT=2 sh "$RUNNER" >"$T/$1.log" 2>&1
	rc=$?
	if { [ "$3" = 0 ] && [ $rc -ne 0 ]; } || { [ "$3" != 0 ] && [ $rc -eq 0 ]; }; then
		echo "FAIL: runner on '$2' exited $rc"
		tail -n 15 "$T/$1.log"
		fail=1
	else
		echo "ok: runner on '$2' exited $rc"
	fi
}
run harmless "hello" 0
run crash "crash" 1
run leak "leak" 1
run hang "hang" 1
grep -q "heap-buffer-overflow" "$T/crash.log" || { echo "FAIL: no ASan report for the crash"; fail=1; }
grep -q "LeakSanitizer" "$T/leak.log" || { echo "FAIL: no leak report"; fail=1; }
grep -qi "timeout" "$T/hang.log" || { echo "FAIL: no timeout report"; fail=1; }
exit $fail
