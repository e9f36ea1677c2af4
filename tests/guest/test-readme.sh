#!/bin/sh
# The README runs top to bottom: every line of every ```sh block in README.md
# runs, in order, in one shell (so `cd` and background jobs carry over), with
# the vpmem under test first on PATH; each must exit 0, or N when the line ends
# with "(exit status N)". No line is skipped: the count run is checked against
# the count extracted.
#
# The first block (marked "readme-test: setup") holds the two set-up commands,
# which are not re-run inside the test suite (the second one *is* the test
# suite; both install packages as root): the test checks that they are exactly
# those two, that .ci/run runs the second, and it runs the demo's own guest
# step (the command scripts/setup.sh demo ends with) and compares its output
# with the JSON the README shows. Examples that need libvirtd get it started
# here (tests/lib-libvirt.sh), as the set-up command's packages would on a
# Debian machine with systemd.
#
# As on a fresh machine, the examples get a cache of their own (the default
# guests are built there by the examples themselves: other checkouts rebuild
# the shared one meanwhile); the kernel packages come from the shared cache's
# debs/ as from apt's archive (VPMEM_APT_ARCHIVES), so nothing is downloaded.
shared_debs=$("$VPMEM" guest path --json 2>/dev/null | python3 -c 'import json,sys,os; print(os.path.join(os.path.dirname(json.load(sys.stdin)["dir"]), "debs"))' 2>/dev/null)
[ -n "$shared_debs" ] || shared_debs=${XDG_CACHE_HOME:-$HOME/.cache}/vpmem/guest/debs
export VPMEM_APT_ARCHIVES="$shared_debs /var/cache/apt/archives"
C=$(mktemp -d "${TMPDIR:-/tmp}/vpmem-readme-cache.XXXXXX")
export XDG_CACHE_HOME="$C"
. "$(dirname "$0")/lib-guest.sh"
. "$(dirname "$0")/../lib-libvirt.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
libvirt_up
# the README's VMs by name: what a failed run leaves is removed at exit
readme_down() {
	[ -f "$T/work.dir" ] && [ -f "$(cat "$T/work.dir")/bg.out" ] && "$VPMEM" vm stop bg --timeout 5 >/dev/null 2>&1
	"$VPMEM" vm rm lv >/dev/null 2>&1
	virsh -c qemu:///system destroy lv >/dev/null 2>&1
	libvirt_down
	[ -n "${KEEP_T:-}" ] || rm -rf "$T" "$C"
}
trap readme_down EXIT

python3 - "$src/README.md" "$T" <<'EOF' || { echo "FAIL: cannot extract the README's examples" >&2; exit 1; }
import re, sys
text = open(sys.argv[1]).read()
out = sys.argv[2]
blocks = [(m.start(), m.group(1)) for m in re.finditer(r"^```sh\n(.*?)^```$", text, re.S | re.M)]
first = text.index("```")
setup = text[:first].rstrip().endswith("-->") and "readme-test: setup" in text[:first]
with open(out + "/setup.txt", "w") as f:
    f.write(("marked\n" if setup and blocks and blocks[0][0] == first else "unmarked\n") + blocks[0][1])
json_m = re.search(r"^```json\n(.*?)^```$", text, re.S | re.M)
open(out + "/demo.json", "w").write(json_m.group(1) if json_m else "")
n = 0
with open(out + "/examples.sh", "w") as f:
    for _, body in blocks[1:]:
        for line in body.splitlines():
            if not line.strip():
                continue
            n += 1
            m = re.search(r"\(exit status (\d+)\)\s*$", line)
            f.write("ex %d %s <<'VPMEM_README_LINE'\n%s\nVPMEM_README_LINE\n" % (n, m.group(1) if m else 0, line))
open(out + "/count", "w").write(str(n))
EOF

# --- the two set-up commands: not re-run, checked
expect_eq "README starts with the marked set-up block" "$(head -n1 "$T/setup.txt")" marked
expect_match "first command: the demo" "$(sed -n 2p "$T/setup.txt")" '^\./scripts/setup\.sh demo +#'
expect_match "second command: all tests" "$(sed -n 3p "$T/setup.txt")" '^\./scripts/setup\.sh test +#'
expect_eq "the set-up block holds just those two" "$(wc -l <"$T/setup.txt")" 3
check ".ci/run runs the second" grep -qx 'exec ./scripts/setup.sh test' "$src/.ci/run"
demo_cmd="run --qemu-pmem 256M --timeout 600 --guest-cmd 'ndctl list -D'"
check "the demo ends with its guest step" grep -qF "\"\$vpmem\" $demo_cmd" "$src/scripts/setup.sh"
"$VPMEM" run -q --name demo --qemu-pmem 256M --timeout 600 --guest-cmd 'ndctl list -D' >"$T/demo.out" 2>"$T/demo.err"
expect_eq "demo's guest step" "$?" 0
expect_eq "demo output as the README shows it" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])))' "$T/demo.out" "$T/demo.json" 2>&1)" True

# --- every other line, in order
mkdir -p "$T/bin" "$T/tmp" "$T/man/man1"
ln -s "$VPMEM" "$T/bin/vpmem"
# what the set-up command's `meson install` gives, from the build tree: the man
# pages (MANPATH) and libvpmem.pc (meson's -uninstalled.pc, which pkg-config prefers)
build=$(cd "$(dirname "$VPMEM")/.." && pwd)
for m in "$build"/doc/man/*.1; do [ -f "$m" ] && ln -s "$m" "$T/man/man1/"; done
export MANPATH="$T/man:" PKG_CONFIG_PATH="$build/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
cat >"$T/run.sh" <<'EOF'
ran=0
ex() {
	_n=$1 _want=$2
	_line=$(cat)
	echo "=== README example $_n: $_line" >&2
	eval "$_line" >"$T/ex.$_n.out" 2>"$T/ex.$_n.err" </dev/null
	_rc=$?
	ran=$((ran + 1))
	cat "$T/ex.$_n.out" "$T/ex.$_n.err" >&2
	echo "$_rc" >"$T/ex.$_n.rc"
	[ "$_rc" = "$_want" ] || echo "FAIL: README example $_n exited $_rc, want $_want: $_line" >&2
	pwd >"$T/work.dir"
}
EOF
cat "$T/examples.sh" >>"$T/run.sh"
echo 'echo "$ran" >"$T/ran"' >>"$T/run.sh"
(cd "$T/tmp" && PATH="$T/bin:$PATH" TMPDIR="$T/tmp" T="$T" sh "$T/run.sh") 2>"$T/run.log"
cat "$T/run.log" >&2
n=$(cat "$T/count")
check "the README has examples" test "$n" -gt 20
expect_eq "every example line ran" "$(cat "$T/ran" 2>/dev/null)" "$n"
i=1
while [ "$i" -le "$n" ]; do
	_want=$(sed -n "$((i * 3 - 2))p" "$T/examples.sh" | cut -d' ' -f3)
	expect_eq "example $i: $(sed -n "$((i * 3 - 1))p" "$T/examples.sh" | cut -c1-100)" "$(cat "$T/ex.$i.rc" 2>/dev/null)" "$_want"
	i=$((i + 1))
done

# --- a few results, beyond exit statuses
ex_out() { # PATTERN: the output of the first example line matching PATTERN
	_i=$(grep -n -F -- "$1" "$T/examples.sh" | head -n1 | cut -d: -f1)
	cat "$T/ex.$((_i / 3 + 1)).out" "$T/ex.$((_i / 3 + 1)).err" 2>/dev/null
}
expect_match "the 6.12 guest runs 6.12" "$(ex_out "--guest-kernel 6.12")" '^6\.12\.'
expect_match "two nodes, two regions" "$(ex_out "--name two")" '"dev":"region1"'
expect_match "the virtio disk is seen" "$(ex_out "if=virtio")" '^131072$'
expect_match "the image's namespace in the guest, fsdax" "$(ex_out "--name img")" '"mode":"fsdax"'
expect_match "mounted with DAX" "$(ex_out "--name img")" '/dev/pmem0 /mnt ext4 .*dax'
expect_match "the file system kept through reconfigure" "$(ex_out "mount /dev/pmem0s")" '^lost\+found$'
expect_match "the CXL image's namespace in the guest" "$(ex_out "--name cxlimg")" '"mode":"fsdax"'
expect_match "the man page is found" "$(ex_out "man vpmem-run")" '^[1-9][0-9]*$'
expect_match "pkg-config knows libvpmem" "$(ex_out "pkg-config --cflags --libs libvpmem")" '-lvpmem'
expect_match "the map joins the guest's nmem0" "$(ex_out "vpmem map --vm mapped")" 'nmem0'
expect_match "vm list shows the running VM" "$(ex_out "vpmem vm list")" '^bg +running'

done_testing
