/// The helpers every compiled recipe starts with.
enum ScriptPrelude {
    static func text(recipe: String, node: String, checkMode: Bool, marker: String) -> String {
        """
        # crowbar recipe \(recipe.replacingOccurrences(of: "\n", with: " ")) for node \(node.replacingOccurrences(of: "\n", with: " "))
        set -u
        umask 022
        export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        crowbar_check=\(checkMode ? 1 : 0)
        crowbar_changed='|'
        crowbar_restart=0
        crowbar_status=ok

        # A dead man's switch: the parent is sshd's session, which exits when crowbard's connection drops;
        # then every process of this apply is stopped, so a resumed run never races an orphaned one.
        crowbar_session=$PPID
        ( while kill -0 "$crowbar_session" 2>/dev/null; do sleep 1; done; kill -TERM 0 ) </dev/null >/dev/null 2>&1 &
        crowbar_watcher=$!
        # One scratch folder for the whole script: fewer processes than a mktemp per resource.
        crowbar_tmp=$(mktemp -d) || exit 1
        trap 'kill "$crowbar_watcher" 2>/dev/null; rm -rf "$crowbar_tmp"' EXIT

        # Markers the orchestrator reads; \\036 keeps them apart from any resource output.
        crowbar_mark() { printf '\\036\(marker) %s\\n' "$*"; }

        # crowbar_clock: the node's uptime in hundredths of a second, read without starting a process ("" without /proc).
        crowbar_clock() {
            { read -r crowbar_uptime _ </proc/uptime; } 2>/dev/null || crowbar_uptime=
            case $crowbar_uptime in
                *.*.* | *[!0-9.]*) crowbar_now= ;;
                [0-9]*.[0-9][0-9]) crowbar_now=$((${crowbar_uptime%.*} * 100 + 1${crowbar_uptime#*.} - 100)) ;;
                *) crowbar_now= ;;
            esac
        }

        # crowbar_step INDEX FUNCTION: runs one resource in a subshell; 0 = ok, 100 = changed, else failed. The end
        # marker carries how long it took, in hundredths of a second.
        crowbar_step() {
            crowbar_mark begin "$1"
            crowbar_clock
            crowbar_began=$crowbar_now
            ( "$2" ) </dev/null 2>&1
            case $? in
                0) crowbar_status=ok ;;
                100) crowbar_status=changed ;;
                *) crowbar_status=failed ;;
            esac
            crowbar_clock
            crowbar_mark end "$1" "$crowbar_status" ${crowbar_began:+${crowbar_now:+$((crowbar_now - crowbar_began))}}
            [ "$crowbar_status" != failed ] || exit 1
        }

        # crowbar_put PATH TEMP OWNER GROUP MODE: installs TEMP at PATH unless content, owner, group and
        # mode already match; keeps an existing file's owner and mode when none is given.
        crowbar_put() {
            p=$1 t=$2 o=$3 g=$4 m=$5
            if cmp -s "$t" "$p"; then
                [ -n "$o$g$m" ] || return 0
                # Owner and group match by name or by number (`owner: "0"`).
                set -- $(stat -c '%U %G %a %u %g' "$p")
                { [ -z "$o" ] || [ "$1" = "$o" ] || [ "$4" = "$o" ]; } && { [ -z "$g" ] || [ "$2" = "$g" ] || [ "$5" = "$g" ]; } &&
                    { [ -z "$m" ] || [ "$3" = "$m" ]; } && return 0
            fi
            if [ "$crowbar_check" = 1 ]; then echo "would update $p"; return 100; fi
            mkdir -p "$(dirname "$p")" || return 1
            # Written beside PATH under a random name (O_EXCL, O_NOFOLLOW), owner and mode set on the open file, then
            # renamed over PATH: whoever owns the folder cannot swap in a link to redirect the write, chown or chmod
            # (a service account and its cookie, say). perl-base is an essential package on every Debian node.
            perl -e '
                use Fcntl;
                my ($t, $p, $o, $g, $m) = @ARGV;
                my ($dir, $base) = $p =~ m{^(.*/)?([^/]+)$};
                $dir = "" unless defined $dir;
                my ($uid, $gid, $mode) = ($>, $) + 0, 0644);
                my @old = lstat $p;
                ($uid, $gid, $mode) = ($old[4], $old[5], $old[2] & 07777) if @old && -f _;
                if (length $o) { $uid = $o =~ /^[0-9]+$/ ? $o : getpwnam $o; defined $uid or die "no user $o" }
                if (length $g) { $gid = $g =~ /^[0-9]+$/ ? $g : getgrnam $g; defined $gid or die "no group $g" }
                $mode = oct $m if length $m;
                open my $in, "<", $t or die "$t: $!";
                my ($new, $out, $done);
                END { unlink $new if defined $new && !$done }
                for (1 .. 50) {
                    $new = sprintf "%s.%s.crowbar-%08x", $dir, $base, int rand 0xffffffff;
                    last if sysopen $out, $new, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600;
                    undef $new;
                }
                defined $new or die "cannot create a file beside $p: $!";
                binmode $in;
                binmode $out;
                my $content = do { local $/; <$in> };
                print {$out} $content or die "$new: $!";
                chown $uid, $gid, $out or die "chown $p: $!";
                chmod $mode, $out or die "chmod $p: $!";
                close $out or die "$new: $!";
                rename $new, $p or die "rename to $p: $!";
                $done = 1;
            ' "$t" "$p" "$o" "$g" "$m" || return 1
            echo "updated $p"
            return 100
        }

        # crowbar_start VERB UNIT: systemctl start or restart. When systemd could not move this attempt's main process into
        # the unit's control group (exit status 219/CGROUP, met once by a deploy-day restarting openvswitch-switch in a
        # container with the cgroup v1 hierarchy), the unit is started once more. Seen only where the start waits for
        # the main process (oneshot, forking, notify); any other failure stands.
        crowbar_start() {
            crowbar_spawned=$(systemctl show -p ExecMainStartTimestampMonotonic --value "$2" 2>/dev/null)
            systemctl "$1" "$2" && return 0
            [ "$(systemctl show -p ExecMainStatus --value "$2" 2>/dev/null)" = 219 ] &&
                [ "$(systemctl show -p ExecMainStartTimestampMonotonic --value "$2" 2>/dev/null)" != "$crowbar_spawned" ] || return 1
            echo "$1 $2: systemd could not move its process into the unit's control group (219/CGROUP); starting it once more"
            systemctl reset-failed "$2" 2>/dev/null
            systemctl start "$2"
        }

        # crowbar_ini IN OUT SECTION KEY VALUE...: writes IN to OUT with each KEY = VALUE in its [SECTION]: a setting
        # replaces the key's first line in the section's first block, else ends that block, else comes in a section added
        # at the end; other lines kept. One pass of one awk for all of a file's settings (given through the environment),
        # the same file as setting them one at a time.
        crowbar_ini() (
            i=$1 o=$2 n=0
            shift 2
            while [ $# -ge 3 ]; do
                n=$((n + 1))
                export "CROWBAR_S$n=$1" "CROWBAR_K$n=$2" "CROWBAR_V$n=$3"
                shift 3
            done
            CROWBAR_N=$n exec awk '
            BEGIN {
                for (i = 1; i <= ENVIRON["CROWBAR_N"] + 0; i++) {
                    s = ENVIRON["CROWBAR_S" i]; k = ENVIRON["CROWBAR_K" i]
                    if (!((s, k) in slot)) { slot[s, k] = ++n; sec[n] = s; key[n] = k }
                    val[slot[s, k]] = ENVIRON["CROWBAR_V" i]
                }
                # The lines before the first header are the first block of section "" (a file without sections).
                cur = ""; first = 1; seen[""] = 1
            }
            function flush(j) { for (j = 1; j <= n; j++) if (sec[j] == cur && !placed[j]) { print key[j] " = " val[j]; placed[j] = 1 } }
            /^[ \\t]*\\[[^]]*\\][ \\t]*$/ {
                if (first) flush()
                cur = $0; sub(/^[ \\t]*\\[/, "", cur); sub(/\\][ \\t]*$/, "", cur)
                first = !(cur in seen); seen[cur] = 1
                print; next
            }
            first {
                bare = $0; sub(/^[ \\t]*/, "", bare)
                for (j = 1; j <= n; j++)
                    if (sec[j] == cur && !placed[j] && index(bare, key[j]) == 1 && substr(bare, length(key[j]) + 1) ~ /^[ \\t]*=/) {
                        print key[j] " = " val[j]; placed[j] = 1; next
                    }
            }
            { print }
            END {
                # What is left goes to the block open at the end (if it is its section first) or to sections added after
                # it; a blank line ends the last block before each added section, as one setting at a time leaves it.
                added = 0
                for (j = 1; j <= n; j++) {
                    if (placed[j]) continue
                    if (first && sec[j] == cur) b = 0
                    else if (sec[j] in block) b = block[sec[j]]
                    else {
                        if (NR > 0 || added > 0 || count[0] > 0) line[added, ++count[added]] = ""
                        b = ++added; block[sec[j]] = b; line[b, ++count[b]] = "[" sec[j] "]"
                    }
                    line[b, ++count[b]] = key[j] " = " val[j]
                }
                for (b = 0; b <= added; b++) for (c = 1; c <= count[b]; c++) print line[b, c]
            }
            ' "$i" > "$o"
        )

        """
    }
}
