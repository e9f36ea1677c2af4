#!/bin/sh
# The nbdkit plugin through real nbdkit and nbdcopy: an ext4 image copied in
# and out of an fsdax, a 512- and a 4096-sector namespace (byte-exact,
# e2fsck-clean, agrees with vpmem namespace export), nbdkit -r refuses writes,
# the served image is locked against vpmem (run, import, create: the server's
# pid named) and a second server, and a mapped
# image (a running VM) is refused.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
: "${PLUGIN:?}"
for p in nbdkit nbdcopy nbdinfo mke2fs; do
	command -v $p >/dev/null || { echo "SKIP: $p missing (nbdkit, libnbd-bin, e2fsprogs)"; exit 77; }
done
sum() { sha256sum "$1" | cut -d' ' -f1; }
serve() { # IMAGE NAMESPACE [nbdkit options]: start nbdkit on $T/sock
	img=$1 ns=$2
	shift 2
	rm -f sock nbdkit.pid
	nbdkit "$@" -U "$T/sock" -P "$T/nbdkit.pid" "$PLUGIN" file="$img" namespace="$ns" 2>"$T/nbdkit.err"
	r=$?
	i=0
	while [ $r = 0 ] && [ ! -S sock ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	return $r
}
stop() { # the server exits and drops the image lock
	[ -s nbdkit.pid ] || return 0
	pid=$(cat nbdkit.pid)
	kill "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	rm -f nbdkit.pid
}
trap 'stop; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
uri="nbd+unix:///?socket=$T/sock"

mkdir src && head -c 900000 /dev/urandom >src/r.bin && seq 1 30000 >src/n.txt
mke2fs -q -F -t ext4 -d src fs.ext4 30M >/dev/null 2>&1
"$VPMEM" image create a.img --size 256M --label-version 1.2 >/dev/null
"$VPMEM" namespace create a.img --mode fsdax --size 48M --name fs >/dev/null
"$VPMEM" namespace create a.img --mode sector --size 48M --name s4 >/dev/null
"$VPMEM" namespace create a.img --mode sector --size 48M --sector-size 512 --name s512 >/dev/null
uuid=$("$VPMEM" list --json a.img | python3 -c 'import json,sys; print([n for n in json.load(sys.stdin)["regions"][0]["namespaces"] if n.get("name")=="s512"][0]["uuid"])')

for sel in fs s4 "$uuid"; do
	check "serve $sel" serve a.img "$sel"
	size=$(nbdinfo --size "$uri")
	check "nbdcopy fs.ext4 into $sel" nbdcopy fs.ext4 "$uri"
	check "nbdcopy $sel out" nbdcopy "$uri" out.img
	stop
	expect_eq "$sel: export size is the namespace's" "$(stat -c %s out.img)" "$size"
	head -c "$(stat -c %s fs.ext4)" out.img >head.img
	expect_eq "$sel: bytes round trip" "$(sum head.img)" "$(sum fs.ext4)"
	check "$sel: e2fsck -fn clean" e2fsck -fn head.img >/dev/null 2>&1
	"$VPMEM" namespace export a.img $( [ "$sel" = "$uuid" ] && echo --uuid || echo --name) "$sel" --to via-vpmem.img >/dev/null
	expect_eq "$sel: vpmem export agrees with nbd" "$(sum via-vpmem.img)" "$(sum out.img)"
done
bs=$(serve a.img s512 && nbdinfo --json "$uri" | python3 -c 'import json,sys; print(json.load(sys.stdin)["exports"][0]["block_size_minimum"])'; stop)
expect_eq "512-sector namespace: minimum block size 512" "$bs" 512

# read-only
check "serve -r" serve a.img fs -r
printf 'x' >x.bin
nbdcopy x.bin "$uri" 2>/dev/null
expect_eq "nbdkit -r refuses writes" "$([ $? -ne 0 ] && echo refused)" refused
# while served: vpmem and a second server are refused
run_vpmem namespace import a.img --name s4 --from fs.ext4
expect_match "import refused while served" "$err" "is locked by another process"
run_vpmem namespace create a.img --mode raw --size 16M
expect_match "namespace create refused while served" "$err" "is locked by another process"
nbdkit -U "$T/sock2" "$PLUGIN" file=a.img namespace=fs 2>"$T/e2"
expect_match "a second server is refused" "$(cat "$T/e2")" "locked by another process"
# nbdkit forked into the background after taking the lock: the server's pid is named
spid=$(cat nbdkit.pid)
expect_match "import names the server" "$(run_vpmem namespace import a.img --name s4 --from fs.ext4; echo "$err")" \
	"locked by another process \(pid $spid, nbdkit\)"
run_vpmem run --name served --accel tcg --timeout 120 --pmem-image a.img --guest-cmd true
expect_eq "run on a served image: refused" "$rc" 1
expect_eq "run on a served image: one line naming nbdkit's pid" "$err" \
	"vpmem: error: 'a.img' is being served by nbdkit (pid $spid): stop it first"
stop

# a mapped image (a running VM) is refused
python3 -c '
import mmap, sys, time
f = open(sys.argv[1], "r+b"); m = mmap.mmap(f.fileno(), 4096)
print("mapped", flush=True); time.sleep(3)' a.img >mapped.out 2>&1 &
mpid=$!
i=0
while ! grep -q mapped mapped.out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
serve a.img fs
expect_match "a mapped image is refused" "$(cat "$T/nbdkit.err")" "mapped by process $mpid"
wait $mpid
# bad parameters
nbdkit -U "$T/sock3" "$PLUGIN" file=a.img namespace=nope 2>"$T/e3"
expect_match "unknown namespace" "$(cat "$T/e3")" "no namespace has that name"
done_testing
