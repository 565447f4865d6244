#!/usr/bin/env python3
"""Every figure of docs/benchmarks.md in one command, from ns-bench runs.

    python3 bench/figures.py [--runs 3] [--duration 8] [--out DIR] [--only NAME,...]
                             [--nsd PATH]

Starts nginx (Debian nginx-light, 1 worker, a small static JSON file) as the
machine's ceiling, then runs each ns-bench scenario --runs times, alternating
with the reference where a ratio is wanted so that both see the same machine.
Prints a Markdown table of medians with min..max, and keeps every run's JSON
in DIR (default a new temp dir). Loopback only; every process it starts is
stopped on exit. Takes about 15 minutes with the defaults.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "bench", "ns-bench")
NSD = os.path.join(ROOT, "build", "nsd")

NGINX_CONF = """worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  server {{
    listen 127.0.0.1:{port};
    location / {{ root {dir}/www; }}
  }}
}}
"""


def log(*args):
    print("[%s]" % time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(work):
    www = os.path.join(work, "www")
    os.makedirs(www, exist_ok=True)
    with open(os.path.join(www, "ref.json"), "w") as f:
        f.write('{"status":"ok","service":"reference"}\n')
    os.chmod(work, 0o755)
    os.chmod(www, 0o755)
    port = free_port()
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(dir=work, port=port))
    proc = subprocess.Popen(["nginx", "-c", conf], stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    if proc.poll() is not None:
        sys.exit("nginx did not start (apt-get install nginx-light)")
    return proc, "http://127.0.0.1:%d/ref.json" % port


def bench(out_dir, name, args, timeout=900):
    """One ns-bench run; its JSON report, also kept as DIR/name.json."""
    cmd = [BENCH] + args + ["--json", "--quiet"]
    log("run", name, ":", " ".join(cmd[1:]))
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    path = os.path.join(out_dir, name + ".json")
    with open(path, "w") as f:
        f.write(res.stdout)
    if res.returncode != 0:
        log("  failed (%d): %s" % (res.returncode, res.stderr.strip()[-400:]))
        return None
    return json.loads(res.stdout)


def med(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "—"
    m = statistics.median(xs)
    fmt = (lambda v: "%.0f" % v) if m >= 100 else (lambda v: "%.2f" % v)
    if len(xs) == 1:
        return fmt(m)
    return "%s (%s..%s)" % (fmt(m), fmt(min(xs)), fmt(max(xs)))


def get(d, *path):
    for p in path:
        if d is None:
            return None
        d = d.get(p)
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--out", default=None)
    ap.add_argument("--nsd", default=NSD,
                    help="the nsd binary to measure (default build/nsd)")
    ap.add_argument("--only", default="", help="comma list of figures: "
                    "ingest,batch,e2e,latency,memory,backlog,recovery,sweep")
    opt = ap.parse_args()
    for tool, hint in ((BENCH, "cmake --build build --target ns-bench"),
                       (NSD, "cmake --build build --target nsd")):
        if not os.access(tool, os.X_OK):
            sys.exit("no %s (%s)" % (tool, hint))
    if shutil.which("nginx") is None:
        sys.exit("nginx not found (apt-get install nginx-light)")
    out = opt.out or tempfile.mkdtemp(prefix="ns-figures.")
    os.makedirs(out, exist_ok=True)
    only = set(filter(None, opt.only.split(",")))
    want = lambda name: not only or name in only
    dur = str(opt.duration)
    nsd = ["--nsd", opt.nsd]
    rows = []
    nginx, ref_url = start_nginx(out)
    try:
        if want("ingest"):
            refs, ingests, ratios, p99s, cpus = [], [], [], [], []
            for i in range(opt.runs):
                r = bench(out, "ref-%d" % i, ["url", "--url", ref_url, "--connections",
                                              "64", "--threads", "2", "--duration", dur])
                g = bench(out, "ingest-%d" % i, ["ingest"] + nsd + [
                    "--connections", "64", "--threads", "2", "--duration", dur])
                rr = get(r, "accepted_per_s")
                gg = get(g, "accepted_per_s")
                refs.append(rr)
                ingests.append(gg)
                ratios.append(gg / rr if rr and gg else None)
                p99s.append(get(g, "accept_latency", "p99_ms"))
                cpus.append(get(g, "nsd_cpu_percent"))
            rows += [("nginx static reference, 64 conns (req/s)", med(refs)),
                     ("ingest, single POSTs, 64 conns (jobs/s)", med(ingests)),
                     ("ingest / nginx (same run)", med(ratios)),
                     ("ingest accept p99 (ms)", med(p99s)),
                     ("ingest nsd CPU (% of one core)", med(cpus))]
            max_rate = statistics.median([x for x in ingests if x]) if any(ingests) else 0
        else:
            max_rate = 0
        if want("latency") and max_rate:
            half = str(int(max_rate / 2))
            p50s, p99s, p999s, refs = [], [], [], []
            for i in range(opt.runs):
                # The same open load on nginx: what the load generator and
                # loopback alone add to a latency.
                r = bench(out, "latency-ref-%d" % i, ["url", "--url", ref_url,
                          "--connections", "64", "--threads", "1", "--rate",
                          half, "--duration", dur])
                refs.append(get(r, "accept_latency", "p99_ms"))
                g = bench(out, "latency-%d" % i, ["ingest"] + nsd + [
                    "--connections", "64", "--threads", "1", "--rate", half,
                    "--duration", dur])
                p50s.append(get(g, "accept_latency", "p50_ms"))
                p99s.append(get(g, "accept_latency", "p99_ms"))
                p999s.append(get(g, "accept_latency", "p99_9_ms"))
            rows += [("accept p50 at half the max rate, open loop (%s/s) (ms)" % half, med(p50s)),
                     ("accept p99 at half the max rate, open loop (ms)", med(p99s)),
                     ("accept p99.9 at half the max rate, open loop (ms)", med(p999s)),
                     ("nginx p99 at the same open load (ms)", med(refs))]
        if want("batch"):
            xs = []
            for i in range(opt.runs):
                g = bench(out, "batch-%d" % i, ["batch"] + nsd + [
                    "--connections", "4", "--duration", dur])
                xs.append(get(g, "accepted_per_s"))
            rows.append(("batch, 1000 jobs/request, 4 conns (jobs/s)", med(xs)))
        if want("e2e"):
            acc, dl, p99 = [], [], []
            for i in range(opt.runs):
                g = bench(out, "e2e-%d" % i, ["e2e"] + nsd + [
                    "--connections", "64", "--threads", "2", "--duration", dur])
                acc.append(get(g, "accepted_per_s"))
                dl.append(get(g, "delivered_per_s"))
                p99.append(get(g, "delivered_latency", "p99_ms"))
            rows += [("e2e webhook, 64 conns: accepted (jobs/s)", med(acc)),
                     ("e2e webhook: delivered (jobs/s)", med(dl)),
                     ("e2e create→delivered p99, closed loop (ms)", med(p99))]
            top = statistics.median([x for x in dl if x]) if any(dl) else 0
            if top:
                half = str(int(top / 2))
                p50, p99h = [], []
                for i in range(opt.runs):
                    g = bench(out, "e2e-half-%d" % i, ["e2e"] + nsd + [
                        "--connections", "64", "--threads", "1", "--rate", half,
                        "--duration", dur])
                    p50.append(get(g, "delivered_latency", "p50_ms"))
                    p99h.append(get(g, "delivered_latency", "p99_ms"))
                rows += [("e2e create→delivered p50 at half rate (%s/s) (ms)" % half, med(p50)),
                         ("e2e create→delivered p99 at half rate (ms)", med(p99h))]
        if want("memory"):
            xs = []
            for i in range(opt.runs):
                g = bench(out, "memory-%d" % i, ["memory"] + nsd + [
                    "--jobs", "100000", "--batch", "100", "--connections", "2"])
                xs.append(get(g, "extra", "bytes_per_live_job"))
            rows.append(("RSS per live job, 100k live jobs (bytes)", med(xs)))
            xs = []
            for i in range(opt.runs):
                g = bench(out, "memory-1m-%d" % i, ["memory"] + nsd + [
                    "--jobs", "1000000", "--batch", "1000", "--connections", "4"],
                    timeout=1800)
                xs.append(get(g, "extra", "bytes_per_live_job"))
            rows.append(("RSS per live job, 1M live jobs (bytes)", med(xs)))
            g = bench(out, "memory-backlog", ["memory", "--backlog"] + nsd + [
                "--jobs", "2000000", "--batch", "1000", "--connections", "4",
                "--drain-timeout", "600"], timeout=1800)
            rows += [("backlog of 2M jobs: peak RSS (MiB)", med([get(g, "extra", "rss_peak_mib")])),
                     ("backlog of 2M jobs: peak jobs resting in RocksDB",
                      med([get(g, "extra", "peak_backlog_jobs")]))]
        if want("backlog"):
            xs = []
            for i in range(opt.runs):
                g = bench(out, "backlog-%d" % i, ["backlog"] + nsd + [
                    "--jobs", "200000", "--batch", "1000", "--connections", "4"])
                xs.append(get(g, "extra", "drain_jobs_per_s"))
            rows.append(("backlog of 200k drained to the webhook (jobs/s)", med(xs)))
        if want("recovery"):
            xs = []
            for i in range(opt.runs):
                g = bench(out, "recovery-%d" % i, ["recovery"] + nsd + [
                    "--jobs", "1000000", "--batch", "1000", "--connections", "4"])
                xs.append(get(g, "extra", "recovery_s"))
            rows.append(("recovery: 1M non-final jobs → /readyz (s)", med(xs)))
        if want("sweep"):
            png = os.path.join(out, "sweep-ingest.png")
            bench(out, "sweep", ["sweep", "ingest"] + nsd + [
                "--vary", "connections=1,4,16,64,128,256", "--threads", "2",
                "--duration", "5", "--p99-bound", "10", "--plot", png])
            log("sweep plot:", png)
    finally:
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
    print("| figure | median (min..max), %d runs |" % opt.runs)
    print("|---|---|")
    for name, value in rows:
        print("| %s | %s |" % (name, value))
    log("every run's JSON is in", out)


if __name__ == "__main__":
    main()
