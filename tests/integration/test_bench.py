"""ns-bench, the load harness, against a real nsd: each scenario runs briefly
with --json and its numbers must be sane and agree with what nsd itself says
(jobs exist and are in the right state, /v1/stats counts the same)."""

import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

from nsd import NSD_BIN, Nsd, clean_up_after

BENCH_BIN = os.environ.get("NS_BENCH_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bench",
    "ns-bench")


def run_bench(args, timeout=60, expect_rc=0):
    proc = subprocess.run([BENCH_BIN] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != expect_rc:
        raise AssertionError("ns-bench %s exited %d (want %d)\nstdout:\n%s\n"
                             "stderr:\n%s" % (" ".join(args), proc.returncode,
                                              expect_rc, proc.stdout,
                                              proc.stderr))
    return proc


def bench_json(args, timeout=60):
    return json.loads(run_bench(list(args) + ["--json", "--quiet"],
                                timeout).stdout)


class BenchTestCase(unittest.TestCase):

    def check_latency(self, lat, count):
        self.assertEqual(lat["count"], count, lat)
        self.assertGreater(lat["p50_ms"], 0, lat)
        self.assertLessEqual(lat["p50_ms"], lat["p90_ms"], lat)
        self.assertLessEqual(lat["p90_ms"], lat["p99_ms"], lat)
        self.assertLessEqual(lat["p99_ms"], lat["p99_9_ms"], lat)
        self.assertLessEqual(lat["p99_9_ms"], lat["max_ms"], lat)
        self.assertLess(lat["max_ms"], 30000, lat)

    def check_load(self, r, jobs_per_request=1):
        self.assertFalse(r["interrupted"])
        self.assertNotIn("failure", r)
        self.assertGreater(r["accepted"], 0, r)
        self.assertEqual(r["error_count"], 0, r["errors"])
        self.assertEqual(r["accepted"], r["requests"] * jobs_per_request, r)
        self.assertAlmostEqual(r["accepted_per_s"],
                               r["accepted"] / r["elapsed_s"], delta=1)
        self.check_latency(r["accept_latency"], r["requests"])

    def attached(self):
        node = Nsd()
        clean_up_after(self, node)
        node.start()
        return node, ["--target", "http://127.0.0.1:%d" % node.port,
                      "--admin-token", node.admin_token,
                      "--nsd-pid", str(node.proc.pid)]

    def job_states(self, node, r):
        self.assertTrue(r["sample_job_ids"], r)
        states = set()
        for job_id in r["sample_job_ids"]:
            status, _, job = node.request("GET", "/v1/jobs/" + job_id,
                                          api_key=r["api_key"])
            self.assertEqual(status, 200, job)
            self.assertEqual(job["adapter"], r["adapter"])
            self.assertGreater(job["params"]["t"], 10 ** 18)
            states.add(job["state"])
        return states


class IngestAndDeliveryTests(BenchTestCase):

    def test_ingest_attached_to_a_running_nsd(self):
        node, attach = self.attached()
        r = bench_json(["ingest", "--duration", "2", "--connections", "4"]
                       + attach)
        self.check_load(r)
        self.assertEqual(self.job_states(node, r), {"queued"})
        _, _, stats = node.request("GET", "/v1/stats")
        self.assertEqual(stats["accepted_total"], r["accepted"])
        self.assertEqual(stats["jobs"]["queued"], r["accepted"])
        self.assertEqual(r["delivered"], 0)
        # RSS and CPU come from /proc of the pid given
        self.assertGreater(r["nsd_rss_final_bytes"], 1 << 20)
        self.assertGreaterEqual(r["nsd_rss_peak_bytes"],
                                r["nsd_rss_final_bytes"])
        self.assertGreater(r["nsd_cpu_percent"], 0)

    def test_e2e_delivers_every_accepted_job_to_the_receiver(self):
        node, attach = self.attached()
        r = bench_json(["e2e", "--duration", "2", "--connections", "4"]
                       + attach)
        self.check_load(r)
        self.assertEqual(r["delivered"], r["accepted"], r)
        self.check_latency(r["delivered_latency"], r["delivered"])
        self.assertGreater(r["delivered_per_s"], 0)
        self.assertEqual(self.job_states(node, r), {"succeeded"})
        _, _, stats = node.request("GET", "/v1/stats")
        self.assertEqual(stats["delivered_total"], r["delivered"])

    def test_batch_sends_1000_jobs_per_request(self):
        r = bench_json(["batch", "--nsd", NSD_BIN, "--duration", "2",
                        "--connections", "1"])
        self.assertEqual(r["batch"], 1000)
        self.check_load(r, jobs_per_request=1000)
        self.assertGreater(r["nsd_rss_peak_bytes"], 1 << 20)


class DrainAndRecoveryTests(BenchTestCase):

    def test_backlog_drains_every_queued_job(self):
        r = bench_json(["backlog", "--nsd", NSD_BIN, "--jobs", "600",
                        "--connections", "4"])
        self.check_load(r)
        self.assertEqual(r["accepted"], 600)
        self.assertEqual(r["delivered"], 600)
        self.check_latency(r["delivered_latency"], 600)
        self.assertGreater(r["extra"]["drain_s"], 0)
        self.assertAlmostEqual(r["extra"]["drain_jobs_per_s"],
                               600 / r["extra"]["drain_s"], delta=1)

    def test_recovery_finds_every_queued_job_after_kill9(self):
        r = bench_json(["recovery", "--nsd", NSD_BIN, "--jobs", "500",
                        "--batch", "50", "--connections", "2"])
        self.check_load(r, jobs_per_request=50)
        self.assertEqual(r["accepted"], 500)
        self.assertEqual(r["extra"]["jobs_waiting_before_kill"], 500)
        self.assertEqual(r["extra"]["jobs_recovered"], 500)
        self.assertGreater(r["extra"]["recovery_s"], 0)
        self.assertLess(r["extra"]["recovery_s"], 30)


class SweepAndUrlTests(BenchTestCase):

    def test_sweep_over_connections_reports_each_point_and_the_knee(self):
        tmp = tempfile.mkdtemp(prefix="ns-bench-test-")
        self.addCleanup(shutil.rmtree, tmp, True)
        plot = os.path.join(tmp, "sweep.png")
        out = bench_json(["sweep", "ingest", "--nsd", NSD_BIN,
                          "--vary", "connections=1,4", "--duration", "1",
                          "--p99-bound", "1000", "--plot", plot])
        points = out["points"]
        self.assertEqual([p["value"] for p in points], ["1", "4"])
        for p in points:
            self.assertEqual(p["result"]["connections"], int(p["value"]))
            self.check_load(p["result"])
        # the knee is the fastest point within the bound
        within = [p for p in points
                  if p["result"]["accept_latency"]["p99_ms"] <= 1000]
        self.assertTrue(within)
        best = max(within, key=lambda p: p["result"]["accepted_per_s"])
        self.assertEqual(out["knee"]["value"], best["value"])
        with open(plot, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def plain_server(self, close_each=False):
        """A local HTTP/1.1 server; returns its URL and its answer count."""
        served = [0]
        lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = -1  # one write per answer: no delayed-ACK stalls

            def do_GET(self):
                with lock:
                    served[0] += 1
                body = b'{"ok":true}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                if close_each:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)

        def count():
            with lock:
                return served[0]
        return "http://127.0.0.1:%d/ref.json" % server.server_address[1], count

    def test_url_drives_a_plain_http_server(self):
        url, served = self.plain_server()
        r = bench_json(["url", "--url", url, "--duration", "2",
                        "--connections", "2"])
        self.check_load(r)
        self.assertEqual(served(), r["requests"])
        # open loop on two io threads: the rate is kept, not exceeded
        r = bench_json(["url", "--url", url, "--duration", "2",
                        "--connections", "4", "--threads", "2",
                        "--rate", "200"])
        self.check_load(r)
        self.assertEqual(r["threads"], 2)
        self.assertGreater(r["requests"], 0.8 * 400, r)
        self.assertLessEqual(r["requests"], 400 + 4, r)

    def test_connections_the_server_closes_are_reopened(self):
        url, served = self.plain_server(close_each=True)
        r = bench_json(["url", "--url", url, "--duration", "1",
                        "--connections", "2"])
        self.check_load(r)
        self.assertGreater(r["requests"], 10, r)
        self.assertEqual(served(), r["requests"])
        r = bench_json(["url", "--url", url, "--duration", "1",
                        "--connections", "2", "--rate", "100"])
        self.check_load(r)
        self.assertGreater(r["requests"], 80, r)

    def test_open_loop_latency_counts_from_the_intended_send_time(self):
        url, _ = self.plain_server()
        # Requests leave only every 50 ms: whatever waited for its tick was
        # late by up to that much, and the latency must say so.
        slow = bench_json(["url", "--url", url, "--duration", "2",
                           "--connections", "4", "--rate", "200",
                           "--tick", "50000"])
        self.check_load(slow)
        self.assertGreater(slow["requests"], 0.8 * 400, slow)
        self.assertGreater(slow["accept_latency"]["p50_ms"], 10, slow)
        self.assertGreater(slow["accept_latency"]["max_ms"], 40, slow)
        fine = bench_json(["url", "--url", url, "--duration", "2",
                           "--connections", "4", "--rate", "200",
                           "--tick", "0"])
        self.check_load(fine)
        self.assertLess(fine["accept_latency"]["p50_ms"],
                        slow["accept_latency"]["p50_ms"], (fine, slow))

    def test_bad_options_exit_2_and_help_lists_every_option(self):
        for args in (["ingest"], ["nope", "--nsd", NSD_BIN],
                     ["ingest", "--nsd", NSD_BIN, "--connections", "0"],
                     ["ingest", "--nsd", NSD_BIN, "--bogus"],
                     ["recovery", "--target", "http://127.0.0.1:1",
                      "--admin-token", "x"],
                     ["sweep", "ingest", "--nsd", NSD_BIN, "--vary", "x=1"],
                     ["ingest", "--nsd", NSD_BIN, "--tick", "-1"]):
            proc = run_bench(args, expect_rc=2)
            self.assertIn("ns-bench:", proc.stderr)
        text = run_bench(["--help"]).stdout
        for opt in ("--connections", "--rate", "--duration", "--jobs",
                    "--batch", "--threads", "--tick", "--nsd", "--set", "--target",
                    "--admin-token", "--nsd-pid", "--url", "--json", "--vary",
                    "--p99-bound", "--plot", "--backlog"):
            self.assertIn(opt, text)


if __name__ == "__main__":
    unittest.main()
