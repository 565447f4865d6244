"""Memory is bounded, the backlog is not: with `jobs.max_live` job actors at
most, further jobs rest in RocksDB and get an actor as room frees, by priority
then age; resting jobs still expire on time, can be read, canceled and
subscribed to, and survive kill -9. Checked on a real nsd."""

import unittest

from nsd import Nsd, clean_up_after, wait_until
from receiver import Receiver
from test_job_recovery import RecoveryTestCase

WINDOW = 5


class BacklogTests(RecoveryTestCase):

    def setUp(self):
        self.rx = Receiver()
        self.addCleanup(self.rx.stop)
        self.node = Nsd(["--jobs.max_live=%d" % WINDOW])
        clean_up_after(self, self.node)
        self.node.start()

    def stats(self):
        return self.expect(200, "GET", "/v1/stats")

    def callback_receiver(self):
        cb = Receiver()
        self.addCleanup(cb.stop)
        return cb

    def fill_window(self, key):
        for i in range(WINDOW):
            self.submit(key, params={"n": i})

    def subscribe(self, key, job_id, cb):
        self.expect(201, "POST", "/v1/notifications",
                    {"job_id": job_id, "callback_url": cb.url("/cb")},
                    api_key=key)

    def test_jobs_beyond_the_window_rest_and_all_drain_in_order(self):
        self.adapter(blocked=True, concurrency=1)
        key = self.client()
        ids = [self.submit(key, params={"n": i})["job_id"] for i in range(30)]
        high = self.submit(key, priority="high", params={"n": "high"})["job_id"]
        st = self.stats()
        self.assertEqual(st["live_jobs"], WINDOW)
        self.assertEqual(st["backlog_jobs"], 31 - WINDOW)
        # A resting job is readable as queued.
        self.assertEqual(self.job(key, ids[-1])["state"], "queued")
        self.block("hook", False)
        for job_id in ids + [high]:
            self.wait_state(key, job_id, "succeeded", timeout=10)
        order = [r.job_id for r in self.rx.all("/hook")]
        self.assertEqual(len(order), 31)
        self.assertEqual(sorted(order), sorted(ids + [high]))
        # The high-priority job overtakes every resting normal one.
        self.assertLess(order.index(high), WINDOW + 1)
        # Within a priority: oldest first. Actors get their turn strictly in
        # that order; jobs whose actors start at the same moment may reach
        # a free instance a step apart, no more.
        normal = [ids.index(j) for j in order if j != high]
        for pos, n in enumerate(normal):
            self.assertLessEqual(abs(pos - n), 2, normal)
        # A job reads `succeeded` as soon as its actor has the outcome; the
        # actor leaves once that state is durable.
        wait_until(lambda: self.stats()["live_jobs"] == 0, timeout=5,
                   what="every job actor gone")
        self.assertEqual(self.stats()["backlog_jobs"], 0)

    def test_resting_jobs_expire_on_time_and_are_never_sent(self):
        self.adapter(blocked=True)
        key = self.client()
        self.fill_window(key)
        short = [self.submit(key, ttl_s=1, params={"short": i})["job_id"]
                 for i in range(3)]
        for job_id in short:
            job = self.wait_state(key, job_id, "expired", timeout=3)
            self.assertIsNotNone(job["finish_time"])
        self.block("hook", False)
        self.rx.wait_for(WINDOW, timeout=5)
        self.assertFalse(any(r.job_id in short for r in self.rx.all()))

    def test_resting_jobs_can_be_canceled_and_subscribed_to(self):
        cb = self.callback_receiver()
        self.adapter(blocked=True)
        key = self.client()
        self.fill_window(key)
        resting = self.submit(key, params={"resting": 1})["job_id"]
        watched = self.submit(key, params={"watched": 1})["job_id"]
        self.subscribe(key, watched, cb)
        got = self.expect(200, "DELETE", "/v1/jobs/" + resting, api_key=key)
        self.assertEqual(got["state"], "canceled")
        self.expect(409, "DELETE", "/v1/jobs/" + resting, api_key=key)
        self.block("hook", False)
        self.wait_state(key, watched, "succeeded", timeout=10)
        cb.wait_for(1, timeout=5)
        self.assertEqual(cb.all()[0].json["state"], "succeeded")
        self.assertEqual(self.job(key, resting)["state"], "canceled")
        self.assertFalse(any(r.job_id == resting for r in self.rx.all()))

    def test_backlog_survives_kill9_and_drains_after_restart(self):
        self.adapter(blocked=True)
        key = self.client()
        ids = [self.submit(key, params={"n": i})["job_id"] for i in range(40)]
        self.restart_after_kill9()
        st = self.stats()
        self.assertEqual(st["live_jobs"], WINDOW)
        self.assertEqual(st["backlog_jobs"], 40 - WINDOW)
        self.block("hook", False)
        for job_id in ids:
            self.wait_state(key, job_id, "succeeded", timeout=10)
        self.assertEqual(sorted(r.job_id for r in self.rx.all()), sorted(ids))

    def test_resting_jobs_callback_survives_kill9_and_is_sent_once(self):
        # Recovery tells resting jobs with a callback from final ones by
        # their record: the callback waits for the job, then goes out once.
        cb = self.callback_receiver()
        self.adapter(blocked=True)
        key = self.client()
        self.fill_window(key)
        watched = self.submit(key, params={"watched": 1})["job_id"]
        self.subscribe(key, watched, cb)
        self.restart_after_kill9()
        self.assertEqual(self.stats()["backlog_jobs"], 1)
        self.assertEqual(cb.all(), [])
        self.block("hook", False)
        self.wait_state(key, watched, "succeeded", timeout=10)
        cb.wait_for(1, timeout=5)
        wait_until(lambda: self.stats()["live_jobs"] == 0, timeout=5,
                   what="every job actor gone")
        got = [r.json for r in cb.all()]
        self.assertEqual(len(got), 1, got)
        self.assertEqual(got[0]["job_id"], watched)
        self.assertEqual(got[0]["state"], "succeeded")


if __name__ == "__main__":
    unittest.main()
