#!/bin/sh
# vpmem goal plan|check on real ipmctl outputs published by their owners
# (tests/data/ipmctl/README.md): nvmxml and text, AppDirect vs
# AppDirectNotInterleaved, pending goals, refusals; no Optane hardware here.
. "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")/../data/ipmctl" && pwd)
cd "$T" || exit 1

run_vpmem goal plan --mode appdirect
expect_match "plan: the exact command" "$out" '^ipmctl create -goal PersistentMemoryType=AppDirect$'
expect_match "plan: reasoning" "$out" '^# AppDirect: the modules of each socket are interleaved into one region'
run_vpmem goal plan --mode appdirect-notinterleaved --memory-mode 20
expect_match "plan NI + memory mode" "$out" '^ipmctl create -goal MemoryMode=20 PersistentMemoryType=AppDirectNotInterleaved$'
run_vpmem goal plan --mode memory
expect_match "plan memory mode" "$out" '^ipmctl create -goal MemoryMode=100$'
run_vpmem goal plan --mode appdirect --socket 1
expect_match "plan one socket" "$out" '^ipmctl create -goal -socket 0x0001 PersistentMemoryType=AppDirect$'
run_vpmem goal plan --mode appdirect --ipmctl "$D/issue110-dimm.txt"
expect_match "plan with show -dimm (text): socket 0" "$out" 'expect on socket 0x0000: 1 region of about 1005.0 GiB App Direct \(2 modules, interleaved\)'
expect_match "plan with show -dimm (text): socket 1" "$out" 'expect on socket 0x0001: 1 region'
run_vpmem goal plan --mode appdirect-notinterleaved --ipmctl "$D/ansible-dimm.xml"
expect_match "plan with show -dimm (nvmxml)" "$out" 'expect on socket 0x0001: 2 regions of about 126.4 GiB App Direct \(2 modules, each\)'
run_vpmem goal plan --mode appdirect --memory-mode 100
expect_eq "memory-mode 100 with appdirect" "$rc" 1
for bad in "--mode fast" "--mode appdirect --memory-mode 101" "--mode appdirect --socket x" "" "--mode appdirect extra"; do
	# shellcheck disable=SC2086
	run_vpmem goal plan $bad
	expect_eq "goal plan $bad: usage" "$rc" 2
	expect_eq "goal plan $bad: one line" "$(printf '%s\n' "$err" | wc -l)" 1
done

# check: the region outputs say whether the goal took effect
run_vpmem goal check --mode appdirect --ipmctl "$D/issue200-region.xml"
expect_eq "AppDirect on 2 sockets (nvmxml): in effect" "$rc" 0
expect_match "8 modules interleaved" "$out" 'socket 0x0001: 1 interleaved region over 8 modules, 1008.0 GiB App Direct: as the goal asks'
run_vpmem goal check --mode appdirect-notinterleaved --ipmctl "$D/issue200-region.xml"
expect_eq "same, asked NotInterleaved: not in effect" "$rc" 1
expect_match "the reason" "$out" 'spans 8 modules; AppDirectNotInterleaved gives each its own'
run_vpmem goal check --mode appdirect-notinterleaved --ipmctl "$D/issue141-region.txt"
expect_eq "NotInterleaved, 8 regions (text): in effect" "$rc" 0
expect_match "8 non-interleaved" "$out" '8 non-interleaved regions over 8 modules, 1008.0 GiB'
run_vpmem goal check --mode appdirect --ipmctl "$D/issue141-region.txt"
expect_eq "same, asked AppDirect: not in effect" "$rc" 1
run_vpmem goal check --mode appdirect --ipmctl "$D/issue156-region.txt"
expect_eq "8 sockets AppDirect (text with rule): in effect" "$rc" 0
expect_eq "8 sockets reported" "$(printf '%s\n' "$out" | grep -c 'as the goal asks')" 8
run_vpmem goal check --mode memory --ipmctl "$D/issue156-region.txt"
expect_eq "App Direct regions where Memory Mode was asked" "$rc" 1
# pending goals: before the reboot
run_vpmem goal check --mode appdirect --ipmctl "$D/issue18-goal.txt"
expect_eq "pending goal (ipmctl 01 tabs)" "$rc" 1
expect_match "reboot needed" "$out" 'DIMM 0x0011: a goal is still pending .*reboot'
run_vpmem goal check --mode appdirect --memory-mode 70 --ipmctl "$D/ansible-goal.xml"
expect_eq "pending goal (nvmxml)" "$rc" 1
expect_eq "both DIMMs pending" "$(printf '%s\n' "$out" | grep -c pending)" 2
run_vpmem goal check --mode appdirect --ipmctl "$D/ansible-create-goal.txt"
expect_eq "create -goal output parsed: 4 goals" "$(printf '%s\n' "$out" | grep -c pending)" 4
# show -a blocks and the kernel's view
run_vpmem goal plan --mode appdirect --ipmctl "$D/issue180-show-a-dimm.txt"
expect_match "show -a -dimm blocks" "$out" 'expect on socket 0x0000: 1 region of about 253.7 GiB App Direct \(1 module'
cat >ndctl.json <<'J'
{"dimms":[{"dev":"nmem1"},{"dev":"nmem0"}],
 "regions":[{"dev":"region1","size":1073741824,"type":"pmem","numa_node":0,"mappings":[{"dimm":"nmem1"}]},
            {"dev":"region0","size":1073741824,"type":"pmem","numa_node":0,"mappings":[{"dimm":"nmem0"}]}]}
J
run_vpmem goal check --mode appdirect-notinterleaved --ndctl ndctl.json
expect_eq "kernel: one region per DIMM" "$rc" 0
run_vpmem goal check --mode appdirect --ndctl ndctl.json
expect_eq "kernel: two regions on one node is not AppDirect" "$rc" 1
expect_match "kernel reason" "$out" 'kernel: 2 pmem regions on 1 NUMA node; AppDirect gives one per socket'
# bad input: one line
printf 'hello\n' >junk.txt
printf '<DimmList><Dimm>' >broken.xml
for f in junk.txt broken.xml nosuch.txt; do
	run_vpmem goal check --mode appdirect --ipmctl $f
	expect_eq "goal check $f fails" "$rc" 1
	expect_eq "goal check $f: one line" "$(printf '%s\n' "$err" | wc -l)" 1
done
run_vpmem goal check --mode appdirect
expect_eq "nothing to check" "$rc" 1
expect_match "nothing to check: the reason" "$err" 'nothing to check'

# --live runs the real ipmctl (Debian's 03.00): on a machine without Optane
# modules (this one, like every machine of the project) its own reason, in
# one line
if command -v ipmctl >/dev/null && ipmctl show -dimm 2>&1 | grep -q 'No PMem modules'; then
	run_vpmem goal check --mode appdirect --live
	expect_eq "goal check --live without Optane: status" "$rc" 1
	expect_eq "goal check --live without Optane: one line" "$(printf '%s\n' "$err" | wc -l)" 1
	expect_match "goal check --live: ipmctl's reason" "$err" "^vpmem: error: goal: 'ipmctl show' failed \(status [0-9]+\): .*No PMem modules in the system\.$"
fi

done_testing
