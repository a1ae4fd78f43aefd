# Sourced by the scripts that build: the Swift toolchain's `swift`, not another program of that name on PATH
# (python3-swiftclient's /usr/bin/swift comes first on PATH on a machine with the OpenStack client).
# find_swift: prints the path of a swift that is the toolchain ($SWIFT if set), or exits.
find_swift() {
    local candidate
    for candidate in ${SWIFT:-} $(type -ap swift) /opt/swift/usr/bin/swift /usr/share/swift/usr/bin/swift; do
        if [ -x "$candidate" ] && grep -q "Swift version" <<<"$("$candidate" --version 2>/dev/null)"; then
            echo "$candidate"
            return 0
        fi
    done
    echo "no Swift toolchain found: install Swift 6.3 and put it on PATH, or set SWIFT=/path/to/swift" >&2
    exit 1
}
