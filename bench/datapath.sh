#!/bin/sh
# The data path against its anchors, side by side in one run (ratios,
# medians of alternating rounds; these machines are shared and noisy):
#   1. 4 KiB random write / read through the BTT, 1 and 4 threads, on tmpfs:
#      libvpmem vs PMDK libpmemblk (PMEM_IS_PMEM_FORCE=1), same pool size;
#      wall-clock IOPS and CPU time per op; instructions per op (callgrind)
#   2. `vpmem namespace import` of a 1 GiB file into raw, fsdax and sector
#      namespaces vs `cp --reflink=never` of the same file, same file system
#   3. nbdcopy in and out through the vpmem nbdkit plugin vs nbdkit's own
#      file plugin over a plain file of the same size, same bytes
#
#      (wall time, and the server's CPU time: utime + stime of nbdkit, the
#      figure the machine's other load distorts least)
#
# usage: VPMEM=build/src/vpmem BTTIO=build/bench/btt-io PLUGIN=build/plugins/nbdkit/nbdkit-vpmem-plugin.so \
#        [SECTIONS="1 2 3"] bench/datapath.sh [ROUNDS] [OPS]
set -eu
: "${VPMEM:?}" "${BTTIO:?}"
rounds=${1:-3}
ops=${2:-20000}
sections=${SECTIONS:-1 2 3}
want() { case " $sections " in *" $1 "*) return 0 ;; esac; return 1; }
shm=$(mktemp -d /dev/shm/vpmem-bench.XXXXXX)
disk=$(mktemp -d /var/tmp/vpmem-bench.XXXXXX)
trap 'rm -rf "$shm" "$disk"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
now() { date +%s%N; }

if want 1; then
echo "== 1. BTT 4 KiB random I/O on tmpfs (1 GiB), $ops ops, $rounds rounds"
"$VPMEM" image create "$shm/v.img" --size 1040M --no-labels >/dev/null
"$VPMEM" namespace create "$shm/v.img" --mode sector >/dev/null
size=$(( $("$VPMEM" list --json "$shm/v.img" | python3 -c 'import json,sys; print(json.load(sys.stdin)["regions"][0]["namespaces"][0]["size"])') ))
for threads in 1 4; do
	for op in write read; do
		: >"$shm/v.res"
		: >"$shm/p.res"
		for r in $(seq 1 "$rounds"); do
			"$BTTIO" vpmem "$shm/v.img" namespace0.0 $op $threads "$ops" >>"$shm/v.res"
			PMEM_IS_PMEM_FORCE=1 "$BTTIO" pmemblk "$shm/p.pool" "$size" $op $threads "$ops" >>"$shm/p.res"
		done
		vi=$(field iops <"$shm/v.res" | median)
		pi=$(field iops <"$shm/p.res" | median)
		vc=$(field cpu_us_per_op <"$shm/v.res" | median)
		pc=$(field cpu_us_per_op <"$shm/p.res" | median)
		printf '%-5s threads=%s  vpmem %8.0f IOPS %6.2f us-cpu/op | pmemblk %8.0f IOPS %6.2f us-cpu/op | IOPS ratio %.2fx, CPU ratio %.2fx\n' \
			$op $threads "$vi" "$vc" "$pi" "$pc" "$(echo "$vi / $pi" | bc -l)" "$(echo "$pc / $vc" | bc -l)"
	done
done
if command -v valgrind >/dev/null; then
	echo "-- instructions per op (callgrind, 1 thread, (Ir(4000 ops) - Ir(2000 ops)) / 2000)"
	ir() { valgrind --tool=callgrind --callgrind-out-file="$shm/cg.out" "$@" >/dev/null 2>"$shm/cg.err"
	       sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$shm/cg.err"; }
	for op in write read; do
		v1=$(ir "$BTTIO" vpmem "$shm/v.img" namespace0.0 $op 1 2000)
		v2=$(ir "$BTTIO" vpmem "$shm/v.img" namespace0.0 $op 1 4000)
		p1=$(PMEM_IS_PMEM_FORCE=1 ir "$BTTIO" pmemblk "$shm/p.pool" "$size" $op 1 2000)
		p2=$(PMEM_IS_PMEM_FORCE=1 ir "$BTTIO" pmemblk "$shm/p.pool" "$size" $op 1 4000)
		printf '%-5s vpmem %6d instr/op | pmemblk %6d instr/op (user space only; the kernel side of pread/pwrite is not counted)\n' \
			$op $(((v2 - v1) / 2000)) $(((p2 - p1) / 2000))
	done
fi
rm -f "$shm"/*
fi

want 2 && echo "== 2. import 1 GiB vs cp --reflink=never (/var/tmp, $rounds rounds, alternating)"
head -c $((1 << 30)) /dev/urandom >"$disk/src.bin"
"$VPMEM" image create "$disk/i.img" --size 3200M --label-version 1.2 >/dev/null
"$VPMEM" namespace create "$disk/i.img" --mode raw --size 1040M --name r >/dev/null
"$VPMEM" namespace create "$disk/i.img" --mode fsdax --size 1072M --name fs >/dev/null
"$VPMEM" namespace create "$disk/i.img" --mode sector --size 1056M --name s4 >/dev/null
for m in r fs s4; do : >"$disk/t.$m"; done
: >"$disk/t.cp"
want 2 || rounds2=0
for r in $(seq 1 "${rounds2:-$rounds}"); do
	for m in r fs s4; do
		rm -f "$disk/copy.bin"
		t0=$(now); cp --reflink=never "$disk/src.bin" "$disk/copy.bin"; sync "$disk/copy.bin"; t1=$(now)
		echo $(((t1 - t0) / 1000000)) >>"$disk/t.cp"
		t0=$(now); "$VPMEM" namespace import "$disk/i.img" --name $m --from "$disk/src.bin" >/dev/null; t1=$(now)
		echo $(((t1 - t0) / 1000000)) >>"$disk/t.$m"
	done
done
cpm=$(median <"$disk/t.cp")
want 2 && for m in r fs s4; do
	t=$(median <"$disk/t.$m")
	printf 'import %-6s %6d ms | cp %6d ms | speed ratio %.2fx\n' "$m" "$t" "$cpm" "$(echo "$cpm / $t" | bc -l)"
done
rm -f "$disk/copy.bin"

if want 3 && [ -n "${PLUGIN:-}" ] && command -v nbdkit >/dev/null && command -v nbdcopy >/dev/null; then
	echo "== 3. nbdcopy through the vpmem plugin vs nbdkit's file plugin (1 GiB, $rounds rounds)"
	nsz=$("$VPMEM" list --json "$disk/i.img" | python3 -c 'import json,sys; print([n for n in json.load(sys.stdin)["regions"][0]["namespaces"] if n.get("name")=="fs"][0]["size"])')
	truncate -s "$nsz" "$disk/plain.img"
	head -c $((1 << 30)) "$disk/src.bin" >"$disk/in.bin"
	serve() { rm -f "$disk/sock"; nbdkit -U "$disk/sock" -P "$disk/pid" "$@"; while [ ! -S "$disk/sock" ]; do sleep 0.05; done; }
	stop() { p=$(cat "$disk/pid"); kill "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; }
	hz=$(getconf CLK_TCK)
	cpu() { awk -v hz="$hz" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$(cat "$disk/pid")/stat"; }
	# the namespaces start empty (never-written BTT, holes), like the plain file
	"$VPMEM" namespace import "$disk/i.img" --name fs --from /dev/null >/dev/null
	"$VPMEM" namespace import "$disk/i.img" --name s4 --from /dev/null >/dev/null
	for w in fs s4 file; do for f in in out cin cout; do : >"$disk/$f.$w"; done; done
	for r in $(seq 1 "$rounds"); do
		for w in fs s4 file; do
			if [ $w = file ]; then serve file "$disk/plain.img"; else serve "$PLUGIN" file="$disk/i.img" namespace=$w; fi
			u="nbd+unix:///?socket=$disk/sock"
			c0=$(cpu); t0=$(now); nbdcopy "$disk/in.bin" "$u"; t1=$(now); c1=$(cpu)
			nbdcopy "$u" null:; t2=$(now); c2=$(cpu)
			stop
			echo $(((t1 - t0) / 1000000)) >>"$disk/in.$w"
			echo $(((t2 - t1) / 1000000)) >>"$disk/out.$w"
			echo $((c1 - c0)) >>"$disk/cin.$w"
			echo $((c2 - c1)) >>"$disk/cout.$w"
		done
	done
	fi_in=$(median <"$disk/in.file"); fi_out=$(median <"$disk/out.file")
	fc_in=$(median <"$disk/cin.file"); fc_out=$(median <"$disk/cout.file")
	for w in fs s4; do
		for d in in out; do
			a=$(median <"$disk/$d.$w"); c=$(median <"$disk/c$d.$w")
			fa=$(median <"$disk/$d.file"); fc=$(median <"$disk/c$d.file")
			printf 'plugin %-3s %-3s %6d ms (file %6d ms, ratio %.2fx) | server CPU %5d ms (file %5d ms, ratio %.2fx)\n' \
				$w $d "$a" "$fa" "$(echo "$fa / $a" | bc -l)" "$c" "$fc" "$(echo "$fc / ($c + 0.001)" | bc -l)"
		done
	done
fi
