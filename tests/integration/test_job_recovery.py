"""Jobs answered 202 survive kill -9: after a restart every non-final job goes
on, a job that was in flight is delivered again with the same job_id and
idempotency key, and idempotency keys still hold. Checked against
/work/shared/spec/API.md (Durability) on a real nsd and a loopback receiver."""

import http.client
import threading
import time
import unittest

from nsd import Nsd, clean_up_after, parse_rfc3339, rfc3339, wait_until
from receiver import Receiver

FINAL = {"succeeded", "failed", "expired", "canceled"}
FAST_RETRY = {"max_attempts": 5, "initial_backoff_ms": 50,
              "max_backoff_ms": 200}


class RecoveryTestCase(unittest.TestCase):

    def setUp(self):
        self.rx = Receiver()
        self.addCleanup(self.rx.stop)
        self.node = Nsd()
        clean_up_after(self, self.node)
        self.node.start()

    def expect(self, status, method, path, body=None, **kw):
        got, _, parsed = self.node.request(method, path, body, **kw)
        self.assertEqual(got, status, "%s %s -> %r" % (method, path, parsed))
        return parsed

    def adapter(self, name="hook", blocked=False, **more):
        spec = {"name": name, "type": "webhook",
                "config": {"url": self.rx.url("/" + name)},
                "retry": FAST_RETRY}
        spec.update(more)
        self.expect(201, "POST", "/v1/adapters", spec)
        if blocked:
            self.block(name)

    def block(self, name, blocked=True):
        self.expect(200, "PATCH", "/v1/adapters/" + name, {"blocked": blocked})

    def client(self, name="billing"):
        return self.expect(201, "POST", "/v1/clients",
                           {"name": name, "adapters": "*"})["api_key"]

    def submit(self, key, idem=None, status=202, **job):
        body = {"adapter": "hook", "params": {}}
        body.update(job)
        headers = {"Idempotency-Key": idem} if idem else None
        return self.expect(status, "POST", "/v1/jobs", body, api_key=key,
                           headers=headers)

    def job(self, key, job_id):
        return self.expect(200, "GET", "/v1/jobs/" + job_id, api_key=key)

    def wait_state(self, key, job_id, states, timeout=5.0):
        if isinstance(states, str):
            states = {states}
        last = {}

        def check():
            last["job"] = self.job(key, job_id)
            return last["job"]["state"] in states

        try:
            wait_until(check, timeout)
        except AssertionError:
            self.fail("job %s not in %s within %.1f s: %r\nnsd log:\n%s"
                      % (job_id, sorted(states), timeout, last.get("job"),
                         self.node.log()[-3000:]))
        return last["job"]

    def restart_after_kill9(self):
        self.node.kill9()
        t0 = time.monotonic()
        self.node.restart()
        return time.monotonic() - t0

    def states_of(self, key, job_ids):
        """job_id -> state (None: 404) for each id, over one connection."""
        out = {}
        for jid in job_ids:
            got, _, body = self.node.request("GET", "/v1/jobs/" + jid,
                                             api_key=key)
            out[jid] = body["state"] if got == 200 else None
        return out

    def wait_all_final(self, key, job_ids, timeout):
        """Polls until every job is final; returns job_id -> state."""
        pending = set(job_ids)
        states = {}
        deadline = time.monotonic() + timeout
        while pending:
            now = self.states_of(key, sorted(pending))
            states.update(now)
            pending = {j for j, s in now.items() if s not in FINAL}
            lost = [j for j, s in now.items() if s is None]
            self.assertEqual(lost, [], "jobs answered 202 are gone")
            if not pending:
                break
            if time.monotonic() > deadline:
                self.fail("%d of %d jobs not final after %.0f s, e.g. %r"
                          "\nnsd log:\n%s"
                          % (len(pending), len(job_ids), timeout,
                             {j: states[j] for j in sorted(pending)[:5]},
                             self.node.log()[-3000:]))
            time.sleep(0.05)
        return states


class KillNineTests(RecoveryTestCase):

    def test_200_queued_jobs_survive_and_are_delivered_once(self):
        self.adapter(blocked=True)
        key = self.client()
        params = {}
        for i in range(100):
            acc = self.submit(key, idem="single-%d" % i if i % 2 else None,
                              params={"i": i})
            params[acc["job_id"]] = {"i": i}
        items = [{"adapter": "hook", "params": {"i": i}}
                 for i in range(100, 200)]
        res = self.expect(200, "POST", "/v1/jobs/batch", {"jobs": items},
                          api_key=key)["results"]
        for item, r in zip(items, res):
            self.assertEqual(r.get("state"), "queued", r)
            params[r["job_id"]] = item["params"]
        self.assertEqual(len(params), 200)
        # Ten of them end canceled before the crash: final stays final.
        canceled = sorted(params)[::20]
        for jid in canceled:
            self.expect(200, "DELETE", "/v1/jobs/" + jid, api_key=key)

        self.restart_after_kill9()
        for jid, p in params.items():
            got = self.job(key, jid)
            want = "canceled" if jid in canceled else "queued"
            self.assertEqual((got["state"], got["params"]), (want, p), got)
        for i in range(1, 100, 2):
            jid = [j for j, p in params.items() if p == {"i": i}][0]
            self.assertEqual(self.job(key, jid)["idempotency_key"],
                             "single-%d" % i)
        # Still blocked after the restart: nothing went out.
        self.assertEqual(self.rx.count(), 0)

        self.block("hook", False)
        self.rx.wait_for(190, timeout=15)
        states = self.wait_all_final(key, params, timeout=10)
        self.assertEqual({j for j, s in states.items() if s != "succeeded"},
                         set(canceled))
        self.assertEqual({states[j] for j in canceled}, {"canceled"})
        time.sleep(0.2)
        seen = {}
        for r in self.rx.all():
            seen[r.job_id] = seen.get(r.job_id, 0) + 1
            self.assertEqual(r.json["params"], params[r.job_id])
        self.assertEqual(set(seen), set(params) - set(canceled))
        self.assertEqual({j: n for j, n in seen.items() if n != 1}, {},
                         "queued jobs delivered more than once")

    def test_job_in_flight_at_the_crash_is_delivered_again(self):
        self.adapter()
        key = self.client()
        release = threading.Event()
        self.addCleanup(release.set)
        # The first call is held until the test ends; later ones succeed.
        self.rx.respond = lambda req: ((200, {}, b"", release)
                                       if req.seq == 0 else 200)
        acc = self.submit(key, idem="held-1", params={"to": "ops"})
        jid = acc["job_id"]
        [first] = self.rx.wait_for(1)
        self.assertEqual(self.job(key, jid)["state"], "running")

        self.restart_after_kill9()
        reqs = self.rx.wait_for(2, timeout=10)
        self.assertEqual([r.job_id for r in reqs], [jid, jid])
        second = reqs[1]
        self.assertEqual(second.header("X-NS-Job-Id"), jid)
        self.assertEqual(second.header("Idempotency-Key"), "held-1")
        self.assertEqual(second.json["job_id"], jid)
        self.assertEqual(second.json["idempotency_key"], "held-1")
        self.assertEqual(second.json["params"], {"to": "ops"})
        self.assertEqual(second.json["create_time"], acc["create_time"])
        self.assertEqual(second.json["expire_time"], acc["expire_time"])
        self.assertGreaterEqual(second.json["attempt"], 1)
        self.assertEqual(second.header("X-NS-Attempt"),
                         str(second.json["attempt"]))
        done = self.wait_state(key, jid, FINAL)
        self.assertEqual(done["state"], "succeeded", done)
        self.assertEqual(done["idempotency_key"], "held-1")
        time.sleep(0.2)
        self.assertEqual(self.rx.count(), 2, self.rx.all())

    def test_scheduled_retrying_and_expiring_jobs_go_on_after_restart(self):
        self.adapter()
        self.adapter("held", blocked=True)
        key = self.client()
        expiring = self.submit(key, adapter="held", ttl_s=2)
        self.rx.respond = lambda req: (
            (503, {"Retry-After": "1"}, b"later")
            if req.json["params"].get("flaky") and req.json["attempt"] == 1
            else 200)
        flaky = self.submit(key, params={"flaky": True})["job_id"]
        at = rfc3339(time.time() + 2.0)
        sched = self.submit(key, scheduled_at=at)["job_id"]
        self.wait_state(key, flaky, "retrying")
        self.assertEqual(self.job(key, sched)["state"], "scheduled")

        self.restart_after_kill9()
        done = self.wait_state(key, flaky, FINAL, timeout=5)
        self.assertEqual(done["state"], "succeeded", done)
        self.assertGreaterEqual(done["attempts"], 2)
        done = self.wait_state(key, sched, FINAL, timeout=5)
        self.assertEqual(done["state"], "succeeded", done)
        [req] = self.rx.requests_for(sched)
        self.assertGreaterEqual(req.wall, parse_rfc3339(at),
                                "scheduled job sent early after restart")
        self.assertEqual(len(self.rx.requests_for(flaky)), 2)
        # The held job was never started: it expires (within ~1 s of its
        # expire_time) although nsd was down in between.
        done = self.wait_state(key, expiring["job_id"], FINAL, timeout=3)
        self.assertEqual(done["state"], "expired", done)
        self.assertLess(parse_rfc3339(done["finish_time"]),
                        parse_rfc3339(expiring["expire_time"]) + 1.5)
        self.assertEqual(self.rx.count("/held"), 0)

    def test_idempotency_keys_survive_restart(self):
        self.adapter()
        self.adapter("held", blocked=True)
        key = self.client()
        done_job = self.submit(key, idem="k-done", params={"v": 1})["job_id"]
        self.wait_state(key, done_job, "succeeded")
        waiting = self.submit(key, idem="k-wait", adapter="held")["job_id"]

        self.restart_after_kill9()
        again = self.submit(key, idem="k-done", params={"v": 2}, status=200)
        self.assertEqual((again["job_id"], again["state"]),
                         (done_job, "succeeded"))
        again = self.submit(key, idem="k-wait", adapter="held", status=200)
        self.assertEqual((again["job_id"], again["state"]), (waiting, "queued"))
        marker = self.submit(key, params={"v": 3})["job_id"]
        self.wait_state(key, marker, "succeeded")
        time.sleep(0.2)
        self.assertEqual([r.job_id for r in self.rx.all()], [done_job, marker])
        self.assertEqual(self.rx.all()[0].json["params"], {"v": 1})


class SustainedLoadTests(RecoveryTestCase):

    POSTERS = 4
    DURATION = 1.5
    KILL_AFTER = 0.75

    def test_kill9_under_load_loses_no_accepted_job(self):
        self.adapter(concurrency=32)
        key = self.client()
        # A little latency keeps deliveries in flight when the node dies.
        self.rx.respond = lambda req: (200, {}, b"", 0.02)
        accepted = [[] for _ in range(self.POSTERS)]
        errors = []
        stop_at = time.monotonic() + self.DURATION

        def post(t):
            conn = self.node.connect(timeout=5)
            n = 0
            try:
                while time.monotonic() < stop_at:
                    n += 1
                    body = {"adapter": "hook", "params": {"t": t, "n": n}}
                    headers = ({"Idempotency-Key": "t%d-%d" % (t, n)}
                               if n % 2 else None)
                    try:
                        got, _, parsed = self.node.request(
                            "POST", "/v1/jobs", body, api_key=key,
                            headers=headers, conn=conn)
                    except (OSError, http.client.HTTPException):
                        return   # the node is gone
                    if got == 202:
                        accepted[t].append((parsed["job_id"], body["params"]))
                    elif got != 503:
                        errors.append((got, parsed))
                        return
            finally:
                conn.close()

        threads = [threading.Thread(target=post, args=(t,))
                   for t in range(self.POSTERS)]
        for th in threads:
            th.start()
        time.sleep(self.KILL_AFTER)
        self.node.kill9()
        for th in threads:
            th.join(10)
        self.assertEqual(errors, [])
        jobs = dict(j for per in accepted for j in per)
        self.assertGreater(len(jobs), 20, "too few jobs accepted to matter")
        for t, per in enumerate(accepted):
            self.assertTrue(per, "poster %d got no 202 before the kill" % t)

        self.node.restart()
        # Each accepted job reaches the receiver at least once...
        wait_until(lambda: set(jobs) <= {r.job_id for r in self.rx.all()},
                   timeout=20, interval=0.1,
                   what="every accepted job delivered (%d)" % len(jobs))
        # ... and ends succeeded, with the params it was accepted with.
        states = self.wait_all_final(key, jobs, timeout=10)
        self.assertEqual({j: s for j, s in states.items() if s != "succeeded"},
                         {})
        for r in self.rx.all():
            if r.job_id in jobs:
                self.assertEqual(r.json["params"], jobs[r.job_id])
        # Idempotency keys taken before the crash still hold.
        for per in accepted:
            for jid, p in per[:3]:
                if p["n"] % 2:
                    again = self.submit(key, idem="t%d-%d" % (p["t"], p["n"]),
                                        status=200, params=p)
                    self.assertEqual(again["job_id"], jid)


if __name__ == "__main__":
    unittest.main()
