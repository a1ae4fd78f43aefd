/// The shell body of one rendered resource: check, then (unless in check mode) change.
/// A body returns 0 when nothing needed changing, 100 when it changed (or would), anything else on failure.
enum ResourceScript {
    static func body(_ kind: ResourceKind, location: SourceLocation) throws(DefinitionError) -> String {
        func refuse(_ key: String, _ message: String) -> DefinitionError {
            DefinitionError(location: location, key: key, message: message)
        }
        for text in kind.renderedTexts where text.contains("\u{0}") {
            throw refuse(kind.keyword, "a value contains a NUL byte, which no shell can carry")
        }
        switch kind {
        case .package(let names):
            for name in names where name.wholeMatch(of: /[a-z0-9][a-z0-9+.\-]*(:[a-z0-9]+)?/) == nil {
                throw refuse("package", "'\(name)' is not a Debian package name")
            }
            return package(names)
        case .file(let path, let content, let attributes), .template(let path, let content, let attributes):
            return try file(path, content: content, attributes: attributes, refuse: refuse)
        case .ini(let path, let settings, let attributes):
            return try ini(path, settings: settings, attributes: attributes, refuse: refuse)
        case .service(let name, let running, let enabled, _):
            return service(name, running: running, enabled: enabled)
        case .user(let name, let home, let shell, let system):
            return user(name, home: home, shell: shell, system: system)
        case .command(let run, let creates, let unless):
            return command(run, creates: creates, unless: unless)
        case .waitFor(let target, let timeout):
            return waitFor(target, timeoutSeconds: timeout)
        }
    }

    private static func package(_ names: [String]) -> String {
        // One dpkg-query for all the names (each start reads dpkg's whole status file: ~10 ms on an OpenStack node);
        // installed is `?i ` (held or not, no error flag).
        let quoted = names.map(\.shellQuoted).joined(separator: " ")
        return """
            missing=
            installed=" $(dpkg-query -W -f='${db:Status-Abbrev}${Package} ' \(quoted) 2>/dev/null) "
            for p in \(quoted); do
                case "$installed" in *" "?"i $p "*) ;; *) missing="$missing $p" ;; esac
            done
            [ -n "$missing" ] || return 0
            if [ "$crowbar_check" = 1 ]; then echo "would install$missing"; return 100; fi
            # An install interrupted earlier (crash, cancel) leaves dpkg half-configured: finish that first.
            [ -z "$(dpkg --audit 2>/dev/null)" ] || DEBIAN_FRONTEND=noninteractive dpkg --configure -a || return 1
            echo "installing$missing"
            # The lists first: the admin node's repository may have gained packages since the node last read them.
            apt-get -q update >/dev/null || echo "apt-get update failed: installing from the package lists there are"
            # dpkg's lock is waited for (5 minutes), not failed on: an install that crowbard stopped (a cancelled
            # staging, a shutdown) may take a moment to end on the node.
            crowbar_install() {
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 \\
                    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing
            }
            # A maintainer script that fails once (horizon's static compression has, at random) gets one more try.
            crowbar_install && return 100
            echo "apt-get install failed: configuring what is unpacked once more, then installing again"
            DEBIAN_FRONTEND=noninteractive dpkg --configure -a && crowbar_install || return 1
            return 100
        """
    }

    private static func putArguments(
        _ path: String, _ attributes: FileAttributes, refuse: (String, String) -> DefinitionError
    ) throws(DefinitionError) -> String {
        guard path.hasPrefix("/") else { throw refuse("path", "'\(path)' is not an absolute path") }
        let mode = attributes.mode.flatMap { Int($0, radix: 8) }.map { String($0, radix: 8) } ?? ""
        let owner = attributes.owner ?? "", group = attributes.group ?? ""
        return "\(path.shellQuoted) \"$t\" \(owner.shellQuoted) \(group.shellQuoted) \(mode.shellQuoted)"
    }

    private static func file(
        _ path: String, content: String, attributes: FileAttributes, refuse: (String, String) -> DefinitionError
    ) throws(DefinitionError) -> String {
        """
            t="$crowbar_tmp/file"
            printf '%s' \(content.shellQuoted) > "$t" || return 1
            crowbar_put \(try putArguments(path, attributes, refuse: refuse))
        """
    }

    private static func ini(
        _ path: String, settings: [IniSetting], attributes: FileAttributes, refuse: (String, String) -> DefinitionError
    ) throws(DefinitionError) -> String {
        let settings = settings.map { "\($0.section.shellQuoted) \($0.key.shellQuoted) \($0.value.shellQuoted)" }
        return """
            source=\(path.shellQuoted)
            [ -e "$source" ] || source=/dev/null
            t="$crowbar_tmp/ini"
            crowbar_ini "$source" "$t" \(settings.joined(separator: " \\\n        ")) || return 1
            crowbar_put \(try putArguments(path, attributes, refuse: refuse))
        """
    }

    private static func service(_ name: String, running: Bool?, enabled: Bool?) -> String {
        var lines = ["    s=\(name.shellQuoted) changed=0"]
        func act(_ verb: String) -> String {
            let invocation = verb == "start" || verb == "restart" ? "crowbar_start \(verb)" : "systemctl \(verb)"
            return """
                    if [ "$crowbar_check" = 1 ]; then echo "would \(verb) $s"
                    else \(invocation) "$s" || { journalctl -u "$s" -n 30 --no-pager 2>/dev/null; return 1; }; echo "\(verb) $s: done"; fi
                    changed=1
            """
        }
        if let enabled {
            // Only "enabled" counts: static and generated units answer is-enabled with success but cannot be disabled.
            let test = enabled ? "!=" : "="
            lines.append("    if [ \"$(systemctl is-enabled \"$s\" 2>/dev/null)\" \(test) enabled ]; then\n\(act(enabled ? "enable" : "disable"))\n    fi")
        }
        if running == true {
            lines.append("""
                if systemctl is-active --quiet "$s"; then
                    if [ "$crowbar_restart" = 1 ]; then
                \(act("restart"))
                    fi
                else
                \(act("start"))
                fi
            """)
        } else if running == false {
            lines.append("    if systemctl is-active --quiet \"$s\"; then\n\(act("stop"))\n    fi")
        }
        lines.append("    [ $changed = 0 ] || return 100")
        return lines.joined(separator: "\n")
    }

    private static func user(_ name: String, home: String?, shell: String?, system: Bool) -> String {
        var options: [String] = system ? ["--system"] : []
        if let home { options += ["--home-dir", home.shellQuoted, "--create-home"] }
        if let shell { options += ["--shell", shell.shellQuoted] }
        return """
            ! id -u \(name.shellQuoted) >/dev/null 2>&1 || return 0
            if [ "$crowbar_check" = 1 ]; then echo "would create user "\(name.shellQuoted); return 100; fi
            useradd \((options + [name.shellQuoted]).joined(separator: " ")) || return 1
            return 100
        """
    }

    private static func command(_ run: String, creates: String?, unless: String?) -> String {
        // Command texts go through files in the private scratch folder, not `sh -c` arguments: rendered
        // values (passwords) never show in the node's process list.
        var lines: [String] = []
        if let creates { lines.append("    [ ! -e \(creates.shellQuoted) ] || return 0") }
        if let unless {
            lines.append("    printf '%s' \(unless.shellQuoted) > \"$crowbar_tmp/unless\" || return 1")
            lines.append("    ! sh \"$crowbar_tmp/unless\" >/dev/null 2>&1 || return 0")
        }
        lines.append("""
            if [ "$crowbar_check" = 1 ]; then echo "would run the command"; return 100; fi
            printf '%s' \(run.shellQuoted) > "$crowbar_tmp/command" || return 1
            sh -e "$crowbar_tmp/command" || return 1
            return 100
        """)
        return lines.joined(separator: "\n")
    }

    private static func waitFor(_ target: WaitTarget, timeoutSeconds: Int) -> String {
        let probe: String
        let what: String
        switch target {
        case .port(let host, let port):
            probe = "timeout 3 bash -c 'exec 3<>\"/dev/tcp/$0/$1\"' \(host.shellQuoted) \(port.shellQuoted) 2>/dev/null"
            what = "\(host):\(port)"
        case .url(let url):
            probe = httpProbe(url)
            what = url
        }
        return """
            end=$(( $(date +%s) + \(timeoutSeconds) ))
            until \(probe); do
                if [ "$crowbar_check" = 1 ]; then echo "not answering yet: "\(what.shellQuoted); return 0; fi
                [ "$(date +%s)" -lt "$end" ] || { echo \(what.shellQuoted)" did not answer within \(timeoutSeconds) s"; return 1; }
                sleep 1
            done
        """
    }

    /// A command that succeeds when `url` answers with any HTTP status below 500: a request over bash's /dev/tcp for
    /// plain http (milliseconds: one resource per OpenStack API in a no-op re-apply; a redirect counts as an answer),
    /// python3 for the rest (https, IPv6 literals; ~50 ms to start).
    private static func httpProbe(_ url: String) -> String {
        if let target = plainHTTP(url) {
            let request = #"exec 3<>"/dev/tcp/$0/$1" && printf "GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n" "$2" "$0" "$1" >&3 && read -r _ code _ <&3 && code=${code%%[!0-9]*} && [ "$code" -lt 500 ]"#
            return "timeout 3 bash -c '\(request)' \(target.host.shellQuoted) \(target.port.shellQuoted) \(target.path.shellQuoted) 2>/dev/null"
        }
        return """
            python3 -c 'import sys, urllib.request, urllib.error
            try: urllib.request.urlopen(sys.argv[1], timeout=3)
            except urllib.error.HTTPError as e: sys.exit(0 if e.code < 500 else 1)
            except Exception: sys.exit(1)' \(url.shellQuoted)
            """
    }

    /// Host, port and path (query included) of `http://host[:port][/path]` with a host name or IPv4 address and a path
    /// of visible characters; nil for anything else.
    static func plainHTTP(_ url: String) -> (host: String, port: String, path: String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count).prefix { $0 != "#" }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let path = rest.dropFirst(authority.count)
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty,
            parts[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }),
            path.allSatisfy({ $0.isASCII && ($0.isPunctuation || $0.isSymbol || $0.isLetter || $0.isNumber) }),
            let port = parts.count == 2 ? Int(parts[1]) : 80, (1...65535).contains(port)
        else { return nil }
        return (String(parts[0]), String(port), path.hasPrefix("/") ? String(path) : "/" + path)
    }
}

extension ResourceKind {
    /// Every text a rendered resource carries into the script.
    var renderedTexts: [String] {
        switch self {
        case .package(let names): names
        case .file(let path, let content, let attributes), .template(let path, let content, let attributes):
            [path, content, attributes.owner ?? "", attributes.group ?? ""]
        case .ini(let path, let settings, let attributes):
            [path, attributes.owner ?? "", attributes.group ?? ""] + settings.flatMap { [$0.section, $0.key, $0.value] }
        case .service(let name, _, _, let subscribes): [name] + subscribes
        case .user(let name, let home, let shell, _): [name, home ?? "", shell ?? ""]
        case .command(let run, let creates, let unless): [run, creates ?? "", unless ?? ""]
        case .waitFor(.port(let host, let port), _): [host, port]
        case .waitFor(.url(let url), _): [url]
        }
    }
}
