# Shared by test-reconfigure.sh and test-reconfigure-crash.sh: lib.sh, the
# data directory, and the checks both make on an image.
. "$(dirname "$0")/../lib.sh"
data=$(cd "$(dirname "$0")/../data/reconfigure" && pwd)
cd "$T" || exit 1
sum() { sha256sum "$1" | cut -d' ' -f1; }
# the first $2 bytes of namespace "$3" of image $1, as a checksum
nsum() { "$VPMEM" namespace export "$1" --name "$3" --to - 2>/dev/null | head -c "$2" | sha256sum | cut -d' ' -f1; }
mode_of() { "$VPMEM" --json list "$1" | python3 -c 'import json,sys
for r in json.load(sys.stdin)["regions"]:
    for n in r.get("namespaces", []):
        if n.get("name") == sys.argv[1]: print(n["mode"])' "$2"; }
unchanged() { # DESCRIPTION IMAGE SUM
	expect_eq "$1: image unchanged" "$(sum "$2")" "$3"
	expect_eq "$1: no side files left" "$(ls "$2".vpmem-reconfigure* 2>/dev/null)" ""
}
