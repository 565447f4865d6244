"""The job pipeline of nsd: submission, webhook delivery, retries, expiry,
cancel, scheduling, priorities, concurrency, callbacks, rate limits and
stats, checked against /work/shared/spec/API.md on a real nsd with a real
receiver on loopback."""

import hashlib
import hmac
import re
import time
import threading
import unittest
from email.utils import formatdate

from nsd import (NodeTestCase, assert_error, free_port, parse_rfc3339,
                 rfc3339, wait_until)
from receiver import Receiver

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
FINAL = {"succeeded", "failed", "expired", "canceled"}
JOB_FIELDS = {"job_id", "adapter", "state", "priority", "params", "attempts",
              "create_time", "expire_time", "scheduled_at", "start_time",
              "finish_time", "last_error"}
ACCEPTED_FIELDS = {"job_id", "state", "create_time", "expire_time"}
DELIVERY_FIELDS = {"job_id", "idempotency_key", "attempt", "priority",
                   "create_time", "expire_time", "params"}
# Small backoffs keep the retry tests fast.
FAST_RETRY = {"max_attempts": 3, "initial_backoff_ms": 50,
              "max_backoff_ms": 200}
STATS_FIELDS = {"jobs", "adapters", "live_jobs", "accepted_total",
                "delivered_total", "ingest_per_s", "delivery_per_s",
                "store_pending_writes", "note"}


def signature(secret, raw):
    return "sha256=" + hmac.new(secret.encode(), raw,
                                hashlib.sha256).hexdigest()


class JobTestCase(NodeTestCase):
    """A fresh nsd and a fresh receiver per test."""

    def setUp(self):
        super().setUp()
        self.rx = Receiver()
        self.addCleanup(self.rx.stop)

    # -- admin -------------------------------------------------------------------

    def adapter(self, name="hook", url=None, retry=None, concurrency=None,
                schema=None, headers=None, blocked=False, timeout_ms=None):
        config = {"url": url or self.rx.url("/" + name)}
        if headers is not None:
            config["headers"] = headers
        if timeout_ms is not None:
            config["timeout_ms"] = timeout_ms
        spec = {"name": name, "type": "webhook", "config": config,
                "retry": retry or FAST_RETRY}
        if concurrency is not None:
            spec["concurrency"] = concurrency
        if schema is not None:
            spec["params_schema"] = schema
        body = self.expect(201, "POST", "/v1/adapters", spec)
        if blocked:
            self.block(name)
        return body

    def block(self, name, blocked=True):
        got = self.expect(200, "PATCH", "/v1/adapters/" + name,
                          {"blocked": blocked})
        self.assertIs(got["blocked"], blocked)

    def client(self, name="billing", adapters="*", **more):
        return self.expect(201, "POST", "/v1/clients",
                           dict(name=name, adapters=adapters, **more))

    def stats(self):
        return self.expect(200, "GET", "/v1/stats")

    # -- jobs --------------------------------------------------------------------

    def submit(self, key, body=None, idem=None, status=202, **fields):
        """POSTs a job (default: adapter "hook", empty params); returns the
        answer, which must have `status`."""
        job = {"adapter": "hook", "params": {}}
        job.update(body or {})
        job.update(fields)
        headers = {"Idempotency-Key": idem} if idem is not None else None
        got, _, parsed = self.call("POST", "/v1/jobs", job, api_key=key,
                                   headers=headers)
        self.assertEqual(got, status, "POST /v1/jobs %r -> %r" % (job, parsed))
        if status == 202:
            self.assertEqual(set(parsed) - {"scheduled_at"}, ACCEPTED_FIELDS,
                             parsed)
            self.assertRegex(parsed["create_time"], TIME_RE)
            self.assertRegex(parsed["expire_time"], TIME_RE)
        return parsed

    def job(self, key, job_id):
        body = self.expect(200, "GET", "/v1/jobs/" + job_id, api_key=key)
        # GET adds the job's result callbacks to what a callback sends.
        self.assertEqual(set(body) - {"idempotency_key"},
                         JOB_FIELDS | {"callbacks"}, body)
        self.assertEqual(body["job_id"], job_id)
        return body

    def wait_state(self, key, job_id, states, timeout=5.0):
        """Polls GET until the job's state is one of `states`; returns it."""
        if isinstance(states, str):
            states = {states}
        last = {}

        def check():
            last["job"] = self.job(key, job_id)
            return last["job"]["state"] in states

        try:
            wait_until(check, timeout, what="job %s in %s" % (job_id, states))
        except AssertionError:
            self.fail("job %s not in %s within %.1f s: %r\nreceiver: %r"
                      % (job_id, sorted(states), timeout, last.get("job"),
                         self.rx.all()))
        return last["job"]

    def wait_final(self, key, job_id, timeout=5.0):
        return self.wait_state(key, job_id, FINAL, timeout)

    def seven_jobs(self, key):
        """To "hook": three delivered, one refused by the receiver (failed);
        to the blocked "held": three queued, one of them then canceled."""
        self.rx.respond = lambda req: 400 if req.json["params"].get("bad") \
            else 200
        ok = [self.submit(key, params={"i": i})["job_id"] for i in range(3)]
        bad = self.submit(key, params={"bad": True})["job_id"]
        held = [self.submit(key, adapter="held")["job_id"] for _ in range(3)]
        self.expect(200, "DELETE", "/v1/jobs/" + held[0], api_key=key)
        for j in ok + [bad]:
            self.wait_final(key, j)

    def settle(self, seconds=0.3):
        """A short quiet period, for "nothing more happens" checks."""
        time.sleep(seconds)


class DeliveryTests(JobTestCase):

    def test_delivery_payload_headers_and_final_job(self):
        self.adapter(headers={"X-Team": "ops",
                              "Authorization": "Bearer hook-secret"})
        key = self.client()["api_key"]
        params = {"text": "disk full", "n": 3, "nested": {"a": [1, 2, None]},
                  "unicode": "\u00e9\u4e2d"}
        acc = self.submit(key, idem="order-1", params=params,
                          priority="high", ttl_s=600)
        self.assertEqual(acc["state"], "queued")
        self.assertNotIn("scheduled_at", acc)
        jid = acc["job_id"]
        self.assertAlmostEqual(parse_rfc3339(acc["expire_time"])
                               - parse_rfc3339(acc["create_time"]), 600.0,
                               places=3)

        [req] = self.rx.wait_for(1)
        self.assertEqual(req.method, "POST")
        self.assertEqual(req.path, "/hook")
        self.assertEqual(req.header("X-NS-Job-Id"), jid)
        self.assertEqual(req.header("X-NS-Attempt"), "1")
        self.assertEqual(req.header("Idempotency-Key"), "order-1")
        self.assertEqual(req.header("X-Team"), "ops")
        self.assertEqual(req.header("Authorization"), "Bearer hook-secret")
        self.assertTrue((req.header("Content-Type") or "")
                        .startswith("application/json"), req.header("Content-Type"))
        self.assertEqual(req.json, {
            "job_id": jid, "idempotency_key": "order-1", "attempt": 1,
            "priority": "high", "create_time": acc["create_time"],
            "expire_time": acc["expire_time"], "params": params})

        done = self.wait_final(key, jid)
        self.assertEqual(done["state"], "succeeded")
        self.assertEqual(done["adapter"], "hook")
        self.assertEqual(done["priority"], "high")
        self.assertEqual(done["params"], params)
        self.assertEqual(done["attempts"], 1)
        self.assertEqual(done["idempotency_key"], "order-1")
        self.assertEqual(done["create_time"], acc["create_time"])
        self.assertEqual(done["expire_time"], acc["expire_time"])
        self.assertIsNone(done["scheduled_at"])
        self.assertIsNone(done["last_error"])
        self.assertRegex(done["start_time"], TIME_RE)
        self.assertRegex(done["finish_time"], TIME_RE)
        self.assertLessEqual(parse_rfc3339(done["create_time"]),
                             parse_rfc3339(done["start_time"]))
        self.assertLessEqual(parse_rfc3339(done["start_time"]),
                             parse_rfc3339(done["finish_time"]))

        # Without an Idempotency-Key: null in the body, no header, and the
        # default priority.
        plain = self.submit(key, params={"text": "x"})["job_id"]
        [req2] = self.rx.wait_for(1, pred=lambda r: r.job_id == plain)
        self.assertIsNone(req2.header("Idempotency-Key"))
        self.assertIsNone(req2.json["idempotency_key"])
        self.assertEqual(req2.json["priority"], "normal")
        self.assertEqual(set(req2.json), DELIVERY_FIELDS)
        got = self.wait_final(key, plain)
        self.assertEqual(got["state"], "succeeded")
        self.assertNotIn("idempotency_key", got)
        self.assertEqual(got["priority"], "normal")
        self.settle()
        self.assertEqual(self.rx.count(), 2, self.rx.all())

    def test_500_then_200_succeeds_on_the_second_attempt(self):
        self.adapter()
        key = self.client()["api_key"]
        self.rx.queue((500, {}, b"try later"))
        jid = self.submit(key, idem="k500", params={"x": 1})["job_id"]
        done = self.wait_final(key, jid)
        self.assertEqual(done["state"], "succeeded", done)
        self.assertEqual(done["attempts"], 2)
        reqs = self.rx.requests_for(jid)
        self.assertEqual([r.header("X-NS-Attempt") for r in reqs], ["1", "2"])
        self.assertEqual([r.json["attempt"] for r in reqs], [1, 2])
        self.assertEqual({r.header("Idempotency-Key") for r in reqs}, {"k500"})
        self.assertEqual(reqs[0].json["params"], reqs[1].json["params"])
        self.settle()
        self.assertEqual(self.rx.count(), 2)

    def test_retryable_statuses_and_timeout_are_retried(self):
        self.adapter(timeout_ms=300)
        key = self.client()["api_key"]

        def respond(req):
            code = req.json["params"]["first"]
            if req.json["attempt"] > 1:
                return 200
            if code == "timeout":
                return (200, {}, b"too late", 1.0)
            return (code, {}, b"busy")

        self.rx.respond = respond
        cases = [408, 429, 500, 502, 503, "timeout"]
        jobs = {c: self.submit(key, params={"first": c})["job_id"]
                for c in cases}
        for case, jid in jobs.items():
            with self.subTest(first=case):
                done = self.wait_final(key, jid)
                self.assertEqual(done["state"], "succeeded", done)
                self.assertEqual(done["attempts"], 2, done)
                self.assertEqual(len(self.rx.requests_for(jid)), 2)

    def test_any_2xx_succeeds(self):
        self.adapter()
        key = self.client()["api_key"]
        self.rx.respond = lambda req: (req.json["params"]["code"], {}, b"")
        jobs = {c: self.submit(key, params={"code": c})["job_id"]
                for c in (200, 201, 202, 204)}
        for code, jid in jobs.items():
            with self.subTest(code=code):
                done = self.wait_final(key, jid)
                self.assertEqual((done["state"], done["attempts"]),
                                 ("succeeded", 1), done)
        self.settle(0.1)
        self.assertEqual(self.rx.count(), 4)

    def test_400_fails_at_once(self):
        self.adapter()
        key = self.client()["api_key"]
        self.rx.respond = lambda req: (400, {"Content-Type": "text/plain"},
                                       b"bad recipient")
        jid = self.submit(key, params={"to": "nobody"})["job_id"]
        done = self.wait_final(key, jid)
        self.assertEqual(done["state"], "failed", done)
        self.assertEqual(done["attempts"], 1)
        self.assertIn("400", done["last_error"])
        self.assertTrue(done["last_error"].startswith("HTTP 400"), done)
        self.assertIn("bad recipient", done["last_error"])
        self.assertRegex(done["finish_time"], TIME_RE)
        self.settle()
        self.assertEqual(len(self.rx.requests_for(jid)), 1, self.rx.all())

    def test_other_4xx_and_3xx_fail_at_once(self):
        self.adapter()
        key = self.client()["api_key"]
        elsewhere = self.rx.url("/elsewhere")

        def respond(req):
            if req.path != "/hook":
                return 200
            code = req.json["params"]["code"]
            return (code, {"Location": elsewhere}, "no: %d" % code)

        self.rx.respond = respond
        jobs = {c: self.submit(key, params={"code": c})["job_id"]
                for c in (401, 404, 410, 422, 301, 302)}
        for code, jid in jobs.items():
            with self.subTest(code=code):
                done = self.wait_final(key, jid)
                self.assertEqual(done["state"], "failed", done)
                self.assertEqual(done["attempts"], 1, done)
                self.assertTrue(done["last_error"].startswith("HTTP %d" % code),
                                done)
        self.settle()
        self.assertEqual(self.rx.count("/hook"), len(jobs))
        self.assertEqual(self.rx.count("/elsewhere"), 0, "redirect followed")

    def test_unreachable_url_fails_after_max_attempts(self):
        self.adapter(url="http://127.0.0.1:%d/gone" % free_port())
        key = self.client()["api_key"]
        jid = self.submit(key)["job_id"]
        done = self.wait_final(key, jid, timeout=8)
        self.assertEqual(done["state"], "failed", done)
        self.assertEqual(done["attempts"], 3)
        self.assertTrue(done["last_error"].startswith("gave up after 3 attempts"),
                        done)

    def test_max_attempts_of_5xx_gives_up(self):
        self.adapter()
        key = self.client()["api_key"]
        self.rx.respond = lambda req: (503, {}, b"down")
        jid = self.submit(key)["job_id"]
        done = self.wait_final(key, jid)
        self.assertEqual(done["state"], "failed", done)
        self.assertEqual(done["attempts"], 3)
        self.assertTrue(done["last_error"].startswith("gave up after 3 attempts"),
                        done)
        self.assertIn("503", done["last_error"])
        self.settle()
        reqs = self.rx.requests_for(jid)
        self.assertEqual([r.header("X-NS-Attempt") for r in reqs],
                         ["1", "2", "3"])
        # Full jitter under max_backoff_ms (200 ms), with slack for load.
        gaps = [b.time - a.time for a, b in zip(reqs, reqs[1:])]
        self.assertLess(max(gaps), 0.7, gaps)

    def test_retry_after_seconds_is_honoured(self):
        self.adapter()
        key = self.client()["api_key"]
        self.rx.queue((429, {"Retry-After": "1"}, b"slow down"))
        jid = self.submit(key)["job_id"]
        first, second = self.rx.wait_for(2, timeout=5)
        self.assertGreaterEqual(second.time - first.time, 0.95,
                                "retried before Retry-After")
        done = self.wait_final(key, jid)
        self.assertEqual((done["state"], done["attempts"]), ("succeeded", 2))

    def test_retry_after_http_date_is_honoured(self):
        self.adapter()
        key = self.client()["api_key"]
        # Two whole seconds ahead: at least ~1 s whatever the rounding.
        self.rx.respond = lambda req: (
            (503, {"Retry-After": formatdate(time.time() + 2, usegmt=True)},
             b"maintenance") if req.json["attempt"] == 1 else 200)
        jid = self.submit(key)["job_id"]
        first, second = self.rx.wait_for(2, timeout=6)
        # The date is a whole second > 1 s after the first answer was made.
        self.assertGreaterEqual(second.wall - first.wall, 0.98,
                                "retried before the Retry-After date")
        done = self.wait_final(key, jid)
        self.assertEqual((done["state"], done["attempts"]), ("succeeded", 2))


class SubmitTests(JobTestCase):

    def test_schema_violation_is_422_with_errors(self):
        schema = {"type": "object",
                  "properties": {"text": {"type": "string"},
                                 "n": {"type": "integer"}},
                  "required": ["text"]}
        self.adapter(schema=schema)
        key = self.client()["api_key"]
        cases = [({"text": 5}, "/text"), ({"text": "ok", "n": "many"}, "/n"),
                 ({"n": 1}, "")]
        for params, path in cases:
            with self.subTest(params=params):
                err = assert_error(self, self.call(
                    "POST", "/v1/jobs", {"adapter": "hook", "params": params},
                    api_key=key), 422, "invalid_params")
                errors = err["details"].get("errors")
                self.assertIsInstance(errors, list, err)
                self.assertTrue(errors, err)
                for e in errors:
                    self.assertEqual(set(e), {"path", "message"}, e)
                    self.assertIsInstance(e["message"], str)
                    self.assertTrue(e["message"])
                self.assertIn(path, [e["path"] for e in errors], errors)
        # params must be an object whatever the schema says.
        assert_error(self, self.call(
            "POST", "/v1/jobs", {"adapter": "hook", "params": [1, 2]},
            api_key=key), 400, "invalid_field")
        ok = self.submit(key, params={"text": "fine", "n": 2})
        self.wait_final(key, ok["job_id"])
        self.settle(0.1)
        self.assertEqual(self.rx.count(), 1, self.rx.all())
        self.assertEqual(self.stats()["accepted_total"], 1)

    def test_invalid_submissions_create_nothing(self):
        self.adapter()
        self.adapter("other")
        key = self.client("limited", ["hook"])["api_key"]
        past = rfc3339(time.time() - 60)
        soon = rfc3339(time.time() + 60)
        later = rfc3339(time.time() + 120)

        err = assert_error(self, self.call(
            "POST", "/v1/jobs", {"adapter": "nope", "params": {}}, api_key=key),
            404, "not_found")
        self.assertEqual(err["details"].get("field"), "adapter")
        assert_error(self, self.call(
            "POST", "/v1/jobs", {"adapter": "other", "params": {}},
            api_key=key), 403, "adapter_not_allowed")
        bad = [
            {"adapter": "hook", "params": {}, "colour": "red"},
            {"params": {}},
            {"adapter": 5, "params": {}},
            {"adapter": "hook", "params": {}, "ttl_s": 60, "expire_time": soon},
            {"adapter": "hook", "params": {}, "expire_time": past},
            {"adapter": "hook", "params": {}, "expire_time": "tomorrow"},
            {"adapter": "hook", "params": {}, "ttl_s": 0},
            {"adapter": "hook", "params": {}, "ttl_s": 31536001},
            {"adapter": "hook", "params": {}, "ttl_s": "60"},
            {"adapter": "hook", "params": {}, "priority": "urgent"},
            {"adapter": "hook", "params": {}, "callback_url": "ftp://x/y"},
            {"adapter": "hook", "params": {}, "callback_url": "not a url"},
            {"adapter": "hook", "params": {}, "scheduled_at": later,
             "expire_time": soon},
            {"adapter": "hook", "params": {}, "scheduled_at": soon,
             "expire_time": soon},
        ]
        for body in bad:
            with self.subTest(body=body):
                assert_error(self, self.call("POST", "/v1/jobs", body,
                                             api_key=key), 400, "invalid_field")
        assert_error(self, self.call("POST", "/v1/jobs", "{", api_key=key),
                     400, "malformed_json")
        # The limits themselves are fine.
        for ttl in (1, 31536000):
            self.submit(key, ttl_s=ttl)
        self.assertEqual(self.stats()["accepted_total"], 2)
        self.rx.wait_for(2)
        self.settle(0.2)
        self.assertEqual(self.rx.count(), 2)

    def test_expire_time_and_scheduled_at_are_kept(self):
        self.adapter(blocked=True)
        key = self.client()["api_key"]
        exp = rfc3339(time.time() + 3600)
        sched = rfc3339(time.time() + 1800)
        acc = self.submit(key, expire_time=exp, scheduled_at=sched)
        self.assertEqual(acc["state"], "scheduled")
        self.assertEqual(acc["expire_time"], exp)
        self.assertEqual(acc["scheduled_at"], sched)
        got = self.job(key, acc["job_id"])
        self.assertEqual((got["state"], got["expire_time"], got["scheduled_at"]),
                         ("scheduled", exp, sched))
        self.assertEqual(got["attempts"], 0)
        self.assertIsNone(got["start_time"])
        self.assertIsNone(got["finish_time"])

    def test_batch_keeps_order_and_accepts_the_good_items(self):
        self.adapter(schema={"type": "object",
                             "properties": {"n": {"type": "integer"}}})
        key = self.client()["api_key"]
        # Refused whole: too many, none.
        too_many = {"jobs": [{"adapter": "hook", "params": {"n": i}}
                             for i in range(1001)]}
        for body in (too_many, {"jobs": []}, {"jobs": "x"}, {}):
            with self.subTest(jobs=len(body.get("jobs", "")) if body else None):
                res = self.call("POST", "/v1/jobs/batch", body, api_key=key)
                self.assertEqual(res[0], 400, res[2])
                assert_error(self, res, 400, res[2]["error"]["code"])

        items = [
            {"adapter": "hook", "params": {"n": 0}},
            {"adapter": "nope", "params": {"n": 1}},
            {"adapter": "hook", "params": {"n": "two"}},
            {"adapter": "hook", "params": {"n": 3}, "idempotency_key": "b-3",
             "priority": "low"},
            {"adapter": "hook", "params": {"n": 4}, "ttl_s": 0},
            {"adapter": "hook", "params": {"n": 5}, "colour": "red"},
            {"adapter": "hook", "params": {"n": 6}},
        ]
        body = self.expect(200, "POST", "/v1/jobs/batch", {"jobs": items},
                           api_key=key)
        self.assertEqual(set(body), {"results"})
        res = body["results"]
        self.assertEqual(len(res), len(items))
        good = {0: res[0], 3: res[3], 6: res[6]}
        for i, r in good.items():
            self.assertEqual(set(r), ACCEPTED_FIELDS, (i, r))
            self.assertEqual(r["state"], "queued")
        self.assertEqual(len({r["job_id"] for r in good.values()}), 3)
        for i, code in ((1, "not_found"), (2, "invalid_params"),
                        (4, "invalid_field"), (5, "invalid_field")):
            with self.subTest(item=i):
                self.assertEqual(set(res[i]), {"error"}, res[i])
                self.assertEqual(set(res[i]["error"]),
                                 {"code", "message", "details"})
                self.assertEqual(res[i]["error"]["code"], code, res[i])
        self.assertTrue(res[2]["error"]["details"]["errors"])

        for i, r in good.items():
            done = self.wait_final(key, r["job_id"])
            self.assertEqual(done["state"], "succeeded")
            self.assertEqual(done["params"], items[i]["params"])
        self.assertEqual(self.job(key, res[3]["job_id"])["idempotency_key"],
                         "b-3")
        self.assertEqual(self.job(key, res[3]["job_id"])["priority"], "low")
        [req] = self.rx.requests_for(res[3]["job_id"])
        self.assertEqual(req.header("Idempotency-Key"), "b-3")
        self.settle(0.2)
        self.assertEqual(sorted(r.json["params"]["n"] for r in self.rx.all()),
                         [0, 3, 6])
        self.assertEqual(self.stats()["accepted_total"], 3)

    def test_idempotency_key_returns_the_first_job(self):
        self.adapter()
        a = self.client("a")["api_key"]
        b = self.client("b")["api_key"]
        first = self.submit(a, idem="order-42", params={"v": 1})
        again = self.submit(a, idem="order-42", params={"v": 1}, status=200)
        self.assertEqual(again["job_id"], first["job_id"])
        self.assertIn(again["state"], {"queued", "running", "succeeded"})
        done = self.wait_final(a, first["job_id"])
        self.assertEqual(done["state"], "succeeded")
        # Other params, same key: still the first job, now succeeded.
        third = self.submit(a, idem="order-42", params={"v": 2}, status=200)
        self.assertEqual(third["job_id"], first["job_id"])
        self.assertEqual(third["state"], "succeeded")
        # Another client's key space is its own.
        other = self.submit(b, idem="order-42", params={"v": 3})
        self.assertNotEqual(other["job_id"], first["job_id"])
        self.wait_final(b, other["job_id"])
        self.settle()
        self.assertEqual(len(self.rx.requests_for(first["job_id"])), 1)
        self.assertEqual(self.rx.requests_for(first["job_id"])[0]
                         .json["params"], {"v": 1})
        self.assertEqual(self.rx.count(), 2, self.rx.all())
        self.assertEqual(self.stats()["accepted_total"], 2)

    def test_concurrent_posts_with_one_key_create_one_job(self):
        self.adapter(blocked=True)
        key = self.client()["api_key"]
        n = 8
        barrier = threading.Barrier(n)
        answers = [None] * n

        def post(i):
            conn = self.node.connect()
            try:
                barrier.wait(5)
                answers[i] = self.node.request(
                    "POST", "/v1/jobs", {"adapter": "hook", "params": {"i": i}},
                    api_key=key, headers={"Idempotency-Key": "same"},
                    conn=conn)[::2]
            finally:
                conn.close()

        threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        statuses = sorted(a[0] for a in answers)
        self.assertEqual(statuses, [200] * (n - 1) + [202], answers)
        ids = {a[1]["job_id"] for a in answers}
        self.assertEqual(len(ids), 1, answers)
        [jid] = ids
        self.assertEqual(self.stats()["accepted_total"], 1)
        # The same key inside one batch: the first item creates the job,
        # the second returns it.
        res = self.expect(200, "POST", "/v1/jobs/batch", {"jobs": [
            {"adapter": "hook", "params": {}, "idempotency_key": "dup"},
            {"adapter": "hook", "params": {}, "idempotency_key": "dup"},
            {"adapter": "hook", "params": {}, "idempotency_key": "same"}]},
            api_key=key)["results"]
        self.assertEqual(res[0]["job_id"], res[1]["job_id"], res)
        self.assertEqual(res[2]["job_id"], jid, res)
        self.assertEqual(self.stats()["accepted_total"], 2)
        self.block("hook", False)
        for j in (jid, res[0]["job_id"]):
            self.assertEqual(self.wait_final(key, j)["state"], "succeeded")
        self.settle()
        self.assertEqual(sorted(r.job_id for r in self.rx.all()),
                         sorted([jid, res[0]["job_id"]]))

    def test_rate_limit_answers_429_with_retry_after(self):
        self.adapter()
        key = self.client(rate_limit={"rps": 1, "burst": 2})["api_key"]
        self.submit(key)
        self.submit(key)
        res = self.call("POST", "/v1/jobs", {"adapter": "hook", "params": {}},
                        api_key=key)
        assert_error(self, res, 429, "rate_limited")
        retry_after = res[1].get("Retry-After")
        self.assertIsNotNone(retry_after, "no Retry-After")
        self.assertRegex(retry_after, r"^[1-9]\d*$")
        self.assertEqual(self.stats()["accepted_total"], 2)
        # Another client has its own bucket.
        other = self.client("other")["api_key"]
        self.submit(other)
        # After Retry-After the bucket has a token again.
        time.sleep(float(retry_after))
        self.submit(key)
        self.assertEqual(self.stats()["accepted_total"], 4)


class AuthTests(JobTestCase):

    def test_job_routes_need_a_valid_client_key(self):
        self.adapter()
        c = self.client()
        jid = self.submit(c["api_key"])["job_id"]
        job = {"adapter": "hook", "params": {}}
        routes = [("POST", "/v1/jobs", job),
                  ("POST", "/v1/jobs/batch", {"jobs": [job]}),
                  ("GET", "/v1/jobs/" + jid, None),
                  ("DELETE", "/v1/jobs/" + jid, None),
                  ("POST", "/v1/notifications",
                   {"job_id": jid, "callback_url": self.rx.url("/cb")})]
        for method, path, body in routes:
            with self.subTest(method=method, path=path):
                self.expect_error(403, "forbidden", method, path, body)
                self.expect_error(401, "unauthorized", method, path, body,
                                  token=None)
                self.expect_error(401, "unauthorized", method, path, body,
                                  api_key="nsk_notakeyatallnotakeyatall")
        self.expect(200, "PATCH", "/v1/clients/" + c["id"], {"blocked": True})
        for method, path, body in routes:
            with self.subTest(blocked=True, method=method, path=path):
                self.expect_error(403, "client_blocked", method, path, body,
                                  api_key=c["api_key"])
        self.expect_error(403, "forbidden", "GET", "/v1/stats",
                          api_key=c["api_key"])
        self.expect_error(401, "unauthorized", "GET", "/v1/stats", token=None)
        self.expect(200, "PATCH", "/v1/clients/" + c["id"], {"blocked": False})
        self.assertEqual(self.job(c["api_key"], jid)["job_id"], jid)
        self.assertEqual(self.stats()["accepted_total"], 1)

    def test_another_clients_job_is_not_found(self):
        self.adapter(blocked=True)
        a = self.client("a")["api_key"]
        b = self.client("b")["api_key"]
        jid = self.submit(a)["job_id"]
        self.expect_error(404, "not_found", "GET", "/v1/jobs/" + jid, api_key=b)
        self.expect_error(404, "not_found", "DELETE", "/v1/jobs/" + jid,
                          api_key=b)
        self.expect_error(404, "not_found", "POST", "/v1/notifications",
                          {"job_id": jid, "callback_url": self.rx.url("/cb")},
                          api_key=b)
        for method in ("GET", "DELETE"):
            self.expect_error(404, "not_found", method, "/v1/jobs/nope",
                              api_key=a)
        self.expect_error(404, "not_found", "POST", "/v1/notifications",
                          {"job_id": "nope", "callback_url": self.rx.url("/cb")},
                          api_key=a)
        # A's job is untouched: still queued, and delivered once unblocked,
        # with no callback to B's URL.
        self.assertEqual(self.job(a, jid)["state"], "queued")
        self.block("hook", False)
        self.assertEqual(self.wait_final(a, jid)["state"], "succeeded")
        self.settle(0.2)
        self.assertEqual([r.path for r in self.rx.all()], ["/hook"])


class FlowTests(JobTestCase):

    def test_ttl_expiry_on_a_blocked_adapter_is_never_sent(self):
        self.adapter(blocked=True)
        key = self.client()["api_key"]
        t0 = time.monotonic()
        jid = self.submit(key, ttl_s=1)["job_id"]
        done = self.wait_state(key, jid, FINAL, timeout=2.5)
        self.assertLess(time.monotonic() - t0, 2.5)
        self.assertEqual(done["state"], "expired", done)
        self.assertEqual(done["attempts"], 0)
        self.assertIsNone(done["start_time"])
        self.assertRegex(done["finish_time"], TIME_RE)
        self.assertGreaterEqual(parse_rfc3339(done["finish_time"]),
                                parse_rfc3339(done["expire_time"]))
        self.assertEqual(self.rx.count(), 0)
        self.expect_error(409, "already_final", "DELETE", "/v1/jobs/" + jid,
                          api_key=key)
        # Unblocked: a later job goes out, the expired one never does.
        self.block("hook", False)
        marker = self.submit(key)["job_id"]
        self.wait_final(key, marker)
        self.settle()
        self.assertEqual([r.job_id for r in self.rx.all()], [marker])
        self.assertEqual(self.job(key, jid)["state"], "expired")

    def test_cancel_queued_and_scheduled_jobs(self):
        self.adapter(blocked=True, concurrency=1)
        key = self.client()["api_key"]
        queued = self.submit(key)["job_id"]
        sched = self.submit(key, scheduled_at=rfc3339(time.time() + 60))
        self.assertEqual(sched["state"], "scheduled")
        for jid in (queued, sched["job_id"]):
            body = self.expect(200, "DELETE", "/v1/jobs/" + jid, api_key=key)
            self.assertEqual(body, {"job_id": jid, "state": "canceled"})
            got = self.job(key, jid)
            self.assertEqual(got["state"], "canceled")
            self.assertRegex(got["finish_time"], TIME_RE)
            self.expect_error(409, "already_final", "DELETE", "/v1/jobs/" + jid,
                              api_key=key)
        self.block("hook", False)
        marker = self.submit(key)["job_id"]
        self.wait_final(key, marker)
        self.settle()
        self.assertEqual([r.job_id for r in self.rx.all()], [marker])
        self.assertEqual(self.job(key, queued)["state"], "canceled")
        self.expect_error(409, "already_final", "DELETE", "/v1/jobs/" + marker,
                          api_key=key)

    def test_cancel_retrying_job(self):
        self.adapter()
        key = self.client()["api_key"]
        self.rx.respond = lambda req: (503, {"Retry-After": "30"}, b"later")
        jid = self.submit(key)["job_id"]
        self.wait_state(key, jid, "retrying")
        body = self.expect(200, "DELETE", "/v1/jobs/" + jid, api_key=key)
        self.assertEqual(body, {"job_id": jid, "state": "canceled"})
        got = self.job(key, jid)
        self.assertEqual((got["state"], got["attempts"]), ("canceled", 1))
        self.assertEqual(self.rx.count(), 1)

    def test_cancel_running_webhook_ends_with_the_real_outcome(self):
        self.adapter()
        key = self.client()["api_key"]
        release = threading.Event()
        self.addCleanup(release.set)
        outcome = {}
        self.rx.respond = lambda req: (outcome[req.json["params"]["case"]], {},
                                       b"", release)
        results = {}
        for case, status in (("ok", 200), ("retryable", 500)):
            with self.subTest(case=case):
                release.clear()
                outcome[case] = status
                jid = self.submit(key, params={"case": case})["job_id"]
                self.rx.wait_for(1, pred=lambda r, j=jid: r.job_id == j)
                body = self.expect(202, "DELETE", "/v1/jobs/" + jid,
                                   api_key=key)
                self.assertEqual(body.get("state"), "canceling", body)
                self.assertEqual(body.get("job_id", jid), jid)
                release.set()
                results[case] = self.wait_final(key, jid)
                self.rx.wait_idle()
        self.assertEqual(results["ok"]["state"], "succeeded", results)
        self.assertEqual(results["ok"]["attempts"], 1)
        self.assertEqual(results["retryable"]["state"], "canceled", results)
        self.assertEqual(results["retryable"]["attempts"], 1)
        self.settle()
        self.assertEqual(self.rx.count(), 2, "a canceled job was retried")

    def test_blocked_adapter_holds_jobs_until_unblocked(self):
        self.adapter(blocked=True)
        key = self.client()["api_key"]
        jids = [self.submit(key, params={"i": i})["job_id"] for i in range(3)]
        self.settle()
        self.assertEqual([self.job(key, j)["state"] for j in jids],
                         ["queued"] * 3)
        self.assertEqual(self.rx.count(), 0)
        # Blocked in between: still accepted.
        self.block("hook", False)
        for j in jids:
            self.assertEqual(self.wait_final(key, j)["state"], "succeeded")
        self.settle(0.1)
        self.assertEqual(sorted(r.job_id for r in self.rx.all()), sorted(jids))

    def test_blocking_stops_dispatch_of_waiting_jobs(self):
        self.adapter(concurrency=1)
        key = self.client()["api_key"]
        release = threading.Event()
        self.addCleanup(release.set)
        self.rx.respond = lambda req: (200, {}, b"",
                                       release if req.seq == 0 else 0)
        first = self.submit(key, params={"i": 0})["job_id"]
        self.rx.wait_for(1)
        rest = [self.submit(key, params={"i": i})["job_id"] for i in (1, 2)]
        self.block("hook")
        release.set()
        # The call already out ends normally; nothing else is dispatched.
        self.assertEqual(self.wait_final(key, first)["state"], "succeeded")
        self.settle()
        self.assertEqual([self.job(key, j)["state"] for j in rest],
                         ["queued", "queued"])
        self.assertEqual(self.rx.count(), 1)
        self.block("hook", False)
        for j in rest:
            self.assertEqual(self.wait_final(key, j)["state"], "succeeded")
        self.assertEqual(self.rx.count(), 3)

    def test_jobs_waiting_behind_a_busy_adapter_expire_or_cancel(self):
        self.adapter(concurrency=1)
        key = self.client()["api_key"]
        release = threading.Event()
        self.addCleanup(release.set)
        self.rx.respond = lambda req: (200, {}, b"",
                                       release if req.seq == 0 else 0)
        busy = self.submit(key)["job_id"]
        self.rx.wait_for(1)
        expiring = self.submit(key, ttl_s=1)["job_id"]
        canceled = self.submit(key)["job_id"]
        body = self.expect(200, "DELETE", "/v1/jobs/" + canceled, api_key=key)
        self.assertEqual(body, {"job_id": canceled, "state": "canceled"})
        done = self.wait_state(key, expiring, FINAL, timeout=2.5)
        self.assertEqual((done["state"], done["attempts"]), ("expired", 0))
        release.set()
        self.assertEqual(self.wait_final(key, busy)["state"], "succeeded")
        marker = self.submit(key)["job_id"]
        self.assertEqual(self.wait_final(key, marker)["state"], "succeeded")
        self.settle(0.2)
        self.assertEqual([r.job_id for r in self.rx.all()], [busy, marker])
        self.assertEqual(self.job(key, canceled)["state"], "canceled")
        self.assertEqual(self.job(key, expiring)["state"], "expired")

    def test_scheduled_job_is_delivered_no_earlier(self):
        self.adapter()
        key = self.client()["api_key"]
        at = rfc3339(time.time() + 1.5)
        acc = self.submit(key, scheduled_at=at)
        self.assertEqual(acc["state"], "scheduled")
        self.assertEqual(acc["scheduled_at"], at)
        jid = acc["job_id"]
        got = self.job(key, jid)
        self.assertEqual((got["state"], got["scheduled_at"]), ("scheduled", at))
        [req] = self.rx.wait_for(1, timeout=4)
        self.assertGreaterEqual(req.wall, parse_rfc3339(at),
                                "delivered before scheduled_at")
        self.assertLess(req.wall, parse_rfc3339(at) + 3, "delivered late")
        done = self.wait_final(key, jid)
        self.assertEqual(done["state"], "succeeded")
        self.assertEqual(done["scheduled_at"], at)
        self.assertGreaterEqual(parse_rfc3339(done["start_time"]),
                                parse_rfc3339(at))

    def test_priority_high_goes_first(self):
        self.adapter(blocked=True, concurrency=1)
        key = self.client()["api_key"]
        ids = {}
        for prio in ("low", "normal", "high"):
            for n in range(2):
                ids[self.submit(key, priority=prio,
                                params={"p": prio, "n": n})["job_id"]] = prio
        self.block("hook", False)
        reqs = self.rx.wait_for(6)
        self.assertEqual([ids[r.job_id] for r in reqs],
                         ["high", "high", "normal", "normal", "low", "low"])
        self.assertEqual([r.json["params"]["n"] for r in reqs],
                         [0, 1, 0, 1, 0, 1], "FIFO within a priority")
        self.assertEqual(self.rx.max_in_flight, 1)

    def test_concurrency_bound(self):
        self.adapter(concurrency=2)
        key = self.client()["api_key"]
        self.rx.respond = lambda req: (200, {}, b"", 0.3)
        jids = [self.submit(key, params={"i": i})["job_id"] for i in range(10)]
        for j in jids:
            self.assertEqual(self.wait_final(key, j, timeout=8)["state"],
                             "succeeded")
        self.assertEqual(self.rx.count(), 10)
        self.assertEqual(self.rx.max_in_flight, 2)


class CallbackTests(JobTestCase):

    def setUp(self):
        super().setUp()
        self.cb = Receiver()
        self.addCleanup(self.cb.stop)

    def check_callback(self, req, secret, job):
        self.assertEqual(req.method, "POST")
        self.assertEqual(req.header("X-NS-Job-Id"), job["job_id"])
        self.assertEqual(req.header("X-NS-Signature"),
                         signature(secret, req.raw), "bad signature")
        shown = dict(job)
        shown.pop("callbacks", None)
        self.assertEqual(req.json, shown)

    def test_signed_callbacks_url_and_subscription(self):
        self.adapter(blocked=True)
        c = self.client()
        key, secret = c["api_key"], c["signing_secret"]
        jid = self.submit(key, callback_url=self.cb.url("/cb"), idem="cb-1",
                          params={"x": 1})["job_id"]
        sub = self.expect(201, "POST", "/v1/notifications",
                          {"job_id": jid, "callback_url": self.cb.url("/sub")},
                          api_key=key)
        self.assertEqual(sub, {"job_id": jid,
                               "callback_url": self.cb.url("/sub")})
        self.settle(0.2)
        self.assertEqual(self.cb.count(), 0, "callback before a final state")
        self.block("hook", False)
        reqs = self.cb.wait_for(2)
        final = self.job(key, jid)
        self.assertEqual(final["state"], "succeeded")
        self.assertEqual(sorted(r.path for r in reqs), ["/cb", "/sub"])
        for r in reqs:
            self.check_callback(r, secret, final)
        # The signature really covers the body.
        self.assertNotEqual(signature(secret, reqs[0].raw + b" "),
                            reqs[0].header("X-NS-Signature"))

        # A failed job calls back with its failure.
        self.rx.respond = lambda req: (400, {}, b"nope")
        bad = self.submit(key, callback_url=self.cb.url("/bad"))["job_id"]
        [r] = self.cb.wait_for(1, path="/bad")
        final = self.job(key, bad)
        self.assertEqual(final["state"], "failed")
        self.check_callback(r, secret, final)

        # After a key rotation the new secret signs.
        rotated = self.expect(200, "POST", "/v1/clients/%s/keys" % c["id"])
        self.rx.respond = None
        new = self.submit(rotated["api_key"],
                          callback_url=self.cb.url("/new"))["job_id"]
        [r] = self.cb.wait_for(1, path="/new")
        final = self.job(rotated["api_key"], new)
        self.check_callback(r, rotated["signing_secret"], final)
        self.assertNotEqual(r.header("X-NS-Signature"), signature(secret, r.raw))
        # Jobs belong to the client, not to a key.
        self.assertEqual(self.job(rotated["api_key"], jid)["state"], "succeeded")
        self.settle(0.2)
        self.assertEqual(self.cb.count(), 4, self.cb.all())

    def test_callbacks_for_expired_and_canceled_jobs(self):
        self.adapter(blocked=True)
        c = self.client()
        key = c["api_key"]
        exp = self.submit(key, ttl_s=1, callback_url=self.cb.url("/exp"))
        can = self.submit(key, callback_url=self.cb.url("/can"))
        self.expect(200, "DELETE", "/v1/jobs/" + can["job_id"], api_key=key)
        for path, acc, state in (("/can", can, "canceled"),
                                 ("/exp", exp, "expired")):
            [r] = self.cb.wait_for(1, path=path, timeout=3)
            final = self.job(key, acc["job_id"])
            self.assertEqual(final["state"], state)
            self.check_callback(r, c["signing_secret"], final)
        self.assertEqual(self.rx.count(), 0)

    def test_failed_callback_is_retried_other_4xx_is_not(self):
        self.adapter()
        c = self.client()
        key = c["api_key"]
        seen = {}

        def respond(req):
            n = seen[req.path] = seen.get(req.path, 0) + 1
            if req.path == "/flaky":
                return 500 if n == 1 else 200
            return 404

        self.cb.respond = respond
        lost = self.submit(key, callback_url=self.cb.url("/lost"))["job_id"]
        flaky = self.submit(key, callback_url=self.cb.url("/flaky"))["job_id"]
        first, second = self.cb.wait_for(2, path="/flaky", timeout=6)
        final = self.job(key, flaky)
        for r in (first, second):
            self.check_callback(r, c["signing_secret"], final)
        self.assertEqual(first.raw, second.raw)
        [lost_req] = self.cb.wait_for(1, path="/lost")
        # Give a 404'd callback longer than the flaky one needed to retry.
        wait = max(0.3, (second.time - first.time) + 0.3
                   - (time.monotonic() - lost_req.time))
        self.settle(wait)
        self.assertEqual(self.cb.count("/lost"), 1)
        self.assertEqual(self.cb.count("/flaky"), 2)
        self.assertEqual(self.job(key, lost)["state"], "succeeded")


class StatsTests(JobTestCase):

    def test_stats_count_jobs_by_state_and_adapter(self):
        self.adapter()
        self.adapter("held", blocked=True)
        key = self.client()["api_key"]
        empty = self.stats()
        self.assertLessEqual(STATS_FIELDS, set(empty), empty)
        self.assertEqual({k: v for k, v in empty["jobs"].items() if v}, {})
        self.assertEqual((empty["live_jobs"], empty["accepted_total"],
                          empty["delivered_total"]), (0, 0, 0))
        self.seven_jobs(key)

        def nonzero(d):
            return {k: v for k, v in d.items() if v}

        # Counters follow the jobs asynchronously: give them a moment.
        want_jobs = {"succeeded": 3, "failed": 1, "queued": 2, "canceled": 1}
        try:
            wait_until(lambda: (lambda s: nonzero(s["jobs"]) == want_jobs
                                and s["live_jobs"] == 2
                                and s["delivered_total"] == 3)(self.stats()),
                       timeout=2, what="stats to settle")
        except AssertionError:
            pass   # the exact asserts below say what is off
        st = self.stats()
        self.assertLessEqual(STATS_FIELDS, set(st), st)
        self.assertEqual(nonzero(st["jobs"]),
                         {"succeeded": 3, "failed": 1, "queued": 2,
                          "canceled": 1}, st)
        for state in ("scheduled", "queued", "running", "retrying",
                      "succeeded", "failed", "expired", "canceled"):
            self.assertIn(state, st["jobs"])
        self.assertEqual(nonzero(st["adapters"]["hook"]),
                         {"succeeded": 3, "failed": 1}, st)
        self.assertEqual(nonzero(st["adapters"]["held"]),
                         {"queued": 2, "canceled": 1}, st)
        self.assertEqual(st["live_jobs"], 2)
        self.assertEqual(st["accepted_total"], 7)
        self.assertEqual(st["delivered_total"], 3)
        self.assertIsInstance(st["ingest_per_s"], (int, float))
        self.assertIsInstance(st["delivery_per_s"], (int, float))
        self.assertIsInstance(st["store_pending_writes"], int)
        self.assertGreaterEqual(st["store_pending_writes"], 0)
        self.assertIsInstance(st["note"], str)


def parse_metrics(testcase, text):
    """Reads the Prometheus text format strictly: each sample's family has
    its HELP and TYPE before it, and a family's samples stand together.
    Returns ({family: type}, {(name, labels): value})."""
    types, samples = {}, {}
    current, finished = None, set()
    sample_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            testcase.assertNotIn(name, types, "TYPE twice: " + line)
            testcase.assertIn(kind, ("counter", "gauge", "histogram"), line)
            types[name] = kind
            continue
        m = sample_re.match(line)
        testcase.assertIsNotNone(m, "not a sample: %r" % line)
        name, labels, value = m.group(1), m.group(3) or "", m.group(4)
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and types.get(base) == "histogram":
                family = base
        testcase.assertIn(family, types, "no TYPE before " + line)
        if family != current:
            testcase.assertNotIn(family, finished, "split family: " + line)
            if current:
                finished.add(current)
            current = family
        samples[(name, labels)] = float(value)
    return types, samples


class MetricsTests(JobTestCase):

    def metrics(self):
        # no token: scrapers rarely carry one
        status, headers, _ = self.node.request("GET", "/metrics", token=None)
        body = self.node.last_raw.decode()
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("Content-Type"),
                         "text/plain; version=0.0.4; charset=utf-8")
        return parse_metrics(self, body)

    def histogram(self, samples, name):
        buckets = sorted(((float(labels[4:-1]) if labels != 'le="+Inf"'
                           else float("inf")), v)
                         for (n, labels), v in samples.items()
                         if n == name + "_bucket")
        counts = [v for _, v in buckets]
        self.assertEqual(counts, sorted(counts), buckets)  # cumulative
        self.assertEqual(buckets[-1], (float("inf"),
                                       samples[(name + "_count", "")]))
        return samples[(name + "_count", "")], samples[(name + "_sum", "")]

    def test_metrics_need_no_token_and_count_what_stats_counts(self):
        self.adapter()
        self.adapter("held", blocked=True)
        key = self.client()["api_key"]
        types, samples = self.metrics()
        self.assertEqual(samples[("ns_jobs_accepted_total", "")], 0)
        self.assertEqual(types["ns_job_accept_seconds"], "histogram")
        self.assertEqual(self.histogram(samples, "ns_job_accept_seconds"),
                         (0, 0))

        self.seven_jobs(key)
        wait_until(lambda: self.metrics()[1].get(
            ("ns_jobs_finished_total", 'adapter="hook",state="succeeded"'))
            == 3, timeout=2, what="counters to settle")

        types, samples = self.metrics()
        self.assertEqual(types["ns_jobs"], "gauge")
        self.assertEqual(types["ns_jobs_finished_total"], "counter")

        def job_count(family, adapter, state):
            return samples[(family, 'adapter="%s",state="%s"'
                            % (adapter, state))]
        self.assertEqual(job_count("ns_jobs", "held", "queued"), 2)
        self.assertEqual(job_count("ns_jobs", "hook", "queued"), 0)
        self.assertEqual(job_count("ns_jobs_finished_total", "held",
                                   "canceled"), 1)
        self.assertEqual(job_count("ns_jobs_finished_total", "hook",
                                   "succeeded"), 3)
        self.assertEqual(job_count("ns_jobs_finished_total", "hook",
                                   "failed"), 1)
        self.assertEqual(samples[("ns_jobs_accepted_total", "")], 7)
        self.assertEqual(samples[("ns_jobs_delivered_total", "")], 3)
        self.assertEqual(samples[("ns_live_jobs", "")], 2)
        self.assertEqual(samples[("ns_backlog_jobs", "")], 0)
        self.assertGreaterEqual(samples[("ns_store_commits_total", "")], 1)
        self.assertGreaterEqual(samples[("ns_store_writes_total", "")], 7)
        self.assertEqual(samples[("ns_store_commit_failures_total", "")], 0)
        count, total = self.histogram(samples, "ns_job_accept_seconds")
        self.assertEqual(count, 7)
        self.assertGreater(total, 0)
        # the five jobs that ended: three delivered, one refused, one canceled
        count, total = self.histogram(samples, "ns_job_completion_seconds")
        self.assertEqual(count, 5)
        self.assertGreaterEqual(total, 0)
        # the same numbers as /v1/stats
        st = self.stats()
        self.assertEqual(st["accepted_total"], 7)
        self.assertEqual(st["adapters"]["held"]["queued"], 2)


if __name__ == "__main__":
    unittest.main()
