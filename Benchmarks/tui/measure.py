"""Measures a full-screen program in tmux, the way an operator meets it: time from start to the first complete
screen, keystroke latency (send-keys until capture-pane shows the key's effect) and CPU of the program's process
over a window. Used by Benchmarks/tui/run.sh for `crowbar tui` and its peer (less) in the same run."""
import os
import statistics
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def tmux(*arguments):
    return subprocess.run(["tmux", *arguments], check=True, capture_output=True, text=True).stdout


def screen(session):
    return tmux("capture-pane", "-p", "-t", session)


def wait_for(session, text, limit=60.0):
    """Seconds until the screen shows `text` (polled every 2 ms); fails after `limit`."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if text in screen(session):
            return time.monotonic() - start
        time.sleep(0.002)
    sys.exit(f"{session}: the screen never showed {text!r}:\n{screen(session)}")


def start(session, command, width=120, height=40):
    """Starts `command` (exec'd, so the pane's process is the program) and answers its pid."""
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), "sh", "-c", "exec " + command)
    return int(tmux("display", "-p", "-t", session, "#{pane_pid}").strip())


def stop(session):
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def first_screen(session, command, ready, rounds=5):
    """Median seconds from starting `command` to a screen showing every text of `ready`."""
    times = []
    for _ in range(rounds):
        begun = time.monotonic()
        start(session, command)
        for text in ready:
            wait_for(session, text)
        times.append(time.monotonic() - begun)
        stop(session)
        time.sleep(0.3)
    return statistics.median(times)


def latency(session, presses, rounds=30):
    """Median and worst seconds from a key to its effect; `presses` is a list of (key, text shown after it)."""
    times = []
    for round in range(rounds):
        key, shown = presses[round % len(presses)]
        begun = time.monotonic()
        tmux("send-keys", "-t", session, key)
        wait_for(session, shown, limit=10)
        times.append(time.monotonic() - begun)
        time.sleep(0.05)
    return statistics.median(times), max(times)


def cpu(pid, seconds):
    """Percent of one core the process used over `seconds`."""
    def ticks():
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    before, begun = ticks(), time.monotonic()
    time.sleep(seconds)
    return 100.0 * (ticks() - before) / TICKS / (time.monotonic() - begun)
