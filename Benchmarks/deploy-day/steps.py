#!/usr/bin/env python3
"""steps.py DATABASE [FIRST_RUN [LAST_RUN]]: where a batch's seconds go, step by step, from crowbard's store
(`crowbar.sqlite` in its data folder; read-only): for each step of the runs from FIRST_RUN on, the gap since the
previous step ended, the time crowbard spent before the first node started (loading and compiling the recipe), the
time on the nodes (first start to last end) and after them (recording). Ends with the totals and the span, then the
slowest resources (the seconds each resource's end marker reports from the node's clock)."""
import datetime
import json
import sqlite3
import sys

database = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
first = int(sys.argv[2]) if len(sys.argv) > 2 else 1
last = int(sys.argv[3]) if len(sys.argv) > 3 else 1 << 62


def stored(text):
    """A step's timestamp (SQLite text, UTC) in seconds."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc).timestamp()


def result(text):
    """A node result's start and end (JSON milliseconds since 1970) in seconds."""
    value = json.loads(text)
    return value["startedAt"] / 1000, value["finishedAt"] / 1000


steps = database.execute(
    "SELECT runId, position, plan, startedAt, finishedAt FROM runSteps WHERE runId BETWEEN ? AND ? "
    "AND startedAt IS NOT NULL AND finishedAt IS NOT NULL ORDER BY runId, position", (first, last)).fetchall()
totals = {"gap": 0.0, "before": 0.0, "nodes": 0.0, "after": 0.0}
timed = []
previous = None
print("| run | step | gap | before | nodes | after |")
print("|---|---|---|---|---|---|")
for run, position, plan, started, finished in steps:
    started, finished = stored(started), stored(finished)
    rows = [(row[0], row[1]) for row in database.execute(
        "SELECT node, result FROM runNodeResults WHERE runId = ? AND position = ?", (run, position))]
    nodes = [result(text) for _, text in rows]
    for node, text in rows:
        for resource in json.loads(text).get("resources", []):
            if resource.get("seconds") is not None:
                timed.append((resource["seconds"], json.loads(plan)["recipe"], node, resource["resource"]))
    if not nodes:
        continue
    parts = {
        "gap": started - previous if previous else 0.0,
        "before": min(start for start, _ in nodes) - started,
        "nodes": max(end for _, end in nodes) - min(start for start, _ in nodes),
        "after": finished - max(end for _, end in nodes),
    }
    previous = finished
    for key, value in parts.items():
        totals[key] += value
    print("| %d | %s | %s |" % (run, json.loads(plan)["recipe"], " | ".join("%.0f ms" % (parts[k] * 1000) for k in totals)))
if steps:
    span = stored(steps[-1][4]) - stored(steps[0][3])
    print("| **all** | %d steps, span %.2f s | %s |" % (len(steps), span, " | ".join("%.2f s" % totals[k] for k in totals)))
if timed:
    print()
    print("| resource | step | node | seconds |")
    print("|---|---|---|---|")
    for seconds, recipe, node, resource in sorted(timed, reverse=True)[:15]:
        print("| %s | %s | %s | %.2f |" % (resource.replace("|", "\\|")[:70], recipe, node, seconds))
    print("| **all %d resources** | | | %.2f |" % (len(timed), sum(t[0] for t in timed)))
