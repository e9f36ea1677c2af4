#!/bin/sh
# The man pages: each renders with man(1) at 80 columns without a warning (groff -ww), one
# page per command of `vpmem --help`, and every option a command's --help
# names appears in its page (so help and man page cannot drift apart).
# $MANDIR holds the built pages (build/doc/man).
. "$(dirname "$0")/../lib.sh"
: "${MANDIR:?}"
export LC_ALL=C.UTF-8
nl='
'

# render PAGE WIDTH: the page as plain text
render() { MANWIDTH=$2 man --warnings=w -l "$1" 2>"$T/warn" | col -bx; }

# options CMD...: the options (--long, -x) that the help text of vpmem CMD names
options() {
	"$VPMEM" "$@" --help | grep -oE -- '(^|[^A-Za-z0-9_/.-])--?[A-Za-z][A-Za-z0-9-]*' |
		sed -E 's/^[^-]*//' | sort -u
}

cmds=$("$VPMEM" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' | grep -vx 'help\|version')
check "vpmem --help lists commands" test "$(echo "$cmds" | wc -w)" -ge 10
for page in "$MANDIR"/*.1; do
	name=$(basename "$page" .1)
	case " vpmem $(echo $cmds | sed 's/\([a-z]*\)/vpmem-\1/g') " in
	*" $name "*) pass ;;
	*) fail "$name.1 documents no command of 'vpmem --help'" ;;
	esac
done
for c in "" $cmds; do
	page=$MANDIR/vpmem${c:+-$c}.1
	if [ ! -s "$page" ]; then
		fail "no man page for '${c:-vpmem}' ($page)"
		continue
	fi
	text=$(render "$page" 80)
	expect_eq "vpmem${c:+-$c}.1 renders without warnings" "$(cat "$T/warn")" ""
	# the sections a man page has (a heading starts its line)
	for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO" ${c:+EXAMPLES}; do
		case "$nl$text" in
		*"$nl$s$nl"*) pass ;;
		*) fail "vpmem${c:+-$c}.1 has no $s section" ;;
		esac
	done
	# asciidoctor markup that did not convert shows up as stray * or _
	expect_nomatch "vpmem${c:+-$c}.1 has no unconverted markup" "$text" '(^|[[:space:]])\*[a-z-]+\*|\*\*|__'
	# no line wider than the terminal (wc -L: display columns)
	w=$(printf '%s\n' "$text" | wc -L)
	if [ "$w" -le 80 ]; then pass; else fail "vpmem${c:+-$c}.1 is $w columns wide at MANWIDTH=80"; fi
	# every option of the help, as a whole word, in the page (wide: no hyphenation)
	in_page=" $(render "$page" 1000 | grep -oE -- '(^|[^A-Za-z0-9-])--?[A-Za-z][A-Za-z0-9-]*' |
		sed -E 's/^[^-]*//' | sort -u | tr '\n' ' ')"
	for o in $(options $c); do
		case "$in_page" in
		*" $o "*) pass ;;
		*) fail "vpmem${c:+-$c}.1 does not mention $o (named by 'vpmem ${c:+$c }--help')" ;;
		esac
	done
done
done_testing
