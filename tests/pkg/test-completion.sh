#!/bin/bash
# The bash completion (contrib/bash-completion/vpmem), sourced into bash and
# driven as readline drives it: commands, subcommands, --mode values, image
# file names, VM names from 'vpmem vm list', and every --option that a
# command's --help names. $COMPLETION is the file.
. "$(dirname "$0")/../lib.sh"
: "${COMPLETION:?}"
# shellcheck disable=SC1090
. "$COMPLETION"
expect_match "registered for vpmem" "$(complete -p vpmem)" '^complete -F _vpmem vpmem$'

# comp LINE: what <Tab> at the end of LINE offers, sorted, one line
comp() {
	read -r -a COMP_WORDS <<<"$1"
	case $1 in *' ') COMP_WORDS+=('') ;; esac
	COMP_WORDS[0]=$VPMEM
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$1 COMP_POINT=${#1}
	COMPREPLY=()
	_vpmem vpmem "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

cmds=$("$VPMEM" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' | sort | tr '\n' ' ' | sed 's/ $//')
expect_eq "commands" "$(comp 'vpmem ')" "$cmds"
expect_eq "command prefix" "$(comp 'vpmem na')" "namespace"
expect_eq "global options" "$(comp 'vpmem --j')" "--json"
expect_eq "namespace subcommands" "$(comp 'vpmem namespace ')" "create destroy export import reconfigure"
expect_eq "vm subcommands" "$(comp 'vpmem vm ')" "list rm stop"
expect_eq "--mode values" "$(comp 'vpmem namespace create a.img --mode ')" "devdax fsdax raw sector"
expect_eq "--mode prefix" "$(comp 'vpmem namespace create a.img --mode f')" "fsdax"
expect_eq "goal --mode values" "$(comp 'vpmem goal plan --mode ')" "appdirect appdirect-notinterleaved memory"
expect_eq "--map values" "$(comp 'vpmem namespace create a.img --map ')" "dev mem"
expect_eq "--accel values" "$(comp 'vpmem run --accel ')" "auto kvm tcg"
expect_eq "a size is not guessed" "$(comp 'vpmem image create a.img --size ')" ""
expect_eq "namespace create options" "$(comp 'vpmem namespace create a.img --s')" \
	"--sector-size --size --slot --spa"

# image file names
mkdir "$T/imgs" "$T/imgs/sub" && touch "$T/imgs/vm0.img" "$T/imgs/vm1.img" "$T/imgs/notes.txt"
cd "$T/imgs" || exit 1
expect_eq "list: file names" "$(comp 'vpmem list vm')" "vm0.img vm1.img"
expect_eq "namespace create: file names" "$(comp 'vpmem namespace create v')" "vm0.img vm1.img"
expect_eq "run --pmem-image: file names" "$(comp 'vpmem run --pmem-image vm1')" "vm1.img"
expect_eq "run --pmem-dir: directories" "$(comp 'vpmem run --pmem-dir ')" "sub"

# VM names, from the state 'vpmem run' leaves (made by hand, as tests/cli/test-vm.sh does)
for n in alpha beta; do
	mkdir -p "$XDG_STATE_HOME/vpmem/vm/$n"
	cat >"$XDG_STATE_HOME/vpmem/vm/$n/spec.json" <<JSON
{ "name": "$n", "launcher": "qemu", "virtio_pmem": false,
  "dimms": [ { "path": "$T/imgs/vm0.img", "slot": 0, "node": 0, "size": 67108864,
               "label_size": 0, "region_size": 67108864, "addr": 4294967296, "created": false } ],
  "options": [ "--qemu-pmem", "64M" ], "argv": [ "qemu-system-x86_64" ] }
JSON
done
expect_eq "vm list sees the VMs" "$("$VPMEM" vm list --json | grep -c '"name"')" 2
expect_eq "vm stop: VM names" "$(comp 'vpmem vm stop ')" "alpha beta"
expect_eq "vm rm: VM name prefix" "$(comp 'vpmem vm rm b')" "beta"
expect_eq "run --name: VM names" "$(comp 'vpmem run --name a')" "alpha"
expect_eq "map --vm: VM names" "$(comp 'vpmem map --vm ')" "alpha beta"

# every --option of every command's help is offered (the completion cannot drift)
for c in $cmds; do
	case $c in help|version) continue ;; esac
	subs=$(comp "vpmem $c ")
	case $c in vm|image|namespace|goal|emulate|guest|cxl) ;; *) subs= ;; esac
	offered=
	if [ -n "$subs" ]; then
		for s in $subs; do offered="$offered $(comp "vpmem $c $s -")"; done
	else
		offered=$(comp "vpmem $c -")
	fi
	for o in $("$VPMEM" "$c" --help | grep -oE -- '(^|[^A-Za-z0-9_/.-])--[a-z][a-z0-9-]*' | sed -E 's/^[^-]*//' | sort -u); do
		# options of other commands or tools that a help text quotes
		case "$c $o" in
		"cxl --cxl-pmem" | "image --image" | "image --cxl-pmem" | "image --pmem-image" | "run --cxl" | "map --libvirt" | "vm --libvirt" | "layout --property")
			continue ;;
		esac
		case " $offered " in
		*" $o "*) pass ;;
		*) fail "'vpmem $c' completion does not offer $o (named by 'vpmem $c --help')" ;;
		esac
	done
done
done_testing
