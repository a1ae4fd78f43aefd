#!/usr/bin/env python3
"""deploy-day-report.py JUNIT_XML REPORT.jsonl...

Turns `crowbar batch apply --report` files into a JUnit XML report and a human summary on stdout. Each applied
proposal is one testcase (its run's wall time); a verification run adds one testcase per check (a `crowbar-verify`
command resource), timed from the run log. Failures carry the failing step, node and output. Reads the runs from
crowbard's API (CROWBAR_URL, token from CROWBAR_DATA_DIR/api-token). Exit status 1 if anything failed.
"""
import json
import os
import re
import sys
import urllib.request
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

base = os.environ["CROWBAR_URL"].rstrip("/") + "/api/v1"
token = open(os.path.join(os.environ["CROWBAR_DATA_DIR"], "api-token")).read().strip()


def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def checks_in_recipe():
    """The checks the verification recipe runs, in its order: those a failed run never reached are reported too."""
    recipe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "recipes", "verification", "verifier.yml")
    return re.findall(r"^\s*- command: crowbar-verify (\S+)\s*$", open(recipe).read(), re.MULTILINE)


def when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


suites = []
failed = False
summary = []
for report in sys.argv[2:]:
    cases = []
    for line in open(report):
        entry = json.loads(line)
        run = get("/runs/%d" % entry["run"])
        name = "%s/%s" % (entry["barclamp"], entry["proposal"])
        failure = None
        if entry["status"] != "succeeded":
            failure = run.get("failure") or {"message": entry["status"], "output": ""}
        cases.append(("apply", name, entry["seconds"], failure, "run %d, %d changed" % (entry["run"], entry["changed"])))
        summary.append("%-8s %-28s %7.1f s  %s" % ("FAILED" if failure else "ok", "apply " + name, entry["seconds"],
                                                  "run %d, %d changed" % (entry["run"], entry["changed"])))
        if entry["barclamp"] != "verification":
            continue
        log = get("/runs/%d/log" % entry["run"])
        previous = when(run["startedAt"]) if run.get("startedAt") else None
        for step in run["steps"]:
            for result in step["results"]:
                for resource in result["resources"]:
                    label = resource["resource"]
                    if not label.startswith("command crowbar-verify "):
                        continue
                    check = label.split()[-1]
                    ended = next((when(l["at"]) for l in log if l["text"].endswith(": " + label)), None)
                    seconds = (ended - previous).total_seconds() if ended and previous else 0.0
                    previous = ended or previous
                    problem = None
                    if resource["status"] == "failed":
                        problem = {"message": "check %s failed on %s" % (check, result["node"]), "output": resource["output"]}
                    cases.append(("verify", check, seconds, problem, resource["output"]))
                    summary.append("%-8s %-28s %7.1f s  %s" % ("FAILED" if problem else "ok", "verify " + check, seconds,
                                                              (resource["output"].strip().splitlines() or [""])[-1][:90]))
        expected = checks_in_recipe()
        seen = [case[1] for case in cases if case[0] == "verify"]
        for check in expected:
            if check not in seen:
                cases.append(("verify", check, 0.0, {"message": "not run: an earlier step failed", "output": ""}, ""))
                summary.append("%-8s %-28s %7s    not run" % ("FAILED", "verify " + check, "-"))
    suites.append((os.path.basename(report), cases))
    failed = failed or any(case[3] for case in cases)

with open(sys.argv[1], "w") as out:
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')
    for suite, cases in suites:
        errors = sum(1 for case in cases if case[3])
        out.write('  <testsuite name=%s tests="%d" failures="%d" time="%.1f">\n'
                  % (quoteattr(suite), len(cases), errors, sum(case[2] for case in cases)))
        for kind, name, seconds, failure, output in cases:
            out.write('    <testcase classname=%s name=%s time="%.1f">\n' % (quoteattr("deploy-day." + kind), quoteattr(name), seconds))
            if failure:
                where = " ".join(str(failure.get(k)) for k in ("step", "node", "resource") if failure.get(k) is not None)
                out.write('      <failure message=%s>%s</failure>\n'
                          % (quoteattr(failure.get("message", "")), escape((where + "\n" + failure.get("output", "")).strip())))
            if output:
                out.write("      <system-out>%s</system-out>\n" % escape(output))
            out.write("    </testcase>\n")
        out.write("  </testsuite>\n")
    out.write("</testsuites>\n")

print("\n".join(summary))
sys.exit(1 if failed else 0)
