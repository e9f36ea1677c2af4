# Guest test harness: boot the default guest with given vNVDIMM backings and a
# script, collect the guest's stdout/stderr and exit status.
#
#   guest_run [vpmem run options...] SCRIPT
#       boots `vpmem run OPTIONS --guest-cmd SCRIPT` with a per-test state
#       directory; sets $gout (guest stdout), $gerr (guest stderr + vpmem's
#       messages) and $grc (the guest command's exit status, or vpmem's).
#   guest_exec [vpmem run options...] SCRIPT
#       the same without the state directory (give --name or --state-dir)
#   json_get JSON PYEXPR   evaluate a Python expression over the parsed JSON `j`
. "$(dirname "$0")/../lib.sh"

GUEST_TIMEOUT=${GUEST_TIMEOUT:-300}
if ! "$VPMEM" guest build --quiet; then
	echo "FAIL: cannot build the default guest" >&2
	exit 1
fi

# guest_exec [vpmem run options...] SCRIPT: the runner under guest_run (and
# test-libvirt.sh's lv_run, which names the machine instead of a state dir)
guest_exec() {
	_n=$#
	eval "_script=\${$_n}"
	_i=0
	for _a in "$@"; do
		_i=$((_i + 1))
		[ "$_i" -lt "$_n" ] && set -- "$@" "$_a"
	done
	shift "$_n"
	"$VPMEM" run -q --timeout "$GUEST_TIMEOUT" "$@" --guest-cmd "$_script" >"$T/.gout" 2>"$T/.gerr"
	grc=$?
	gout=$(cat "$T/.gout")
	gerr=$(cat "$T/.gerr")
	if [ "${GUEST_VERBOSE:-0}" = 1 ] || { [ "$grc" -ne 0 ] && [ "${GUEST_EXPECT_FAIL:-0}" = 0 ]; }; then
		echo "--- guest rc=$grc; stdout:" >&2; cat "$T/.gout" >&2
		echo "--- stderr:" >&2; cat "$T/.gerr" >&2
		# the guest's console, to tell a panic from a lost status
		_con=$(sed -n 's/.*(console log: \(.*\))$/\1/p' "$T/.gerr")
		if [ "$grc" -ne 0 ] && [ -n "$_con" ] && [ -r "$_con" ]; then
			echo "--- console ($_con), last 40 lines:" >&2; tail -n 40 "$_con" >&2
		fi
	fi
}

guest_run() {
	guest_exec --state-dir "${GUEST_STATE:-$T/vm}" "$@"
}

# Guest shell lines (CXL tests): a raw namespace on the region whose
# interleave-set cookie is $1, then $2 written at its block 1000 (4 KiB
# blocks) and synced; $m and $b name the region and its block device after.
cxl_mark_region() {
	cat <<EOF
for r in /sys/bus/nd/devices/region*; do
	[ "\$(cat \$r/set_cookie)" = $1 ] && m=\${r##*/} || :
done
ndctl create-namespace -r \$m -m raw >/dev/null
b=\$(ndctl list -r \$m -N | sed -n 's/.*"blockdev":"\\(pmem[0-9]*\\)".*/\\1/p')
printf $2 | dd of=/dev/\$b bs=4096 seek=1000 conv=sync,fsync status=none
EOF
}

json_get() {
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# expect_check_ok IMAGE [vpmem check options...]: no false alarms: after the
# guest kernel wrote IMAGE, `vpmem check` calls it ok (exit 0) with no finding
# line (warning, repairable, damaged); its report is shown when it is not.
# Sets $out/$err/$rc of the check (e.g. for -v's per-namespace lines).
expect_check_ok() {
	_img=$1
	shift
	run_vpmem check "$@" "$_img"
	_d="$(basename "$_img") after the guest: vpmem check"
	expect_eq "$_d exit" "$rc" 0
	expect_nomatch "$_d finds nothing" "$out" "^  (warning|repairable|damaged) "
	if [ "$rc" != 0 ] || printf '%s\n' "$out" | grep -Eq "^  (warning|repairable|damaged) "; then
		printf -- '--- vpmem check %s %s:\n%s\n%s\n' "$*" "$_img" "$out" "$err" >&2
	fi
}
