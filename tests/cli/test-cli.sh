#!/bin/sh
# The command skeleton: help, version, dispatch, usage errors, nothing written on error.
. "$(dirname "$0")/../lib.sh"

run_vpmem --version
expect_eq "--version status" "$rc" 0
expect_match "--version" "$out" '^vpmem [0-9]+\.[0-9]+'
run_vpmem --json version
expect_match "--json version" "$out" '"version":'

run_vpmem --help
expect_eq "--help status" "$rc" 0
for c in run guest help version; do expect_match "--help lists $c" "$out" "^  $c "; done
run_vpmem
expect_eq "no command is a usage error" "$rc" 2

run_vpmem help run
expect_eq "help run status" "$rc" 0
expect_match "help run" "$out" '^usage: vpmem run'
run_vpmem run --help
expect_match "run --help" "$out" '^usage: vpmem run'
run_vpmem guest --help
expect_match "guest --help" "$out" '^usage: vpmem guest'
run_vpmem help nosuch
expect_eq "help nosuch status" "$rc" 2
expect_match "help nosuch" "$err" "^vpmem: error: help: unknown command 'nosuch'"

run_vpmem frobnicate
expect_eq "unknown command status" "$rc" 2
expect_eq "unknown command message" "$err" "vpmem: error: 'frobnicate' is not a vpmem command (see 'vpmem --help')"
run_vpmem --frob
expect_eq "unknown global option" "$rc" 2
run_vpmem run --frob
expect_eq "unknown run option status" "$rc" 2
expect_eq "unknown run option" "$err" "vpmem: error: run: unknown option '--frob' (see 'vpmem help run')"
run_vpmem run --qemu-pmem
expect_eq "missing value status" "$rc" 2
run_vpmem run --qemu-pmem 1G stray
expect_eq "stray argument" "$rc" 2
expect_match "stray argument message" "$err" "unexpected argument 'stray'"

# Option errors, one parser for every command: one line, exit 2, the option named in full.
optcase() { # optcase WANT-STDERR ARGS...
	want=$1; shift
	run_vpmem "$@"
	expect_eq "'$*' status" "$rc" 2
	expect_eq "'$*' message" "$err" "vpmem: error: $want"
}
optcase "image: option '--slot' requires a value (see 'vpmem help image')" image create "$T/o.img" --slot
optcase "image: option '--slot' requires a value (see 'vpmem help image')" image create "$T/o.img" --sl
optcase "image: option '--json' takes no value (see 'vpmem help image')" image create --json=yes "$T/o.img"
optcase "image: unknown option '--frob' (see 'vpmem help image')" image create --frob "$T/o.img"
optcase "namespace: option '--mode' requires a value (see 'vpmem help namespace')" namespace create "$T/o.img" --mode
optcase "list: option '--label-size' requires a value (see 'vpmem help list')" list --label-size
optcase "list: unknown option '-x' (see 'vpmem help list')" list -x "$T/o.img"
optcase "map: option '--qemu-pid' requires a value (see 'vpmem help map')" map --qemu-pid
optcase "emulate: option '--grub-file' requires a value (see 'vpmem help emulate')" emulate apply --grub-file
optcase "emulate: unexpected argument 'extra' (see 'vpmem help emulate')" emulate plan extra
optcase "doctor: option '--size' requires a value (see 'vpmem help doctor')" doctor --size
optcase "guest: build: unknown option '--frob' (see 'vpmem help guest')" guest build --frob
optcase "guest: build: unexpected argument 'extra' (see 'vpmem help guest')" guest build extra
optcase "apply: option '--image' requires a value (see 'vpmem help apply')" apply "$T/l.json" --image
optcase "apply: unknown option '--frob' (see 'vpmem help apply')" apply --frob "$T/l.json"
optcase "layout: option '--slot' requires a value (see 'vpmem help layout')" layout --image "$T/o.img" --slot
optcase "layout: unexpected argument 'b' (see 'vpmem help layout')" layout --nova a b
optcase "goal: plan: option '--mode' requires a value (see 'vpmem help goal')" goal plan --mode
optcase "goal: check: unexpected argument 'extra' (see 'vpmem help goal')" goal check --mode memory extra
check "nothing created on option errors" test ! -e "$T/o.img"

# Bad sizes: one line, exit 2, nothing created.
for s in 0 12Q -1G 1.5G 4GB "" 99999999999999999999 16E; do
	run_vpmem run --qemu-pmem "$s" --print
	expect_eq "--qemu-pmem '$s' status" "$rc" 2
	expect_eq "--qemu-pmem '$s' one line" "$(printf '%s\n' "$err" | wc -l)" 1
	expect_match "--qemu-pmem '$s' message" "$err" '^vpmem: error: run: --qemu-pmem: '
done
run_vpmem run --qemu-pmem 0
expect_eq "--qemu-pmem 0 outside --print" "$rc" 2
run_vpmem run --qemu-pmem 12Q
expect_eq "--qemu-pmem 12Q outside --print" "$rc" 2
check "nothing created on bad input" test ! -e "$XDG_STATE_HOME"

# Planner errors are failures (1), also one line, also nothing created.
run_vpmem run --qemu-pmem 1G --label-size 64K
expect_eq "label-size too small" "$rc" 1
expect_match "label-size message" "$err" "below QEMU's minimum of 128K"
run_vpmem run --qemu-pmem 1G --qemu-nodes 4 --qemu-cores 2
expect_eq "more nodes than cores" "$rc" 1
run_vpmem run --qemu-pmem 1G --pmem-image "$T/missing.img"
expect_eq "missing image" "$rc" 1
expect_match "missing image message" "$err" "missing.img.*No such file"
mkdir "$T/adir"
run_vpmem run --pmem-image "$T/adir"
expect_match "directory as image" "$err" "is a directory: QEMU would back"
run_vpmem run --qemu-pmem 1G --pmem-dir "$T/nodir"
expect_match "missing pmem-dir" "$err" "is not a directory"
run_vpmem run --qemu-pmem 1G --persistence disk
expect_eq "bad persistence" "$rc" 2
run_vpmem run --qemu-pmem 1G --qemu-nodes 0
expect_eq "zero nodes" "$rc" 2
run_vpmem run --qemu-pmem 1G --accel xen
expect_eq "bad accel" "$rc" 2
check "nothing created on planner errors" test ! -e "$XDG_STATE_HOME"

# A backing of the wrong size is refused before anything starts.
mkdir -p "$XDG_STATE_HOME/vpmem/vm/default"
truncate -s 100M "$XDG_STATE_HOME/vpmem/vm/default/pmem0.img"
run_vpmem run --qemu-pmem 256M --guest-cmd true
expect_eq "wrong-size backing status" "$rc" 1
expect_match "wrong-size backing" "$err" "exists with size 100M, not the 256M planned"
expect_eq "wrong-size backing untouched" "$(stat -c %s "$XDG_STATE_HOME/vpmem/vm/default/pmem0.img")" 104857600

# --print: exact argv, one option per line, shell-quoted, nothing created.
run_vpmem run --qemu-pmem 256M --state-dir "$T/a, b" --print -- -d guest_errors
expect_eq "--print status" "$rc" 0
expect_match "--print mem-path escaped and quoted" "$out" "^  -object 'memory-backend-file,id=pmem0,share=on,mem-path=$T/a,, b/pmem0.img,size=268435456' \\\\$"
expect_match "--print nvdimm" "$out" '^  -device nvdimm,id=nvdimm0,memdev=pmem0,slot=0,node=0,addr=0x100000000 \\$'
expect_match "--print extra args" "$out" '^  -d guest_errors$'
check "--print creates nothing" test ! -e "$T/a, b"
run_vpmem run --qemu-pmem 256M --state-dir "$T/x" --print --json
expect_match "--print --json argv" "$out" '"argv":'
expect_match "--print --json id" "$out" '"id":"8680-56341200"'

# The quoted --print output is a command line a shell can run back into the same argv.
run_vpmem run --qemu-pmem 256M --state-dir "$T/it's here" --print
args=$(printf '%s\n' "$out" | sed 's/ \\$//' | tr '\n' ' ')
eval "set -- $args"
expect_eq "--print round-trips through sh" "$1 $5 $7" "qemu-system-x86_64 tcg max"
found=no
for a in "$@"; do case "$a" in *"mem-path=$T/it's here/pmem0.img"*) found=yes ;; esac; done
expect_eq "--print quoted path survives" "$found" yes

# The guest kernel: an alias or a linux-image-* package, one cache directory each;
# $VPMEM_GUEST_KERNEL is the default; bad names are usage errors that touch nothing.
C=$T/cache
for k in 6.1 6.12 linux-image-6.12.117+deb12-cloud-amd64; do
	XDG_CACHE_HOME=$C run_vpmem run --qemu-pmem 256M --state-dir "$T/k" --guest-kernel "$k" --print
	re=$(printf %s "$k" | sed 's/[.+]/\\&/g')
	expect_match "--guest-kernel $k kernel" "$out" "^  -kernel $C/vpmem/guest/$re/vmlinuz \\\\\$"
	expect_match "--guest-kernel $k initrd" "$out" "^  -initrd $C/vpmem/guest/$re/initrd\\.img \\\\\$"
done
XDG_CACHE_HOME=$C VPMEM_GUEST_KERNEL=6.12 run_vpmem run --qemu-pmem 256M --state-dir "$T/k" --print
expect_match "VPMEM_GUEST_KERNEL picks the guest" "$out" "^  -kernel $C/vpmem/guest/6.12/vmlinuz"
XDG_CACHE_HOME=$C VPMEM_GUEST_KERNEL=6.12 run_vpmem run --qemu-pmem 256M --state-dir "$T/k" --guest-kernel 6.1 --print
expect_match "--guest-kernel beats VPMEM_GUEST_KERNEL" "$out" "^  -kernel $C/vpmem/guest/6.1/vmlinuz"
XDG_CACHE_HOME=$C run_vpmem run --qemu-pmem 256M --state-dir "$T/k" --guest-kernel linux-image-cloud-amd64 --print
expect_match "a meta-package is its alias" "$out" "^  -kernel $C/vpmem/guest/6.1/vmlinuz"
XDG_CACHE_HOME=$C run_vpmem run --qemu-pmem 256M --state-dir "$T/bad" --guest-kernel 5.10 --guest-cmd true
expect_eq "unknown kernel status" "$rc" 2
expect_eq "unknown kernel" "$err" "vpmem: error: run: --guest-kernel: unknown guest kernel '5.10' (6.1, 6.12 or a Debian package linux-image-...) (see 'vpmem help run')"
XDG_CACHE_HOME=$C run_vpmem run --qemu-pmem 256M --state-dir "$T/bad" --guest-kernel 'linux-image-../x' --guest-cmd true
expect_eq "kernel package with a slash" "$rc" 2
XDG_CACHE_HOME=$C VPMEM_GUEST_KERNEL=bogus run_vpmem run --qemu-pmem 256M --state-dir "$T/bad" --guest-cmd true
expect_eq "bad VPMEM_GUEST_KERNEL status" "$rc" 2
expect_match "bad VPMEM_GUEST_KERNEL" "$err" "unknown guest kernel 'bogus' in \\\$VPMEM_GUEST_KERNEL"
run_vpmem run --qemu-pmem 256M --guest-kernel 6.12 --kernel /k --initrd /i --print
expect_eq "--guest-kernel with --kernel" "$err" "vpmem: error: run: --guest-kernel and --kernel cannot be combined (see 'vpmem help run')"
XDG_CACHE_HOME=$C run_vpmem guest path --guest-kernel 6.12
expect_eq "guest path of an unbuilt kernel" "$rc" 1
expect_eq "guest path message" "$err" "vpmem: error: the default guest for kernel 6.12 is not built in '$C/vpmem/guest/6.12' (run 'vpmem guest build --kernel-package 6.12')"
# guest path's options through the one option parser: the messages of every command
run_vpmem guest path --guest-kernel
expect_eq "guest path: a missing value says so" "$err" "vpmem: error: guest: path: option '--guest-kernel' requires a value (see 'vpmem help guest')"
run_vpmem guest path --frob
expect_eq "guest path: unknown option" "$err" "vpmem: error: guest: path: unknown option '--frob' (see 'vpmem help guest')"
run_vpmem guest path 6.12
expect_eq "guest path: an operand" "$err" "vpmem: error: guest: path: unexpected argument '6.12' (see 'vpmem help guest')"
XDG_CACHE_HOME=$C run_vpmem guest build --kernel-package 2.6
expect_eq "guest build of an unknown kernel" "$rc" 2
check "bad kernels create nothing" test ! -e "$C"
check "bad kernels start nothing" test ! -e "$T/bad"

# guest path says in text what --json says: directory, kernel, initrd, package, release
G=$T/gcache/vpmem/guest/6.12
mkdir -p "$G"
: >"$G/vmlinuz"
: >"$G/initrd.img"
echo linux-image-6.12.0-0-cloud-amd64 >"$G/kernel-package"
echo 6.12.0-0-cloud-amd64 >"$G/kernel-version"
XDG_CACHE_HOME=$T/gcache run_vpmem guest path --guest-kernel 6.12
expect_eq "guest path text" "$out" "dir     $G
kernel  $G/vmlinuz
initrd  $G/initrd.img
package linux-image-6.12.0-0-cloud-amd64
release 6.12.0-0-cloud-amd64"
XDG_CACHE_HOME=$T/gcache run_vpmem guest path --guest-kernel 6.12 --json
expect_eq "guest path --json: the same facts" "$(printf '%s' "$out" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["dir"], j["kernel"], j["initrd"], j["package"], j["release"])')" \
	"$G $G/vmlinuz $G/initrd.img linux-image-6.12.0-0-cloud-amd64 6.12.0-0-cloud-amd64"

done_testing
