#!/usr/bin/env bash
# Fuzzes with libFuzzer for SECONDS per target (default 30): the DHCP and TFTP packet decoders (built here with swiftc,
# seeded with the captured packets in Tests/Fixtures/packets) and the batch-file and barclamp YAML parsers (the
# Fuzz/YAML package, seeded with the shipped files). Earlier findings in Tests/Fixtures/fuzz/<target>/ seed each run;
# a crash input is copied there (a regression test parses every file there) and the script fails.
#   Fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/swift.sh
swift=$(find_swift)
seconds=${1:-30}
work=${FUZZ_WORK:-/tmp/crowbar-fuzz}
mkdir -p "$work"
export SWIFT_BACKTRACE=enable=no
failed=0

core=Sources/CrowbarCore
common=("$core/Boot/BootCodecError.swift" "$core/Network/IPv4Address.swift" "$core/Network/MACAddress.swift")
declare -A sources=(
    [dhcp]="Fuzz/DHCPDecodeFuzz.swift $core/Boot/DHCPOptions.swift $core/Boot/DHCPMessage.swift $core/Boot/BootClient.swift"
    [tftp]="Fuzz/TFTPDecodeFuzz.swift $core/Boot/TFTPPacket.swift $core/Boot/TFTPTransferOptions.swift $core/Boot/TFTPReadTransfer.swift $core/Boot/TFTPPath.swift"
)
for target in dhcp tftp; do
    # shellcheck disable=SC2086
    if ! "$(dirname "$swift")/swiftc" -sanitize=fuzzer,address -parse-as-library -O -module-name "Fuzz$target" ${sources[$target]} \
        "${common[@]}" -o "$work/fuzz-$target" >"$work/build-$target.log" 2>&1; then
        grep -v "Cannot export local symbol" "$work/build-$target.log"
        exit 1
    fi
done
if ! "$swift" build --package-path Fuzz/YAML -c release --sanitize=fuzzer --sanitize=address >"$work/build-yaml.log" 2>&1; then
    grep -v "Cannot export local symbol" "$work/build-yaml.log"
    exit 1
fi
cp Fuzz/YAML/.build/release/FuzzBatchFile "$work/fuzz-batch"
cp Fuzz/YAML/.build/release/FuzzBarclamp "$work/fuzz-barclamp"

# seed TARGET: fills the target's corpus with the files it starts from.
seed() {
    local corpus=$work/corpus-$1 hex
    mkdir -p "$corpus"
    case $1 in
        dhcp) for hex in Tests/Fixtures/packets/*.hex; do
                  python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read().strip()))" "$hex" \
                      > "$corpus/seed-$(basename "$hex" .hex)"
              done ;;
        tftp) printf '\x00\x01pxelinux.0\x00octet\x00blksize\x001468\x00tsize\x000\x00' > "$corpus/seed-rrq" ;;
        batch) cp docs/examples/*.yml "$corpus/" ;;
        barclamp) cp barclamps/*.yml Tests/Fixtures/lab/barclamps/*.yml "$corpus/" ;;
    esac
    cp Tests/Fixtures/fuzz/"$1"/* "$corpus/" 2>/dev/null || true
}

for target in dhcp tftp batch barclamp; do
    seed "$target"
    mkdir -p "$work/crashes-$target"
    echo "== fuzzing $target for ${seconds}s"
    if ! "$work/fuzz-$target" -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=2048 \
        -artifact_prefix="$work/crashes-$target/" -print_final_stats=1 "$work/corpus-$target" > "$work/fuzz-$target.log" 2>&1; then
        failed=1
        for crash in "$work/crashes-$target"/*; do
            [ -f "$crash" ] && cp "$crash" "Tests/Fixtures/fuzz/$target/" && echo "crash kept as Tests/Fixtures/fuzz/$target/$(basename "$crash")"
        done
        tail -40 "$work/fuzz-$target.log"
    fi
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/fuzz-$target.log" | sed "s/^/$target: /" || true
done
exit $failed
