"""The TUI benchmark's steps after run.sh started crowbard and two lab nodes: 998 more nodes registered (1,000), a run
whose log grows ~100 lines/s, then `crowbar tui` and less(1) measured side by side (measure.py). Prints the results
and the rows for docs/benchmarks.md."""
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

import measure

crowbar, work = sys.argv[1], sys.argv[2]
url = os.environ["CROWBAR_URL"]
token = open(os.path.join(os.environ["CROWBAR_DATA_DIR"], "api-token")).read().strip()


def api(method, path, body=None):
    request = urllib.request.Request(
        url + "/api/v1" + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def cli(*arguments):
    return subprocess.run([crowbar, *arguments], check=True, capture_output=True, text=True).stdout


for index in range(998):
    mac = "52:54:00:%02x:%02x:%02x" % (0xb0 + index // 65536, index // 256 % 256, index % 256)
    api("POST", "/nodes/discover", {"macs": [mac], "inventory": {"cpuCount": 4, "memoryMB": 8192, "disks": [{"name": "sda", "sizeBytes": 480103981056}]}})
nodes = len(api("GET", "/nodes"))
print(f"{nodes} nodes registered")

tui_command = f"env CROWBAR_URL={url} CROWBAR_DATA_DIR={os.environ['CROWBAR_DATA_DIR']} {crowbar} tui"
listing = os.path.join(work, "listing.txt")
with open(listing, "w") as file:
    file.writelines(f"node {index} ready\n" for index in range(1000))
tui_first = measure.first_screen("bench-tui", tui_command, [f"{nodes} nodes", " connected "])
less_first = measure.first_screen("bench-less", f"less {listing}", ["node 0 ready"])

# A run whose log grows: both lab nodes print a line every 20 ms.
cli("proposal", "create", "chatter", "default")
cli("proposal", "assign", "chatter", "default", "chatter-node", "n1", "n2")
run = int(re.search(r"run (\d+) applies it", cli("proposal", "commit", "chatter", "default")).group(1))

pid = measure.start("bench-tui", tui_command)
measure.wait_for("bench-tui", " connected ")
measure.tmux("send-keys", "-t", "bench-tui", "3")
measure.wait_for("bench-tui", "RUN ")
measure.tmux("send-keys", "-t", "bench-tui", "Enter")
measure.wait_for("bench-tui", "chatter ", limit=120)


def log_lines(run):
    """How many lines the run's log has (read page by page)."""
    count, after = 0, 0
    while page := api("GET", f"/runs/{run}/log?after={after}"):
        count += len(page)
        after = page[-1]["sequence"]
    return count


lines_before = log_lines(run)
window_start = time.monotonic()
# Screen switches (2 proposals, 3 back to the streaming run): keys with no Escape, whose ncurses delay (25 ms) would
# measure the key's encoding rather than the UI.
tui_latency = measure.latency("bench-tui", [("2", "[2 proposals]"), ("3", f"run {run} ·")])
tui_cpu = measure.cpu(pid, 20)
rate = (log_lines(run) - lines_before) / (time.monotonic() - window_start)
measure.stop("bench-tui")
api("POST", f"/runs/{run}/cancel")

# The peer: less on the same listing (keys: G to the end, g to the top) and following a file growing at the same rate.
measure.start("bench-less", f"less {listing}")
measure.wait_for("bench-less", "node 0 ready")
less_latency = measure.latency("bench-less", [("G", "node 999 ready"), ("g", "node 0 ready")])
measure.stop("bench-less")
growing = os.path.join(work, "growing.log")
open(growing, "w").close()
stop_writer = threading.Event()


def writer():
    with open(growing, "a") as file:
        count = 0
        while not stop_writer.is_set():
            count += 1
            file.write(f"+0:00 n1: chatter {count}\n")
            file.flush()
            time.sleep(1 / rate)


thread = threading.Thread(target=writer)
thread.start()
less_pid = measure.start("bench-less", f"less +F {growing}")
time.sleep(2)
less_cpu = measure.cpu(less_pid, 20)
stop_writer.set()
thread.join()
measure.stop("bench-less")

ms = lambda seconds: f"{seconds * 1000:.0f} ms"
print(f"log rate during the window: {rate:.0f} lines/s")
print(f"first screen: crowbar tui {ms(tui_first)} ({nodes} nodes), less {ms(less_first)} (1,000 lines): {tui_first / less_first:.1f}×")
print(f"keystroke latency, median (worst): crowbar tui {ms(tui_latency[0])} ({ms(tui_latency[1])}), "
      f"less {ms(less_latency[0])} ({ms(less_latency[1])}): {tui_latency[0] / less_latency[0]:.1f}×")
print(f"CPU while the log streams: crowbar tui {tui_cpu:.1f} %, less +F {less_cpu:.1f} % of one core")
print()
print(f"| first screen | {ms(tui_first)} | {ms(less_first)} | {tui_first / less_first:.1f}× |")
print(f"| keystroke latency, median (worst) | {ms(tui_latency[0])} ({ms(tui_latency[1])}) | {ms(less_latency[0])} ({ms(less_latency[1])}) | {tui_latency[0] / less_latency[0]:.1f}× |")
print(f"| CPU at {rate:.0f} log lines/s | {tui_cpu:.1f} % | {less_cpu:.1f} % | {tui_cpu / max(less_cpu, 0.1):.1f}× |")
