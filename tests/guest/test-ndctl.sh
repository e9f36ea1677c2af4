#!/bin/sh
# ndctl parity: `vpmem list --json` with ndctl's options (-D -R -N -u -v and
# the filters -r -d -n -m) prints what the real `ndctl list` prints with the
# same options in a guest booted on the same images: the same top-level shape
# and, for every DIMM, region and namespace, the same keys and values (keys
# only a live system knows are skipped by name in compare-ndctl.py).
. "$(dirname "$0")/lib-guest.sh"
here=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1

mk() { "$VPMEM" "$@" >/dev/null || fail "vpmem $*"; }
# slot 0: labels v1.2, every mode; slot 1: label-less raw; slot 2: labels
# v1.1, fsdax map=mem and sector 512; slot 3: label-less fsdax
mk image create a.img --size 512M --label-version 1.2 --slot 0
mk namespace create a.img -m raw -s 48M -n n-raw
mk namespace create a.img -m sector -s 48M -n n-sector
mk namespace create a.img -m fsdax -s 64M -n n-fsdax
mk namespace create a.img -m devdax -s 48M -n n-devdax
mk namespace create a.img -m devdax -a 4K -s 32M
mk image create b.img --size 128M --no-labels --slot 1
mk image create c.img --size 256M --label-version 1.1 --slot 2
mk namespace create c.img -m fsdax -M mem -s 64M
mk namespace create c.img -m sector -l 512 -s 32M -n s512
mk image create d.img --size 256M --no-labels --slot 3
mk namespace create d.img -m fsdax
imgs="a.img b.img c.img d.img"

# host region/DIMM N is image N; the guest's numbers are found by DIMM id
opts_fixed='-N|-R|-D|-RN|-DR|-DN|-DRN|-Nu|-Ru|-Du|-RNu|-DRNu|-Nv|-Rv|-Dv|-m fsdax|-m sector -u|-N -m devdax -u|-m raw|-R -m fsdax -u|-m memory'
mkdir host
# shellcheck disable=SC2086
"$VPMEM" list --json -DR $imgs >host/map.json || fail "vpmem list -DR"
k=0
IFS='|'
for o in $opts_fixed; do
	IFS=' '
	# shellcheck disable=SC2086
	"$VPMEM" list --json $o $imgs >host/$k.json || fail "vpmem list $o"
	k=$((k + 1))
	IFS='|'
done
IFS=' '
# filters naming devices: host names here, the guest's found from the id
for f in "-r region0" "-d nmem2" "-n namespace0.3" "-n 2.1" "-r 2 -N" "-R -d nmem0" "-D -n namespace2.0"; do
	# shellcheck disable=SC2086
	"$VPMEM" list --json $f $imgs >host/$k.json || fail "vpmem list $f"
	k=$((k + 1))
done

args=
for i in $imgs; do args="$args --pmem-image $T/$i"; done
# shellcheck disable=SC2086
guest_run --qemu-memory 1G $args '
echo "=== map"; ndctl list -DR
opts='"'$opts_fixed'"'
IFS="|"
for o in $opts; do IFS=" "; echo "=== $o"; ndctl list $o; IFS="|"; done
IFS=" "
dimm() { ndctl list -D | awk -F\" -v id="$1" "/\"dev\"/ {d=\$4} \$4 == id {print d}" | head -n1; }
region() { ndctl list -R -d "$1" | awk -F\" "/\"dev\"/ {print \$4; exit}"; }
d0=$(dimm 8680-56341200); d2=$(dimm 8680-58341200)
r0=$(region $d0); r2=$(region $d2)
echo "=== -r region0"; ndctl list -r $r0
echo "=== -d nmem2"; ndctl list -d $d2
echo "=== -n namespace0.3"; ndctl list -n namespace${r0#region}.3
echo "=== -n 2.1"; ndctl list -n ${r2#region}.1
echo "=== -r 2 -N"; ndctl list -r ${r2#region} -N
echo "=== -R -d nmem0"; ndctl list -R -d $d0
echo "=== -D -n namespace2.0"; ndctl list -D -n namespace${r2#region}.0
'
expect_eq "guest status" "$grc" 0
printf '%s\n' "$gout" >guest.out
res=$(python3 "$here/compare-ndctl.py" guest.out host)
expect_eq "vpmem list agrees with ndctl list, option by option" "$?" 0
printf '%s\n' "$res" >&2
expect_match "every listing compared" "$res" "compared $k listings"
done_testing
