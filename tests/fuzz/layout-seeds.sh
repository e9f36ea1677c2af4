#!/bin/sh
# Seeds for fuzz-layout (run in the fuzzer's work directory, writes ./corpus):
# the layouts and the real ipmctl outputs of tests/data, each behind the
# selector byte fuzz-layout.c reads, and one ndctl list -RD document.
# usage: layout-seeds.sh FUZZ_DIR
set -eu
d=$1/../data
i=0
for f in "$d"/layout/*.json; do
	{ printf '\000'; cat "$f"; } >"corpus/l$i"; i=$((i + 1))
done
for f in "$d"/ipmctl/*.xml "$d"/ipmctl/*.txt; do
	{ printf '\001'; cat "$f"; } >"corpus/i$i"; i=$((i + 1))
done
printf '\003{"dimms":[{"dev":"nmem0"}],"regions":[{"dev":"region0","type":"pmem","numa_node":0,"mappings":[{"dimm":"nmem0"}]}]}' >corpus/n
