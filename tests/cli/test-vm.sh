#!/bin/sh
# vpmem vm list/stop/rm and run's saved-spec rules, without booting: state
# directories made by hand, locks held by flock(1).
. "$(dirname "$0")/../lib.sh"
vmdir=$XDG_STATE_HOME/vpmem/vm

run_vpmem vm list
expect_eq "list, no VMs: status" "$rc" 0
expect_eq "list, no VMs: nothing" "$out" ""
run_vpmem vm list --json
expect_eq "list --json, no VMs" "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin))')" "[]"
run_vpmem vm
expect_eq "vm without subcommand: usage" "$rc" 2
run_vpmem vm frob
expect_match "unknown subcommand" "$err" "unknown subcommand 'frob'"
run_vpmem vm stop
expect_match "stop without name" "$err" "missing VM name"
run_vpmem vm stop nosuch
expect_eq "stop unknown VM: status" "$rc" 1
expect_match "stop unknown VM: says so" "$err" "no VM 'nosuch'"
run_vpmem vm rm nosuch
expect_match "rm unknown VM" "$err" "no VM 'nosuch'"
run_vpmem vm rm ../x
expect_eq "rm bad name: usage" "$rc" 2
# vm rm's options through the one option parser: the messages of every command
run_vpmem vm rm
expect_eq "rm without name" "$err" "vpmem: error: vm: rm: missing VM name (see 'vpmem help vm')"
run_vpmem vm rm --frob a
expect_eq "rm: unknown option" "$err" "vpmem: error: vm: rm: unknown option '--frob' (see 'vpmem help vm')"
run_vpmem vm rm --backings=yes a
expect_eq "rm: --backings takes no value" "$err" "vpmem: error: vm: rm: option '--backings' takes no value (see 'vpmem help vm')"
run_vpmem vm rm a b
expect_eq "rm: one name" "$err" "vpmem: error: vm: rm: unexpected argument 'b' (see 'vpmem help vm')"

# a saved VM (as run writes it)
mkdir -p "$vmdir/a"
truncate -s 64M "$vmdir/a/pmem0.img"
cat >"$vmdir/a/spec.json" <<JSON
{ "name": "a", "launcher": "qemu", "virtio_pmem": false,
  "dimms": [ { "path": "$vmdir/a/pmem0.img", "slot": 0, "node": 0, "size": 67108864,
               "label_size": 0, "region_size": 67108864, "addr": 4294967296, "created": true } ],
  "options": [ "--qemu-pmem", "64M" ], "argv": [ "qemu-system-x86_64" ] }
JSON
cp "$vmdir/a/spec.json" "$vmdir/../spec-a.json"
run_vpmem vm list
expect_match "list: the saved VM, stopped" "$out" "^a +stopped +qemu +64M +- +$vmdir/a/pmem0.img"

# a stale pid file (its run died): cleared, VM stopped
echo 999999 >"$vmdir/a/pid"
run_vpmem vm list --json
expect_eq "stale pid: stopped" "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])')" stopped
check "stale pid file removed" test ! -e "$vmdir/a/pid"

# the lock held (a run in progress): running, with its pid
flock -o "$vmdir/a/lock" sleep 30 &
holder=$!
sleep 0.3
echo "$holder" >"$vmdir/a/pid"
run_vpmem vm list --json
expect_eq "held lock: running with pid" "$(printf '%s' "$out" | python3 -c 'import json,sys; v=json.load(sys.stdin)[0]; print(v["state"], v["pid"])')" "running $holder"
run_vpmem vm rm a
expect_match "rm refuses a running VM" "$err" "VM 'a' is running \(stop it first"
run_vpmem run --name a --accel tcg --guest-cmd true
expect_match "run refuses while the lock is held, naming the pid" "$err" "VM 'a' is already running \(pid $holder"
kill "$holder"
wait "$holder" 2>/dev/null

# run --name with no machine options: the saved machine; other options: refused
run_vpmem run --name a --print --json
expect_eq "reuse: status" "$rc" 0
expect_eq "reuse: the saved 64M" "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dimms"][0]["region_size"])')" 67108864
expect_match "reuse: says so" "$err" "booting its saved machine"
run_vpmem run --name a --qemu-pmem 128M --print
expect_eq "other options, --print: plans anyway" "$rc" 0
expect_match "other options, --print: a note" "$err" "saved with other options \(--qemu-pmem 128M \(saved: 64M\)\): run would refuse"
run_vpmem run --name a --qemu-pmem 128M --guest-cmd true
expect_eq "other options: refused" "$rc" 1
expect_match "other options: hint" "$err" "another --name, or remove it with 'vpmem vm rm --backings a'"
run_vpmem run --name a --qemu-pmem 64M --print
expect_eq "same options: fine" "$rc" 0
expect_nomatch "same options: no note" "$err" "other options"

# --print touches nothing and names what does not exist yet
run_vpmem run --name b --qemu-pmem 32M --print
expect_match "print: accelerator shown" "$err" "accelerator: (tcg|kvm)"
expect_match "print: missing backing named" "$err" "vm/b/pmem0.img' does not exist yet: run creates it \(or pass --create\)"
check "print: no state made" test ! -e "$vmdir/b"

run_vpmem vm rm a
expect_eq "rm: status" "$rc" 0
expect_match "rm keeps backings without --backings" "$err" "kept backing '$vmdir/a/pmem0.img'"
check "rm: spec gone" test ! -e "$vmdir/a/spec.json"
check "rm: backing kept" test -e "$vmdir/a/pmem0.img"
expect_match "rm: directory with the backing kept" "$err" "warning: '$vmdir/a' is not empty: kept"

# rm --backings: the backing run created, the run files and the directory go
mkdir -p "$vmdir/c/run"
truncate -s 64M "$vmdir/c/pmem0.img"
touch "$vmdir/c/run/console.log" "$vmdir/c/lock"
sed "s|/a/|/c/|; s|\"name\": \"a\"|\"name\": \"c\"|" "$vmdir/../spec-a.json" >"$vmdir/c/spec.json"
run_vpmem vm rm --backings c
expect_eq "rm --backings: status" "$rc" 0
expect_eq "rm --backings: quiet" "$err" ""
check "rm --backings: all gone" test ! -e "$vmdir/c"

done_testing
