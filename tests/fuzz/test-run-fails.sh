#!/bin/sh
# The fuzz runner must fail when the fuzzer finds a crash: run it with a target
# that crashes on every input and check the status and the message.
set -u
: "${CRASHER:?}" "${VPMEM:?}"
here=$(cd "$(dirname "$0")" && pwd)
out=$(FUZZER=$CRASHER FUZZ_SECONDS=5 sh "$here/run.sh" 2>&1)
rc=$?
if [ "$rc" -eq 0 ]; then
	echo "FAIL: run.sh exited 0 although the fuzzer crashed" >&2
	printf '%s\n' "$out" >&2
	exit 1
fi
case $out in
*"deadly signal"*) ;;
*) echo "FAIL: no crash report in the runner's output" >&2; printf '%s\n' "$out" >&2; exit 1 ;;
esac
case $out in
*"error: fuzzer 'fuzz-crash' exited with status $rc"*) ;;
*) echo "FAIL: no error line for the crash" >&2; printf '%s\n' "$out" >&2; exit 1 ;;
esac
echo "ok: run.sh exited $rc on a crash"
