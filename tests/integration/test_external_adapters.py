"""External adapters over ZeroMQ (docs/adapter-protocol.md): real nsd, real
adapter processes (the C++ reference adapter ns-adapter-console and the Python
example docs/examples/adapter.py) and raw pyzmq peers, all on loopback."""

import json
import os
import random
import signal
import subprocess
import sys
import time
import unittest

import zmq

from nsd import NodeTestCase, rfc3339, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
CONSOLE_BIN = os.environ.get("NS_ADAPTER_CONSOLE_BIN") or os.path.join(
    os.path.dirname(os.environ.get("NSD_BIN")
                    or os.path.join(REPO, "build", "nsd")),
    "net", "adapter_sdk", "ns-adapter-console")
PY_EXAMPLE = os.path.join(REPO, "docs", "examples", "adapter.py")

FAST_RETRY = {"max_attempts": 5, "initial_backoff_ms": 50,
              "max_backoff_ms": 200}
FINAL = {"succeeded", "failed", "expired", "canceled"}


class RawInstance:
    """A hand-driven adapter instance: one DEALER, frames as the protocol
    says, nothing automatic."""

    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)

    def send(self, kind, body):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.sock.send_multipart([kind.encode(), body])

    def hello(self, key, credit=1, protocol=1):
        self.send("hello", {"protocol": protocol, "key": key,
                            "credit": credit, "name": "raw"})

    def recv(self, timeout=5.0, skip=("heartbeat",), keepalive=False):
        """The next message not of a type in `skip`: (type, body). With
        `keepalive`, heartbeats every 100 ms while it waits."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no message within %.1f s" % timeout)
            if keepalive:
                self.send("heartbeat", {})
            if not self.sock.poll(int(min(left, 0.1 if keepalive else left)
                                      * 1000)):
                continue
            frames = self.sock.recv_multipart()
            assert len(frames) == 2, frames
            kind, body = frames[0].decode(), json.loads(frames[1])
            if kind not in skip:
                return kind, body

    def close(self):
        self.sock.close()


class ExternalTestCase(NodeTestCase):
    # Short heartbeats keep loss detection (and the tests) fast.
    nsd_args = ("--adapters.heartbeat_interval=100ms",
                "--adapters.heartbeat_timeout=1s")

    def setUp(self):
        super().setUp()
        self.ctx = zmq.Context()
        self.addCleanup(self.ctx.destroy, 0)
        self.procs = []
        self.addCleanup(self.stop_all)
        adapter = self.expect(201, "POST", "/v1/adapters", {
            "name": "relay", "type": "external", "config": {},
            "retry": FAST_RETRY})
        self.adapter_key = adapter["api_key"]
        self.key = self.expect(201, "POST", "/v1/clients",
                               {"name": "c", "adapters": "*"})["api_key"]

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait(10)

    # -- processes ---------------------------------------------------------

    def console(self, name, *args, key=None, check_started=True):
        """Starts ns-adapter-console; returns (process, output file)."""
        out = os.path.join(self.node.tmp, name + ".jsonl")
        err = open(os.path.join(self.node.tmp, name + ".err"), "wb")
        p = subprocess.Popen(
            [CONSOLE_BIN, "--endpoint=" + self.node.adapter_endpoint,
             "--key=" + (key or self.adapter_key), "--out=" + out,
             "--name=" + name] + list(args),
            stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        err.close()
        self.procs.append(p)
        if check_started:
            wait_until(lambda: name in self.instance_names(), 5.0,
                       what="instance %s connected" % name)
        return p, out

    def err_text(self, name):
        with open(os.path.join(self.node.tmp, name + ".err"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    @staticmethod
    def lines(path):
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(x) for x in f if x.endswith("\n")]

    # -- nsd ---------------------------------------------------------------

    def instances(self):
        return self.expect(200, "GET", "/v1/adapters/relay")["instances"]

    def instance_names(self):
        return [i["name"] for i in self.instances()]

    def submit_many(self, n, **fields):
        ids = []
        for start in range(0, n, 1000):
            jobs = [dict({"adapter": "relay", "params": {"n": i}}, **fields)
                    for i in range(start, min(n, start + 1000))]
            body = self.expect(200, "POST", "/v1/jobs/batch", {"jobs": jobs},
                               api_key=self.key)
            for r in body["results"]:
                self.assertIn("job_id", r, r)
                ids.append(r["job_id"])
        return ids

    def submit(self, **fields):
        job = {"adapter": "relay", "params": {}}
        job.update(fields)
        return self.expect(202, "POST", "/v1/jobs", job,
                           api_key=self.key)["job_id"]

    def job(self, job_id):
        return self.expect(200, "GET", "/v1/jobs/" + job_id, api_key=self.key)

    def wait_state(self, job_id, states, timeout=5.0):
        if isinstance(states, str):
            states = {states}
        last = {}

        def check():
            last["job"] = self.job(job_id)
            return last["job"]["state"] in states
        try:
            wait_until(check, timeout, what="job in %s" % sorted(states))
        except AssertionError:
            self.fail("job %s not in %s within %.1f s: %r\nnsd log:\n%s"
                      % (job_id, sorted(states), timeout, last.get("job"),
                         self.node.log()[-3000:]))
        return last["job"]

    def succeeded(self):
        stats = self.expect(200, "GET", "/v1/stats")
        return stats["adapters"].get("relay", {}).get("succeeded", 0)

    def wait_succeeded(self, n, timeout=60.0):
        try:
            wait_until(lambda: self.succeeded() >= n, timeout, interval=0.1,
                       what="%d jobs succeeded" % n)
        except AssertionError:
            self.fail("only %d of %d jobs succeeded within %.0f s; stats: %r"
                      "\nnsd log:\n%s" % (self.succeeded(), n, timeout,
                                          self.expect(200, "GET", "/v1/stats"),
                                          self.node.log()[-3000:]))

    def assert_all_succeeded(self, ids):
        # Final counts come from the stats; a sample of GETs shows the state
        # readers see.
        self.assertEqual(self.succeeded(), len(ids))
        for job_id in ids[::97]:
            self.assertEqual(self.job(job_id)["state"], "succeeded")


class SharingTests(ExternalTestCase):

    def test_two_instances_share_1000_jobs_none_lost_none_twice(self):
        _, out_a = self.console("a", "--credit=8")
        _, out_b = self.console("b", "--credit=8")
        ids = self.submit_many(1000)
        self.wait_succeeded(1000)
        self.assert_all_succeeded(ids)
        a, b = self.lines(out_a), self.lines(out_b)
        self.assertGreater(len(a), 0, "instance a got no work")
        self.assertGreater(len(b), 0, "instance b got no work")
        seen = [x["job_id"] for x in a + b]
        # Nothing lost, nothing delivered twice (no instance was lost).
        self.assertEqual(len(seen), 1000)
        self.assertEqual(set(seen), set(ids))
        self.assertTrue(all(x["attempt"] == 1 for x in a + b))
        inst = self.instances()
        self.assertEqual(len(inst), 2, inst)
        self.assertEqual(sum(i["jobs_done"] for i in inst), 1000)
        for i in inst:
            self.assertEqual(set(i), {"id", "peer", "name", "connected_at",
                                      "credit", "in_flight", "jobs_done",
                                      "last_heartbeat"})
            self.assertEqual(i["in_flight"], 0)
            self.assertEqual(i["credit"], 8)
            self.assertEqual(i["peer"], "127.0.0.1")

    def test_kill9_instance_mid_stream_its_jobs_go_to_the_other(self):
        pa, out_a = self.console("a", "--credit=8", "--delay-ms=20")
        _, out_b = self.console("b", "--credit=8", "--delay-ms=20")
        ids = self.submit_many(1000)
        wait_until(lambda: len(self.lines(out_a)) >= 100, 30.0,
                   what="instance a handled 100 jobs")
        pa.kill()
        pa.wait(5)
        handled_a = {x["job_id"] for x in self.lines(out_a)}
        self.wait_succeeded(1000)
        self.assert_all_succeeded(ids)
        b = self.lines(out_b)
        seen_b = {x["job_id"] for x in b}
        # Every job was handled by someone...
        self.assertEqual(handled_a | seen_b, set(ids))
        # ...and the jobs a held when it died came to b again, as a later
        # attempt with the same id and idempotency key.
        redelivered = [x for x in b if x["attempt"] > 1]
        self.assertGreater(len(redelivered), 0)
        self.assertLessEqual(len(redelivered), 8)
        # A job handled twice had a cause: a held it (at most its credit).
        self.assertLessEqual(len(handled_a & seen_b), 8)
        wait_until(lambda: self.instance_names() == ["b"], 5.0,
                   what="only b listed")
        self.assertIn("jobs go back to the queue", self.node.log())

    def test_silent_instance_is_dropped_and_its_job_redelivered(self):
        raw = RawInstance(self.ctx, self.node.adapter_endpoint)
        self.addCleanup(raw.close)
        raw.hello(self.adapter_key, credit=1)
        kind, welcome = raw.recv()
        self.assertEqual(kind, "welcome", welcome)
        self.assertEqual(welcome["adapter"], "relay")
        self.assertEqual(welcome["heartbeat_ms"], 100)
        self.assertEqual(welcome["timeout_ms"], 1000)
        job_id = self.submit(params={"x": 1}, expire_time=rfc3339(
            time.time() + 60))
        headers = {"Idempotency-Key": "idem-77"}
        other = self.expect(202, "POST", "/v1/jobs",
                            {"adapter": "relay", "params": {"x": 2}},
                            api_key=self.key, headers=headers)["job_id"]
        kind, job = raw.recv()
        self.assertEqual(kind, "job")
        self.assertEqual(job["job_id"], job_id)
        self.assertEqual(job["attempt"], 1)
        self.assertEqual(job["params"], {"x": 1})
        self.assertIn("expire_at_ms", job)
        # Credit 1: the second job waits.
        self.assertEqual(self.job(other)["state"], "queued")
        # Silence (no heartbeat, no result): dropped after the timeout.
        wait_until(lambda: self.instances() == [], 4.0,
                   what="silent instance removed")
        self.assertEqual(self.job(job_id)["state"], "queued")
        _, out = self.console("b", "--credit=2")
        done = self.wait_state(job_id, "succeeded")
        self.assertEqual(done["attempts"], 2)
        self.wait_state(other, "succeeded")
        lines = {x["job_id"]: x for x in self.lines(out)}
        self.assertEqual(lines[job_id]["attempt"], 2)
        self.assertEqual(lines[other]["idempotency_key"], "idem-77")
        self.assertIn("heartbeat_timeout", raw.recv(skip=("heartbeat", "job"),
                                                    timeout=1.0)[1]["code"])


class RestartTests(ExternalTestCase):

    def test_instances_reconnect_after_nsd_restarts_and_backlog_drains(self):
        _, out_a = self.console("a", "--credit=4", "--delay-ms=5")
        _, out_b = self.console("b", "--credit=4", "--delay-ms=5")
        ids = self.submit_many(600)
        wait_until(lambda: self.succeeded() >= 50, 20.0, what="50 done")
        # Graceful: instances hear bye shutting_down and come back.
        self.node.stop()
        self.node.restart()
        wait_until(lambda: sorted(self.instance_names()) == ["a", "b"], 10.0,
                   what="both instances back after a restart")
        # And after a crash: no bye, they notice on their own.
        self.node.kill9()
        self.node.restart()
        wait_until(lambda: sorted(self.instance_names()) == ["a", "b"], 10.0,
                   what="both instances back after kill -9")
        # Counters restart with the node: wait on every job's state.
        deadline = time.monotonic() + 60
        pending = list(ids)
        while pending and time.monotonic() < deadline:
            pending = [i for i in pending
                       if self.job(i)["state"] != "succeeded"]
            if pending:
                time.sleep(0.3)
        self.assertEqual(pending, [], "not drained; log:\n"
                         + self.node.log()[-3000:])
        seen = {x["job_id"] for x in self.lines(out_a) + self.lines(out_b)}
        self.assertEqual(seen, set(ids))
        self.assertIn("connected to", self.err_text("a"))


class CancelExpiryTests(ExternalTestCase):

    def test_cancel_reaches_the_instance_holding_the_job(self):
        _, out = self.console("slow", "--credit=2", "--workers=1",
                              "--delay-ms=30000")
        running = self.submit(params={"n": 1})
        waiting = self.submit(params={"n": 2})
        self.wait_state(running, "running")
        self.wait_state(waiting, "running")  # held by the instance, queued
        wait_until(lambda: self.instances()[0]["in_flight"] == 2, 5.0,
                   what="both jobs in flight")
        t0 = time.monotonic()
        # The waiting one first: once the running one is canceled, the
        # worker would start the next.
        for job_id in (waiting, running):
            # 202 canceling; or 200 canceled when the instance's answer was
            # durable as soon as the cancel (it answers within milliseconds).
            status, _, got = self.call("DELETE", "/v1/jobs/" + job_id,
                                       api_key=self.key)
            self.assertIn((status, got["state"]),
                          {(202, "canceling"), (200, "canceled")}, got)
        self.assertEqual(self.wait_state(running, FINAL)["state"], "canceled")
        self.assertEqual(self.wait_state(waiting, FINAL)["state"], "canceled")
        self.assertLess(time.monotonic() - t0, 5.0)
        # The running handler saw the cancel; the waiting one never ran.
        lines = self.lines(out)
        self.assertEqual([(x["job_id"], x["outcome"]) for x in lines],
                         [(running, "canceled")])

    def test_expired_job_is_refused_before_the_handler_runs(self):
        _, out = self.console("slow", "--credit=2", "--workers=1",
                              "--delay-ms=1500")
        first = self.submit(params={"n": 1})
        self.wait_state(first, "running")
        late = self.submit(params={"n": 2},
                           expire_time=rfc3339(time.time() + 0.8))
        # Held by the instance behind the slow first job, past its expiry
        # when its turn comes.
        self.wait_state(late, "running")
        got = self.wait_state(late, FINAL, timeout=5.0)
        self.assertEqual(got["state"], "expired", got)
        self.assertIn("expire", got["last_error"])
        self.assertEqual(self.wait_state(first, FINAL)["state"], "succeeded")
        self.assertEqual([x["job_id"] for x in self.lines(out)], [first])


class RefusalTests(ExternalTestCase):

    def hello_answer(self, key, protocol=1):
        raw = RawInstance(self.ctx, self.node.adapter_endpoint)
        self.addCleanup(raw.close)
        raw.hello(key, protocol=protocol)
        return raw.recv()

    def test_wrong_key_version_and_blocked_adapter_are_refused(self):
        kind, body = self.hello_answer("nsa_not-a-key")
        self.assertEqual((kind, body["code"]), ("refuse", "bad_key"))
        kind, body = self.hello_answer(self.adapter_key, protocol=2)
        self.assertEqual((kind, body["code"]),
                         ("refuse", "unsupported_version"))
        self.assertIn("protocol 1", body["message"])
        self.expect(200, "PATCH", "/v1/adapters/relay", {"blocked": True})
        kind, body = self.hello_answer(self.adapter_key)
        self.assertEqual((kind, body["code"]), ("refuse", "adapter_blocked"))
        self.assertEqual(self.instances(), [])
        log = self.node.log()
        self.assertIn("refused 127.0.0.1: unknown adapter key", log)
        self.assertIn("adapter 'relay' is blocked", log)
        # The reference adapter gives up on a wrong key with a clear message.
        p, _ = self.console("wrong", key="nsa_wrong", check_started=False)
        self.assertEqual(p.wait(10), 1)
        self.assertIn("refused: bad_key", self.err_text("wrong"))
        self.assertTrue(self.node.proc.poll() is None)

    def connected(self):
        raw = RawInstance(self.ctx, self.node.adapter_endpoint)
        self.addCleanup(raw.close)
        raw.hello(self.adapter_key, credit=1)
        self.assertEqual(raw.recv()[0], "welcome")
        return raw

    def test_block_rotate_and_delete_disconnect_instances_at_once(self):
        raw = self.connected()
        job_id = self.submit()
        self.assertEqual(raw.recv()[0], "job")
        self.expect(200, "PATCH", "/v1/adapters/relay", {"blocked": True})
        kind, body = raw.recv(timeout=2.0)
        self.assertEqual((kind, body["code"]), ("bye", "adapter_blocked"))
        self.assertEqual(self.instances(), [])
        # The job it held waits in the queue of the blocked adapter.
        self.assertEqual(self.wait_state(job_id, "queued")["attempts"], 1)
        self.expect(200, "PATCH", "/v1/adapters/relay", {"blocked": False})

        raw = self.connected()
        self.assertEqual(raw.recv()[0], "job")
        new_key = self.expect(200, "POST", "/v1/adapters/relay/keys")["api_key"]
        kind, body = raw.recv(timeout=2.0)
        self.assertEqual((kind, body["code"]), ("bye", "key_rotated"))
        # The old key no longer says hello; the new one does.
        raw = RawInstance(self.ctx, self.node.adapter_endpoint)
        self.addCleanup(raw.close)
        raw.hello(self.adapter_key)
        self.assertEqual(raw.recv()[1]["code"], "bad_key")
        self.adapter_key = new_key
        raw = self.connected()
        # Frames after a bye are answered: the instance must say hello again.
        self.expect(204, "DELETE", "/v1/adapters/relay")
        kind, body = raw.recv(timeout=2.0, skip=("heartbeat", "job"))
        self.assertEqual((kind, body["code"]), ("bye", "adapter_deleted"))
        raw.send("heartbeat", {})
        self.assertEqual(raw.recv(timeout=2.0)[1]["code"], "unknown_instance")
        self.assertEqual(self.wait_state(job_id, FINAL)["state"], "failed")


class IdleInstanceTests(ExternalTestCase):
    """Sessions that have granted no credit (yet) are sessions all the
    same: listed, and ended by every admin change (issue 15)."""

    def idle(self):
        raw = RawInstance(self.ctx, self.node.adapter_endpoint)
        self.addCleanup(raw.close)
        raw.hello(self.adapter_key, credit=0)
        self.assertEqual(raw.recv()[0], "welcome")
        inst = self.instances()
        self.assertEqual([(i["name"], i["credit"]) for i in inst],
                         [("raw", 0)], inst)
        return raw

    def assert_bye(self, raw, code):
        try:
            kind, body = raw.recv(timeout=3.0, keepalive=True)
        except AssertionError:
            self.fail("no bye %s for an instance without credit" % code)
        self.assertEqual((kind, body["code"]), ("bye", code))
        if code != "adapter_deleted":
            self.assertEqual(self.instances(), [])

    def test_block_rotate_and_delete_end_a_session_without_credit(self):
        raw = self.idle()
        self.expect(200, "PATCH", "/v1/adapters/relay", {"blocked": True})
        self.assert_bye(raw, "adapter_blocked")
        self.expect(200, "PATCH", "/v1/adapters/relay", {"blocked": False})

        raw = self.idle()
        job_id = self.submit()
        new_key = self.expect(200, "POST", "/v1/adapters/relay/keys")["api_key"]
        self.assert_bye(raw, "key_rotated")
        # The session of the old key is over: credit granted now takes no
        # job, it is answered unknown_instance.
        raw.send("credit", {"credit": 1})
        kind, body = raw.recv(timeout=2.0, skip=())
        self.assertEqual((kind, body["code"]), ("bye", "unknown_instance"))
        self.assertEqual(self.job(job_id)["state"], "queued")
        self.adapter_key = new_key

        raw = self.idle()
        self.expect(204, "DELETE", "/v1/adapters/relay")
        self.assert_bye(raw, "adapter_deleted")
        self.assertEqual(self.wait_state(job_id, FINAL)["state"], "failed")


class PriorityTests(ExternalTestCase):

    def test_one_credit_grant_sends_higher_priorities_first(self):
        # No credit while the jobs are queued, then one grant for all: the
        # instance must get them by priority, FIFO within one. Several
        # rounds, since a wrong order need not show every time.
        raw = RawInstance(self.ctx, self.node.adapter_endpoint)
        self.addCleanup(raw.close)
        raw.hello(self.adapter_key, credit=0)
        self.assertEqual(raw.recv()[0], "welcome")
        rank = {"high": 0, "normal": 1, "low": 2}
        prios = ["low", "normal", "high", "normal", "low", "high", "normal",
                 "high", "low", "normal"]
        for round_no in range(5):
            queued = []
            for i, p in enumerate(prios):
                raw.send("heartbeat", {})
                queued.append((p, self.submit(priority=p, params={"n": i})))
            # A GET passes the job manager after it queued the job at its
            # adapter: all are queued there before the credit comes.
            for _, job_id in queued:
                raw.send("heartbeat", {})
                self.assertEqual(self.job(job_id)["state"], "queued")
            raw.send("credit", {"credit": len(queued)})
            got = []
            for _ in queued:
                kind, body = raw.recv(keepalive=True)
                self.assertEqual(kind, "job", body)
                got.append((body["priority"], body["job_id"]))
            want = sorted(queued, key=lambda x: rank[x[0]])
            self.assertEqual(got, want, "round %d" % round_no)
            for _, job_id in got:
                raw.send("result", {"job_id": job_id,
                                    "outcome": "succeeded"})
            for _, job_id in got:
                raw.send("heartbeat", {})
                self.wait_state(job_id, "succeeded")


class RobustnessTests(ExternalTestCase):

    def test_10000_garbled_frames_and_nsd_keeps_serving(self):
        rnd = random.Random(5)
        socks = [RawInstance(self.ctx, self.node.adapter_endpoint)
                 for _ in range(5)]
        for s in socks:
            self.addCleanup(s.close)
        welcomed = socks[0]
        welcomed.hello(self.adapter_key, credit=0)
        self.assertEqual(welcomed.recv()[0], "welcome")
        kinds = [b"hello", b"result", b"credit", b"heartbeat", b"bye",
                 b"job", b"welcome", b"nonsense", b""]
        bodies = [b"", b"{", b"[]", b"null", b'{"job_id": 5}',
                  b'{"protocol": 1}', b'{"credit": -1}',
                  b'{"job_id": "x", "outcome": "maybe"}',
                  b'{"protocol": 1, "key": 7, "credit": 1}', b"\xff\xfe"]
        for i in range(10000):
            s = socks[1 + i % 4] if i % 10 else welcomed
            n = rnd.choice([1, 2, 2, 2, 3, 5])
            frames = [rnd.choice(kinds)]
            for _ in range(n - 1):
                frames.append(rnd.choice(bodies) if rnd.random() < 0.7
                              else rnd.randbytes(rnd.randint(0, 64)))
            # Never a "bye" from the welcomed one (that would end it).
            if s is welcomed and frames[0] in (b"bye", b"hello"):
                frames[0] = b"credit"
            s.sock.send_multipart(frames)
        # Everything still works: HTTP, new instances, jobs.
        _, out = self.console("after", "--credit=4")
        ids = self.submit_many(50)
        self.wait_succeeded(50, timeout=20.0)
        self.assertEqual({x["job_id"] for x in self.lines(out)}, set(ids))
        self.assertIsNone(self.node.proc.poll())
        self.assertIn("dropped a malformed message", self.node.log())


class PythonExampleTests(ExternalTestCase):

    def test_python_example_adapter_speaks_the_protocol(self):
        out = os.path.join(self.node.tmp, "py.jsonl")
        err = open(os.path.join(self.node.tmp, "py.err"), "wb")
        p = subprocess.Popen(
            [sys.executable, PY_EXAMPLE, "--endpoint",
             self.node.adapter_endpoint, "--key", self.adapter_key,
             "--out", out], stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        err.close()
        self.procs.append(p)
        wait_until(lambda: self.instance_names() == ["python-example"], 10.0,
                   what="python example connected")
        ids = self.submit_many(200)
        self.wait_succeeded(200, timeout=30.0)
        self.assertEqual({x["job_id"] for x in self.lines(out)}, set(ids))
        # It keeps heartbeating: still listed well past the timeout.
        time.sleep(1.5)
        self.assertEqual(self.instance_names(), ["python-example"])
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(10), 0)


if __name__ == "__main__":
    unittest.main()
