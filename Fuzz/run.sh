#!/usr/bin/env bash
# Fuzzes the DHCP and TFTP packet decoders with libFuzzer for SECONDS each (default 30), seeded with the captured
# packets in Tests/Fixtures/packets and earlier findings in Tests/Fixtures/fuzz. A crash input is copied into
# Tests/Fixtures/fuzz/<target>/ (a regression test decodes every file there) and the script fails.
#   Fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
core=Sources/CrowbarCore
common=("$core/Boot/BootCodecError.swift" "$core/Network/IPv4Address.swift" "$core/Network/MACAddress.swift")
declare -A sources=(
    [dhcp]="Fuzz/DHCPDecodeFuzz.swift $core/Boot/DHCPOptions.swift $core/Boot/DHCPMessage.swift $core/Boot/BootClient.swift"
    [tftp]="Fuzz/TFTPDecodeFuzz.swift $core/Boot/TFTPPacket.swift $core/Boot/TFTPTransferOptions.swift $core/Boot/TFTPReadTransfer.swift $core/Boot/TFTPPath.swift"
)
work=${FUZZ_WORK:-/tmp/crowbar-fuzz}
mkdir -p "$work"
export SWIFT_BACKTRACE=enable=no
failed=0
for target in dhcp tftp; do
    # shellcheck disable=SC2086
    if ! swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name "Fuzz$target" ${sources[$target]} "${common[@]}" \
        -o "$work/fuzz-$target" >"$work/build-$target.log" 2>&1; then
        grep -v "Cannot export local symbol" "$work/build-$target.log"
        exit 1
    fi
    corpus=$work/corpus-$target
    mkdir -p "$corpus" "$work/crashes-$target"
    for hex in Tests/Fixtures/packets/*.hex; do
        [ "$target" = dhcp ] && python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read().strip()))" "$hex" > "$corpus/seed-$(basename "$hex" .hex)"
    done
    [ "$target" = tftp ] && printf '\x00\x01pxelinux.0\x00octet\x00blksize\x001468\x00tsize\x000\x00' > "$corpus/seed-rrq"
    cp Tests/Fixtures/fuzz/$target/* "$corpus/" 2>/dev/null || true
    echo "== fuzzing $target for ${seconds}s"
    if ! "$work/fuzz-$target" -max_total_time="$seconds" -artifact_prefix="$work/crashes-$target/" -print_final_stats=1 "$corpus" \
        > "$work/fuzz-$target.log" 2>&1; then
        failed=1
        for crash in "$work/crashes-$target"/*; do
            [ -f "$crash" ] && cp "$crash" "Tests/Fixtures/fuzz/$target/" && echo "crash kept as Tests/Fixtures/fuzz/$target/$(basename "$crash")"
        done
        tail -40 "$work/fuzz-$target.log"
    fi
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/fuzz-$target.log" | sed "s/^/$target: /" || true
done
exit $failed
