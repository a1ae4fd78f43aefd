"""The node listing benchmark's steps after run.sh started crowbard: NODES nodes registered (4 connections), every
tenth moved to ready, every twentieth assigned the loadtest-node role of a proposal; then REQUESTS sequential requests
of each kind on one keep-alive connection, as a CLI or TUI holds one. Checks what each answer holds (every node
exactly once across the pages, the filters' counts) and exits 1 on a mismatch. Prints p50/p90 and bytes per kind."""
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse

count, requests = int(sys.argv[1]), int(sys.argv[2])
url = urllib.parse.urlparse(os.environ["CROWBAR_URL"])
token = open(os.path.join(os.environ["CROWBAR_DATA_DIR"], "api-token")).read().strip()
names = ["d52-54-00-%02x-%02x-%02x" % (index >> 16, index >> 8 & 255, index & 255) for index in range(count)]


class Client:
    def __init__(self):
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

    def request(self, method, path, body=None):
        headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        self.connection.request(method, path if path.startswith("/api/") else "/api/v1" + path, None if body is None else json.dumps(body), headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            print(f"{method} {path}: {response.status} {data[:300]!r}", file=sys.stderr)
            os._exit(1)  # from any thread
        return data, response.getheader("Link")


def register(indexes):
    client = Client()
    for index in indexes:
        mac = names[index][1:].replace("-", ":")
        inventory = {"cpuModel": "QEMU Virtual CPU version 2.5+", "cpuCount": 4, "memoryMB": 8192, "vendor": "QEMU",
                     "product": "Standard PC (i440FX + PIIX, 1996)", "serial": "S%06d" % index,
                     "disks": [{"name": "vda", "sizeBytes": 1 << 34}, {"name": "vdb", "sizeBytes": 1 << 35}]}
        client.request("POST", "/nodes/discover", {"macs": [mac], "inventory": inventory})
        if index % 10 == 0:
            for state in ["problem", "readying", "ready"]:  # readying with no roles to ready moves on by itself
                data, _ = client.request("POST", f"/nodes/{names[index]}/transition", {"state": state})
                if json.loads(data)["state"] == "ready":
                    break


started = time.monotonic()
threads = [threading.Thread(target=register, args=(range(part, count, 4),)) for part in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
client = Client()
client.request("POST", "/proposals/loadtest", {"name": "bench"})
assigned = names[::20]
client.request("PUT", "/proposals/loadtest/bench/deployment/loadtest-node", {"nodes": assigned})
print(f"seeded {count} nodes in {time.monotonic() - started:.1f} s")


def pages(limit):
    """The bodies of every page of GET /nodes?limit=LIMIT, following the Link headers."""
    path, bodies = f"/nodes?limit={limit}", []
    for _ in range(count // limit + 2):
        data, link = client.request("GET", path)
        bodies.append(data)
        if link is None:
            return bodies
        path = link.split(">")[0].lstrip("<")
    sys.exit(f"more pages than {count // limit + 2}")


def measure(label, path, check):
    """REQUESTS times the request until its last byte arrived (the JSON is parsed and checked after the clock)."""
    times = []
    for _ in range(requests):
        begun = time.perf_counter()
        bodies = pages(int(path[6:])) if path.startswith("pages:") else [client.request("GET", path)[0]]
        times.append(time.perf_counter() - begun)
        size = len(bodies[-1])
        listed = [node for body in bodies for node in json.loads(body)] if path != "/health" else bodies
        if not check(listed):
            sys.exit(f"{label}: unexpected answer ({len(listed)} items)")
    quantiles = statistics.quantiles(times, n=10)
    print(f"| {label} | `{path}` | {statistics.median(times) * 1000:.1f} | {quantiles[8] * 1000:.1f} | {size:,} |")
    return statistics.median(times)


def names_of(listed):
    return [node["name"] for node in listed]


print("| kind | request | p50 (ms) | p90 (ms) | bytes (last page) |\n|---|---|---|---|---|")
floor = measure("floor: health", "/health", lambda _: True)
first = measure("no parameters: the first 1,000", "/nodes", lambda listed: names_of(listed) == sorted(names)[:1000])
measure("one page of 100", "/nodes?limit=100", lambda listed: names_of(listed) == sorted(names)[:100])
measure("a page of 1,000 halfway", "/nodes?limit=1000&after=" + sorted(names)[count // 2], lambda listed: names_of(listed) == sorted(names)[count // 2 + 1:count // 2 + 1001])
walk = measure(f"every node: {count // 1000} pages of 1,000", "pages:1000", lambda listed: names_of(listed) == sorted(names))
measure("state=ready", "/nodes?state=ready", lambda listed: names_of(listed) == sorted(names[::10]))
measure("role=loadtest-node", "/nodes?role=loadtest-node", lambda listed: names_of(listed) == sorted(assigned))
measure("state=ready&role=loadtest-node&limit=100", "/nodes?state=ready&role=loadtest-node&limit=100",
        lambda listed: names_of(listed) == sorted(set(names[::10]) & set(assigned))[:100])
print(f"a page of 1,000: {first / floor:.0f}x the floor; every node, page after page: {walk / first:.1f}x one page")
