#!/bin/sh
# vpmem namespace reconfigure cut after every single write
# (tests/data/reconfigure/mkcuts.sh: raw -> fsdax with an ext4 in it): every
# cut image holds the old namespace, no namespace (hidden from the guest), or
# the new one, with the data intact; running the command again finishes each
# one as fsdax with the data intact and the side files gone. The guest
# kernel's view of the same cuts: tests/guest/test-reconfigure-crash.sh.
. "$(dirname "$0")/lib-reconfigure.sh"

# ---- cut after every write, then run again ----
total=$(sh "$data/mkcuts.sh" cuts)
expect_match "the conversion takes writes to cut" "$total" '^[1-9][0-9]+$'
cfs=$(stat -c %s cuts/fs.ext4)
cwant=$(sum cuts/fs.ext4)
: >verdicts
for n in $(seq 0 "$total"); do
	f=cuts/cut$n.img
	m=$(mode_of "$f" d)
	case $m in
	"") v=H ;;                                   # no namespace: hidden from the guest
	raw) v=O ;;
	fsdax) v=N ;;
	*) v="?$m" ;;
	esac
	if [ -n "$m" ] && [ "$(nsum "$f" "$cfs" d)" != "$cwant" ]; then v=X$v; fi
	cp "$f" r.img
	for x in "$f".vpmem-reconfigure*; do [ -f "$x" ] && cp "$x" "r.img${x#"$f"}"; done
	r=0
	# the finished cut has nothing left to do
	if [ "$v" != N ] || [ -f r.img.vpmem-reconfigure ]; then
		"$VPMEM" namespace reconfigure r.img --name d --mode fsdax --keep-data >/dev/null 2>&1
		r=$?
	fi
	[ "$(mode_of r.img d)" = fsdax ] && [ "$(nsum r.img "$cfs" d)" = "$cwant" ] && [ $r = 0 ] &&
		[ -z "$(ls r.img.vpmem-reconfigure* 2>/dev/null)" ] && v="$v>N" || v="$v>FAIL"
	rm -f r.img*
	echo "cut$n $v" >>verdicts
done
cat verdicts >&2
expect_eq "a verdict per cut" "$(wc -l <verdicts)" "$((total + 1))"
expect_nomatch "every cut: old, hidden or new, with the data" "$(cat verdicts)" "X|\?|FAIL"
expect_eq "every cut ends as fsdax with the data after running again" "$(grep -c '>N$' verdicts)" "$((total + 1))"
expect_match "the first cuts are the old namespace" "$(head -n1 verdicts)" "^cut0 O>N"
expect_match "the last cut is the new one" "$(tail -n1 verdicts)" "^cut$total N>N"
expect_match "some cuts hide the namespace" "$(cat verdicts)" " H>N"
done_testing
