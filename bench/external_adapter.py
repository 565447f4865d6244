#!/usr/bin/env python3
"""Jobs/s and latency from HTTP accept to an external adapter's result.

Starts a real nsd (build/nsd) on a temp dir, one external adapter, N instances
of ns-adapter-console (no-op: --quiet), then

  flood:  JOBS jobs in batches of 500 from 4 HTTP connections at once; the rate
          is JOBS / (first POST .. the moment /v1/stats counts them all
          succeeded); latency per job is finish_time - create_time (accepted
          and durable -> result from the adapter and durable), over a sample;
  paced:  RATE jobs/s of single POST /v1/jobs for SECONDS; the same latency,
          without a queue in front.

    python3 bench/external_adapter.py [--instances 1] [--jobs 20000]

Needs python3-zmq only for the tests; this script uses the standard library.
"""

import argparse
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
from nsd import Nsd, parse_rfc3339  # noqa: E402

CONSOLE = os.path.join(REPO, "build", "net", "adapter_sdk",
                       "ns-adapter-console")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100.0))]


def latencies(node, key, ids):
    out = []
    for job_id in ids:
        _, _, j = node.request("GET", "/v1/jobs/" + job_id, api_key=key)
        if j["state"] == "succeeded":
            out.append((parse_rfc3339(j["finish_time"])
                        - parse_rfc3339(j["create_time"])) * 1000.0)
    return out


def succeeded(node):
    _, _, s = node.request("GET", "/v1/stats")
    return s["adapters"].get("bench", {}).get("succeeded", 0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--instances", type=int, default=1)
    p.add_argument("--credit", type=int, default=64)
    p.add_argument("--jobs", type=int, default=20000)
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--seconds", type=float, default=5.0)
    args = p.parse_args()

    node = Nsd()
    procs = []
    try:
        node.start()
        _, _, ad = node.request("POST", "/v1/adapters", {
            "name": "bench", "type": "external", "config": {}})
        _, _, cl = node.request("POST", "/v1/clients",
                                {"name": "bench", "adapters": "*"})
        key = cl["api_key"]
        for i in range(args.instances):
            procs.append(subprocess.Popen(
                [CONSOLE, "--endpoint=" + node.adapter_endpoint,
                 "--key=" + ad["api_key"], "--credit=%d" % args.credit,
                 "--quiet", "--name=i%d" % i],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        while len(node.request("GET", "/v1/adapters/bench")[2]["instances"]) \
                < args.instances:
            time.sleep(0.05)

        # -- flood ---------------------------------------------------------
        ids, lock = [], threading.Lock()
        per_thread = args.jobs // 4

        def submit(n):
            conn = node.connect(timeout=60)
            mine = []
            for start in range(0, n, 500):
                batch = {"jobs": [{"adapter": "bench", "params": {"i": i}}
                                  for i in range(start, min(n, start + 500))]}
                _, _, body = node.request("POST", "/v1/jobs/batch", batch,
                                          api_key=key, conn=conn)
                mine += [r["job_id"] for r in body["results"] if "job_id" in r]
            conn.close()
            with lock:
                ids.extend(mine)

        t0 = time.monotonic()
        threads = [threading.Thread(target=submit, args=(per_thread,))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        t_accepted = time.monotonic() - t0
        total = len(ids)
        while succeeded(node) < total:
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        sample = latencies(node, key, ids[::max(1, total // 2000)])
        print("flood: %d jobs, %d instance(s), credit %d: accepted in %.2f s, "
              "all succeeded in %.2f s = %.0f jobs/s end to end; "
              "latency p50 %.0f ms, p99 %.0f ms (n=%d)"
              % (total, args.instances, args.credit, t_accepted, elapsed,
                 total / elapsed, pct(sample, 50), pct(sample, 99),
                 len(sample)))

        # -- paced ---------------------------------------------------------
        paced = []
        interval = 1.0 / args.rate
        conn = node.connect()
        next_at = time.monotonic()
        end = next_at + args.seconds
        while time.monotonic() < end:
            _, _, body = node.request("POST", "/v1/jobs",
                                      {"adapter": "bench", "params": {}},
                                      api_key=key, conn=conn)
            paced.append(body["job_id"])
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
        conn.close()
        while succeeded(node) < total + len(paced):
            time.sleep(0.02)
        lat = latencies(node, key, paced)
        print("paced: %d jobs at %d/s, %d instance(s): latency p50 %.1f ms, "
              "p99 %.1f ms (create_time -> finish_time, ms resolution)"
              % (len(paced), args.rate, args.instances, pct(lat, 50),
                 pct(lat, 99)))
    finally:
        for pr in procs:
            pr.terminate()
            pr.wait(10)
        node.stop()
        node.cleanup()


if __name__ == "__main__":
    main()
