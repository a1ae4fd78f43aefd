# Sourced by the benchmark scripts (after scripts/lib/swift.sh): the build they measure and their clock.
# build_crowbar: builds crowbard and crowbar (release, or CROWBAR_BENCH_CONFIGURATION) and sets `bin` to their folder.
build_crowbar() {
    local swift configuration=${CROWBAR_BENCH_CONFIGURATION:-release}
    swift=$(find_swift)
    "$swift" build -c "$configuration" --product crowbard >/dev/null
    "$swift" build -c "$configuration" --product crowbar >/dev/null
    bin=$("$swift" build -c "$configuration" --show-bin-path)
}
now() { date +%s.%N; }
# elapsed START END: seconds between two `now`s, two decimals.
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }
