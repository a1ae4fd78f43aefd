# The parallel-ssh twin of recipes/bench/bench-node.yml (see run.sh): the same checks by hand, in sh.
set -u
changed=0
put() { # PATH MODE CONTENT: writes CONTENT unless the file already has it
    t=$(mktemp); printf '%s' "$3" > "$t"
    if cmp -s "$t" "$1" && [ "$(stat -c %a "$1")" = "$2" ]; then rm -f "$t"; return 1; fi
    mkdir -p "$(dirname "$1")"; install -m "$2" "$t" "$1"; rm -f "$t"; changed=$((changed + 1)); return 0
}
id -u benchpssh >/dev/null 2>&1 || { useradd --system benchpssh; changed=$((changed + 1)); }
dpkg-query -W openssh-server iproute2 python3 >/dev/null || exit 1
for i in 1 2 3 4 5 6 7 8; do put /etc/bench-pssh/file$i.conf 644 "file $i on $(hostname)
" || true; done
put /etc/bench-pssh/app.ini 644 '[section1]
key1 = 42
key2 = 42
key3 = 42

[section2]
key4 = 42
key5 = 42
key6 = 42
' || true
restart=0
put /usr/local/bin/bench-pssh-serve 755 '#!/bin/sh
exec sleep infinity
' && restart=1
put /etc/systemd/system/bench-pssh.service 644 '[Unit]
Description=apply benchmark service
[Service]
User=benchpssh
ExecStart=/usr/local/bin/bench-pssh-serve
[Install]
WantedBy=multi-user.target
' && { systemctl daemon-reload; restart=1; }
systemctl is-enabled --quiet bench-pssh || { systemctl enable --quiet bench-pssh; changed=$((changed + 1)); }
if systemctl is-active --quiet bench-pssh; then
    [ $restart = 0 ] || systemctl restart bench-pssh
else
    systemctl start bench-pssh; changed=$((changed + 1))
fi
echo "changed=$changed"
