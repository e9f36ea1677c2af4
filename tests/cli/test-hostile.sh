#!/bin/sh
# Hostile and careless input (issue 17): each repro of a defect class D1-D15
# that the command line reaches. Bad input gets one line, a non-zero status,
# no crash, no hang and no change to anything.
. "$(dirname "$0")/../lib.sh"
d=$(cd "$(dirname "$0")/../data/map" && pwd)
cd "$T" || exit 1
sum() { sha256sum "$1" | cut -d' ' -f1; }
# one_line DESCRIPTION WANT-PATTERN: the last run failed (1 or 2) with one matching line
one_line() {
	expect_match "$1: status" "$rc" '^[12]$'
	expect_eq "$1: one line" "$(printf '%s\n' "$err" | wc -l)" 1
	expect_match "$1: message" "$err" "$2"
}

# D6: ndctl JSON of the wrong shape is refused, json-c never asserts
for j in '{"dimms":2}' '{"dimms":[{"id":7}]}' '[1,2]' '{"dimms":[],"regions":{"a":1}}' '"x"' \
	'{"dimms":[{"id":"8902-a2ebf260","dev":"nmem0"}],"regions":[{"mappings":3,"namespaces":{}}]}'; do
	printf '%s' "$j" >bad.json
	run_vpmem map --vmkfstools-output "$d/vmkfstools.txt" --guest-json bad.json
	case $j in
	*regions\":\[*) expect_match "D6 $j: not a crash" "$rc" '^[01]$' ;;
	*) one_line "D6 $j" "error: map: 'bad.json': " ;;
	esac
done

# D5: an image on a full tmpfs: reading holes through a mapping was SIGBUS;
# read with pread it lists, and create works (its writes fit pages the
# index blocks already hold) instead of dying
if unshare -rm true 2>/dev/null; then
	mkdir tm
	unshare -rm sh -c '
		mount -t tmpfs -o size=1M none tm || exit 9
		cd tm
		"$0" image create a.img --size 64M --label-version 1.2 >/dev/null || exit 8
		dd if=/dev/zero of=fill bs=4k 2>/dev/null
		"$0" list a.img >../list.out 2>../list.err; echo $? >../list.rc
		"$0" namespace create a.img --mode raw --size 16M >../ns.out 2>../ns.err; echo $? >../ns.rc
	' "$VPMEM"
	expect_eq "D5: tmpfs set-up" "$?" 0
	expect_eq "D5: list on a full tmpfs" "$(cat list.rc)" 0
	expect_match "D5: list shows the region" "$(cat list.out)" "labels v1.2"
	expect_eq "D5: create on a full tmpfs" "$(cat ns.rc) $(cat ns.err)" "0 "
else
	echo "skip D5: no user namespaces for a private tmpfs"
fi

done_testing
