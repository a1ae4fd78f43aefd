"""The API load benchmark's steps after run.sh started crowbard and two lab nodes: 8 proposals created, a streaming run
committed, then for SECONDS: CLIENTS editors (read, increment `counter` with If-Match, retry on 412; every 10th round
a commit with If-Match), one registrar (20 nodes/s), one follower of the run's log, one health prober (the floor).
Prints latency by kind, status codes, lost edits, and the rows for docs/benchmarks.md. Exits 1 on a 5xx or a lost edit."""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

seconds, clients = float(sys.argv[1]), int(sys.argv[2])
url = urllib.parse.urlparse(os.environ["CROWBAR_URL"])
token = open(os.path.join(os.environ["CROWBAR_DATA_DIR"], "api-token")).read().strip()
proposals = [f"p{index}" for index in range(8)]
samples = []  # (kind, status, seconds)
samples_lock = threading.Lock()
deadline = 0.0


class Client:
    """One keep-alive connection, as a CLI or TUI holds one."""

    def __init__(self):
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def request(self, kind, method, path, body=None, headers=None):
        started = time.perf_counter()
        all_headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json", **(headers or {})}
        self.connection.request(method, "/api/v1" + path, None if body is None else json.dumps(body), all_headers)
        response = self.connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        with samples_lock:
            samples.append((kind, response.status, elapsed))
        return response.status, response.getheader("ETag"), (json.loads(data) if data else None)


def setup():
    client = Client()
    for name in proposals + ["stream"]:
        status, _, _ = client.request("setup", "POST", "/proposals/loadtest", {"name": name})
        assert status in (200, 201), status
    status, _, _ = client.request("setup", "PUT", "/proposals/loadtest/stream/deployment/loadtest-node", {"nodes": ["n1", "n2"]})
    assert status == 200, status
    status, _, result = client.request("setup", "POST", "/proposals/loadtest/stream/commit")
    assert status == 200, status
    return result["run"]["id"]


increments = {name: 0 for name in proposals}
increments_lock = threading.Lock()


def editor(index):
    client, name, rounds = Client(), proposals[index % len(proposals)], 0
    while time.monotonic() < deadline:
        status, etag, proposal = client.request("read", "GET", f"/proposals/loadtest/{name}")
        counter = proposal["content"]["attributes"]["counter"]
        status, etag, _ = client.request(
            "edit", "PATCH", f"/proposals/loadtest/{name}", {"edits": [{"path": "counter", "value": counter + 1}]}, {"If-Match": etag})
        if status == 200:
            with increments_lock:
                increments[name] += 1
            rounds += 1
            if rounds % 10 == 0:
                client.request("commit", "POST", f"/proposals/loadtest/{name}/commit?apply=false", headers={"If-Match": etag})


def registrar():
    client, index = Client(), 0
    while time.monotonic() < deadline:
        mac = "52:54:00:%02x:%02x:%02x" % (0xc0 + index // 65536, index // 256 % 256, index % 256)
        client.request("register", "POST", "/nodes/discover", {"macs": [mac], "inventory": {"cpuCount": 4, "memoryMB": 8192, "disks": []}})
        index += 1
        time.sleep(0.05)


streamed = [0]


def follower(run):
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.request("GET", f"/api/v1/runs/{run}/log?follow=true", headers={"Authorization": "Bearer " + token})
    response = connection.getresponse()
    while time.monotonic() < deadline:
        line = response.fp.readline()
        if not line:
            break
        streamed[0] += 1


def prober():
    client = Client()
    while time.monotonic() < deadline:
        client.request("health (floor)", "GET", "/health")
        time.sleep(0.05)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


run = setup()
time.sleep(3)  # the run is streaming
deadline = time.monotonic() + seconds
threads = [threading.Thread(target=editor, args=(index,)) for index in range(clients)]
threads += [threading.Thread(target=registrar), threading.Thread(target=follower, args=(run,)), threading.Thread(target=prober)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

check = Client()
lost = []
for name in proposals:
    _, _, proposal = check.request("check", "GET", f"/proposals/loadtest/{name}")
    if proposal["content"]["attributes"]["counter"] != increments[name]:
        lost.append((name, proposal["content"]["attributes"]["counter"], increments[name]))

measured = [sample for sample in samples if sample[0] not in ("setup", "check")]
statuses = {}
for _, status, _ in measured:
    statuses[status] = statuses.get(status, 0) + 1
api = [elapsed for kind, _, elapsed in measured if kind != "health (floor)"]
floor = [elapsed for kind, _, elapsed in measured if kind == "health (floor)"]
print(f"{clients} editors, {seconds:.0f} s: {len(api)} API requests ({len(api) / seconds:.0f}/s), statuses {dict(sorted(statuses.items()))}")
print(f"log lines streamed meanwhile: {streamed[0]} ({streamed[0] / seconds:.0f}/s)")
print(f"edits answered 200: {sum(increments.values())}; lost edits: {lost or 'none'}")
print("| requests | count | p50 ms | p99 ms | max ms |")
print("|---|---|---|---|---|")
for kind in ["read", "edit", "commit", "register", "health (floor)"]:
    values = [elapsed for k, _, elapsed in measured if k == kind]
    print(f"| {kind} | {len(values)} | {percentile(values, 0.5) * 1000:.1f} | {percentile(values, 0.99) * 1000:.1f} | {max(values) * 1000:.1f} |")
print(f"| all API requests | {len(api)} | {percentile(api, 0.5) * 1000:.1f} | {percentile(api, 0.99) * 1000:.1f} | {max(api) * 1000:.1f} |")
print(f"API p99 / floor p99: {percentile(api, 0.99) / percentile(floor, 0.99):.2f}x")
sys.exit(1 if lost or any(status >= 500 for status in statuses) else 0)
