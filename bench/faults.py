#!/usr/bin/env python3
"""Faults and load: the figures of docs/reliability.md, measured on a real nsd.

    python3 bench/faults.py [--only kill9,diskfull,fds,slow] [--json FILE] [--nsd PATH]

Scenarios (each has its own options, see --help; defaults are small, for a
machine of 2 shared cores, and keep each scenario within a few minutes):

  kill9     kill -9 nsd at random moments under load, restart it on the same
            store, and count acked, delivered, lost and duplicated jobs
  diskfull  (root) nsd's store on a small tmpfs that is filled while clients
            post: status codes, whether and when 202s come back after the space
            is freed, and whether every acked job is still readable
  fds       nsd under a low RLIMIT_NOFILE with more idle connections than fit:
            its CPU, its log growth, whether new clients are served
  slow      throughput of normal clients alone and beside clients that never
            read their answers and idle keep-alive connections; nsd's RSS

This is not a test: it measures nsd as it is and reports what it saw, also
when nsd misbehaves. Every wait is bounded, every scenario has a time limit
(--time-limit), and every nsd it starts is killed at the end. Loopback only.
"""

import argparse
import collections
import errno
import http.client
import json
import os
import platform
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

import nsd as harness  # noqa: E402  (tests/support: starts nsd on loopback)
from receiver import Receiver  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
FINAL = {"succeeded", "failed", "expired", "canceled"}
FAST_RETRY = {"max_attempts": 10, "initial_backoff_ms": 50,
              "max_backoff_ms": 500}


def log(*args):
    print("[%s]" % time.strftime("%H:%M:%S"), *args, file=sys.stderr,
          flush=True)


class ScenarioTimeout(Exception):
    pass


# Every nsd and tmpfs mount a scenario made: main() kills and unmounts what
# is left of them after each scenario, even if its own cleanup was cut short.
STARTED = []
MOUNTS = []


def new_node(cls=None, *args, **kw):
    node = (cls or harness.Nsd)(*args, **kw)
    STARTED.append(node)
    return node


def clean_leftovers():
    while STARTED:
        node = STARTED.pop()
        try:
            node.cleanup()
        except (OSError, subprocess.SubprocessError):
            if node.proc is not None:
                node.proc.kill()
    while MOUNTS:
        mnt = MOUNTS.pop()
        subprocess.run(["umount", "-l", mnt], capture_output=True, timeout=10)
        try:
            os.rmdir(mnt)
        except OSError:
            pass


class Interrupted(Exception):
    pass


# -- what a scenario reports ---------------------------------------------------

class Report:
    """Figures of one scenario, in order: printed as a table, kept as JSON."""

    made = []   # every Report, so that an abandoned scenario's still prints

    def __init__(self, name, params):
        Report.made.append(self)
        self.name = name
        self.params = params
        self.rows = []      # (key, label, value)
        self.notes = []
        self.status = "ok"

    def add(self, key, label, value):
        self.rows.append((key, label, value))
        return value

    def note(self, text):
        log(self.name + ":", text)
        self.notes.append(text)

    def as_json(self):
        return {"scenario": self.name, "status": self.status,
                "params": self.params,
                "figures": {k: v for k, _, v in self.rows},
                "notes": self.notes}

    def print_table(self, out):
        params = ", ".join("%s=%s" % kv for kv in self.params.items())
        print("\n### %s (%s)%s\n" % (self.name, params,
              "" if self.status == "ok" else " — " + self.status), file=out)
        print("| figure | value |", file=out)
        print("|---|---|", file=out)
        for _, label, value in self.rows:
            print("| %s | %s |" % (label, fmt(value)), file=out)
        for n in self.notes:
            print("\n- " + n, file=out)
        out.flush()


def fmt(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return "%.0f" % v if abs(v) >= 100 else "%.2f" % v
    if isinstance(v, list):
        return "%d (listed in --json)" % len(v)
    if isinstance(v, dict):
        return ", ".join("%s: %s" % (k, fmt(x)) for k, x in v.items()) or "—"
    if v is None:
        return "—"
    return str(v)


# -- nsd's process, from /proc -------------------------------------------------

def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime + stime


def status_kib(pid, field):
    """VmRSS, VmHWM, … of /proc/<pid>/status in KiB (None if gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def alive(node):
    return node.proc is not None and node.proc.poll() is None


def exit_text(node):
    rc = node.proc.poll() if node.proc else None
    if rc is None:
        return "running"
    if rc < 0:
        return "killed by signal %d (%s)" % (-rc, signal.Signals(-rc).name)
    return "exited with code %d" % rc


class DeathWatch(threading.Thread):
    """Notes when nsd's process ends (polls every 50 ms)."""

    def __init__(self, node):
        super().__init__(daemon=True)
        self.proc = node.proc
        self.died_at = None
        self.stopping = threading.Event()
        self.start()

    def run(self):
        while not self.stopping.wait(0.05):
            if self.proc.poll() is not None:
                self.died_at = time.monotonic()
                return


class Sampler:
    """CPU% and log growth of nsd over a window (call start(), then stop())."""

    def __init__(self, node):
        self.node = node

    def start(self):
        self.t0 = time.monotonic()
        self.cpu0 = cpu_seconds(self.node.proc.pid)
        self.log0 = os.path.getsize(self.node.log_path)
        return self

    def stop(self):
        dt = time.monotonic() - self.t0
        try:
            cpu = 100.0 * (cpu_seconds(self.node.proc.pid) - self.cpu0) / dt
        except OSError:
            cpu = None
        grew = (os.path.getsize(self.node.log_path) - self.log0) / dt
        return cpu, grew


class RssWatch(threading.Thread):
    """Samples nsd's VmRSS every 0.1 s; peak() of a time window in MiB."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.samples = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.1):
            kib = status_kib(self.pid, "VmRSS")
            if kib is None:
                return
            self.samples.append((time.monotonic(), kib))

    def peak(self, t0=None, t1=None):
        xs = [k for t, k in self.samples
              if (t0 is None or t >= t0) and (t1 is None or t <= t1)]
        return round(max(xs) / 1024.0, 1) if xs else None


# -- nsd, its adapter and a client ---------------------------------------------

class LimitedNsd(harness.Nsd):
    """An Nsd whose process starts under RLIMIT_NOFILE = nofile."""

    def __init__(self, *args, nofile, **kw):
        super().__init__(*args, **kw)
        self.nofile = nofile

    def spawn(self):
        import resource
        limit = self.nofile
        self.starts += 1
        self.log_path = os.path.join(self.tmp, "nsd-%d.log" % self.starts)
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                self.argv(), env=harness.clean_env(self.env),
                stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                preexec_fn=lambda: resource.setrlimit(
                    resource.RLIMIT_NOFILE, (limit, limit)))
        return self.proc


def expect(node, status, method, path, body=None, **kw):
    got, _, parsed = node.request(method, path, body, **kw)
    if got != status:
        raise harness.NsdError("%s %s: %s %r" % (method, path, got, parsed))
    return parsed


def setup_hook(node, url=None, blocked=False, concurrency=16):
    """A webhook adapter "hook" (to url, or blocked) and a client; its key."""
    spec = {"name": "hook", "type": "webhook",
            "config": {"url": url or "http://127.0.0.1:9/unused"},
            "retry": FAST_RETRY, "concurrency": concurrency}
    expect(node, 201, "POST", "/v1/adapters", spec)
    if blocked:
        expect(node, 200, "PATCH", "/v1/adapters/hook", {"blocked": True})
    return expect(node, 201, "POST", "/v1/clients",
                  {"name": "load", "adapters": "*"})["api_key"]


def keep_log(node, out_dir, name):
    """Copies nsd's logs to out_dir before cleanup removes them."""
    for i in range(1, node.starts + 1):
        src = os.path.join(node.tmp, "nsd-%d.log" % i)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(out_dir, "%s-nsd-%d.log" % (name, i)))


def log_lines(node, word, limit=3):
    """The first `limit` distinct log messages (time stripped) holding word."""
    seen = []
    for line in node.log().splitlines():
        if word in line:
            msg = line.split(" ", 1)[-1].strip()
            if msg not in seen:
                seen.append(msg)
                if len(seen) >= limit:
                    break
    return seen


def probe(port, path="/healthz", timeout=3.0):
    """One GET on a new connection: its status, or what went wrong."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except socket.timeout:
        return "no answer in %.0f s" % timeout
    except (OSError, http.client.HTTPException) as e:
        return type(e).__name__
    finally:
        conn.close()


# -- load ----------------------------------------------------------------------

class Poster(threading.Thread):
    """Posts jobs in a closed loop on one keep-alive connection, to whatever
    port node has now (it may change at a restart), and records every answer:
    events (sent, answered, status), and acked (job_id, idempotency key).

    A request that got no answer (nsd died, the connection broke) is "no
    answer": its job may or may not have been written, so it is not retried
    (a retry would be a new job) and not counted as acked."""

    def __init__(self, node, api_key, name, stop, idem=True, timeout=5.0,
                 pause_after_error=0.0, pad=0):
        super().__init__(daemon=True, name="poster-" + name)
        self.node = node
        self.api_key = api_key
        self.tag = name
        self.stopping = stop
        self.idem = idem
        self.timeout = timeout
        self.pause = pause_after_error
        self.pad = "x" * pad
        self.events = []
        self.acked = []
        self.bad_answers = []

    def run(self):
        conn = None
        n = 0
        while not self.stopping.is_set():
            if conn is None:
                conn = http.client.HTTPConnection(
                    "127.0.0.1", self.node.port, timeout=self.timeout)
            n += 1
            key = "%s-%d" % (self.tag, n)
            params = {"p": self.tag, "n": n}
            if self.pad:
                params["pad"] = self.pad
            body = json.dumps({"adapter": "hook", "params": params})
            headers = {"Content-Type": "application/json",
                       "X-Api-Key": self.api_key}
            if self.idem:
                headers["Idempotency-Key"] = key
            t0 = time.monotonic()
            try:
                conn.request("POST", "/v1/jobs", body=body, headers=headers)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = None
                self.events.append((t0, time.monotonic(), "no connection"))
                self.stopping.wait(0.05)
                continue
            try:
                resp = conn.getresponse()
                raw = resp.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = None
                self.events.append((t0, time.monotonic(), "no answer"))
                self.stopping.wait(0.05)
                continue
            t1 = time.monotonic()
            self.events.append((t0, t1, resp.status if resp.status == 202
                                else answer_text(resp.status, raw)))
            if resp.status == 202:
                try:
                    self.acked.append((json.loads(raw)["job_id"],
                                       key if self.idem else None, t1))
                except (ValueError, KeyError, TypeError):
                    self.bad_answers.append(raw[:200])
            elif self.pause:
                self.stopping.wait(self.pause)
            if resp.will_close:
                conn.close()
                conn = None
        if conn is not None:
            conn.close()


def answer_text(status, raw):
    """ "503 overloaded": the status and the error code of the body."""
    try:
        return "%d %s" % (status, json.loads(raw)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return str(status)


def start_posters(node, api_key, count, stop, **kw):
    posters = [Poster(node, api_key, "t%d" % i, stop, **kw)
               for i in range(count)]
    for p in posters:
        p.start()
    return posters


def join_all(threads, timeout=10.0):
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    return [t.name for t in threads if t.is_alive()]


def codes_between(posters, t0, t1):
    """Counter of answers (status or "no answer") answered in [t0, t1)."""
    c = collections.Counter()
    for p in posters:
        for _, ta, status in p.events:
            if t0 <= ta < t1:
                c[str(status)] += 1
    return dict(sorted(c.items()))


def job_states(node, api_key, job_ids, deadline):
    """job_id -> state (None: 404, "?": no answer) until the deadline; jobs
    not reached by then are left out."""
    out = {}
    conn = node.connect(timeout=5)
    try:
        for jid in job_ids:
            if time.monotonic() > deadline:
                break
            try:
                got, _, body = node.request("GET", "/v1/jobs/" + jid,
                                            api_key=api_key, conn=conn)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = node.connect(timeout=5)
                out[jid] = "?"
                continue
            out[jid] = body.get("state") if got == 200 and body else (
                None if got == 404 else "HTTP %d" % got)
    finally:
        conn.close()
    return out


# -- kill9 ---------------------------------------------------------------------

def scenario_kill9(opt, out_dir):
    rng = random.Random(opt.seed)
    rep = Report("kill9", {
        "rounds": opt.kill9_rounds, "posters": opt.kill9_posters,
        "kill after": "%.1f..%.1f s" % (opt.kill9_min, opt.kill9_max),
        "receiver answers after": "%d ms" % opt.kill9_delivery_ms,
        "window W": "%.1f s" % opt.kill9_window, "seed": opt.seed})
    delay = opt.kill9_delivery_ms / 1000.0
    rx = Receiver()
    rx.respond = lambda req: (200, {}, b"", delay)
    node = new_node()
    stop = threading.Event()
    posters = []
    kills = []   # dicts: t_kill (signal sent), t_dead (reaped), restart_s
    try:
        node.start(timeout=30)
        key = setup_hook(node, rx.url("/hook"), concurrency=16)
        posters = start_posters(node, key, opt.kill9_posters, stop)
        for r in range(opt.kill9_rounds):
            time.sleep(rng.uniform(opt.kill9_min, opt.kill9_max))
            if not alive(node):
                rep.note("round %d: nsd had died by itself (%s)"
                         % (r + 1, exit_text(node)))
                break
            under_way = rx.in_flight
            t_kill = time.monotonic()
            node.kill9()
            # A delivery may still arrive between the signal and the death.
            t_dead = time.monotonic()
            try:
                node.restart(timeout=opt.kill9_ready_timeout)
            except harness.NsdError as e:
                rep.status = "restart %d failed" % (r + 1)
                rep.note("restart after kill %d failed: %s"
                         % (r + 1, str(e).splitlines()[0]))
                kills.append({"t_kill": t_kill, "t_dead": t_dead,
                              "restart_s": None})
                break
            kills.append({"t_kill": t_kill, "t_dead": t_dead,
                          "restart_s": time.monotonic() - t_kill})
            log("kill9: round %d/%d: killed with %d deliveries under way, "
                "ready again after %.2f s" % (r + 1, opt.kill9_rounds,
                                               under_way,
                                               kills[-1]["restart_s"]))
        time.sleep(1.0 if alive(node) else 0)
        stop.set()
        stuck = join_all(posters)
        if stuck:
            rep.note("posters still blocked at the end: %s" % stuck)

        acked = {}
        for p in posters:
            for jid, idem, _ in p.acked:
                acked[jid] = idem
        # Wait until every acked job has reached the receiver (bounded).
        t_end_post = time.monotonic()
        deadline = t_end_post + opt.kill9_drain_timeout
        missing = set(acked)
        while alive(node) and time.monotonic() < deadline:
            missing = set(acked) - {r.job_id for r in rx.all()}
            if not missing:
                break
            time.sleep(0.2)
        drain_s = time.monotonic() - t_end_post
        states = {}
        if missing and alive(node):
            states = job_states(node, key, sorted(missing),
                                time.monotonic() + 60)
        lost = [j for j in missing if states.get(j) not in FINAL]
        not_found = [j for j in missing if j in states and states[j] is None]

        reqs = [r for r in rx.all() if r.path == "/hook"]
        by_job = collections.defaultdict(list)
        for r in reqs:
            by_job[r.job_id].append(r)
        dups = {j: rs for j, rs in by_job.items() if len(rs) > 1}
        # Each repeat of a job is matched to the kill between it and the
        # delivery before it, and classified by how long before the kill
        # that earlier delivery reached the receiver.
        under_way = answered_in_w = older = no_kill = wrong_key = 0
        attempt_not_up = 0
        oldest_ms = 0.0
        t_kills = [k["t_dead"] for k in kills]
        odd = []   # repeats no kill explains: for the JSON, to look into

        def seen(r):
            before = [t for t in t_kills if t <= r.time]
            return {"attempt": r.header("X-NS-Attempt"),
                    "s_after_last_kill": round(r.time - before[-1], 3)
                    if before else None,
                    "kills_before": len(before)}
        for jid, rs in dups.items():
            rs.sort(key=lambda r: r.time)
            for a, b in zip(rs, rs[1:]):
                between = [k for k in kills
                           if a.time <= k["t_dead"] <= b.time]
                if not between:
                    no_kill += 1
                elif a.time + delay > between[0]["t_kill"]:
                    under_way += 1
                elif between[0]["t_kill"] - a.time <= opt.kill9_window:
                    answered_in_w += 1
                    oldest_ms = max(oldest_ms, 1000.0 * (
                        between[0]["t_kill"] - a.time - delay))
                else:
                    older += 1
                if (not between or between[0]["t_kill"] - a.time
                        > opt.kill9_window) \
                        and len(odd) < 10:
                    odd.append({"job_id": jid, "first": seen(a),
                                "repeat": seen(b)})
                try:
                    if int(b.header("X-NS-Attempt")) <= int(
                            a.header("X-NS-Attempt")):
                        attempt_not_up += 1
                except (TypeError, ValueError):
                    attempt_not_up += 1
        for jid, rs in by_job.items():
            want = acked.get(jid)
            if want is not None and any(r.header("Idempotency-Key") != want
                                        for r in rs):
                wrong_key += 1
        # Jobs with a delivery that reached the receiver in the W seconds
        # before a kill: under way, or answered so recently that its outcome
        # may not have been written yet. A loose upper bound of repeats.
        delivered_in_w = 0
        for t in t_kills:
            delivered_in_w += len({r.job_id for r in reqs
                              if t - opt.kill9_window <= r.time <= t})
        unanswered = sum(1 for p in posters for _, _, s in p.events
                         if s == "no answer")
        posted = sum(len(p.events) for p in posters)
        refused = collections.Counter(
            str(s) for p in posters for _, _, s in p.events
            if s not in (202, "no answer", "no connection"))
        delivered_unacked = len(set(by_job) - set(acked))
        restarts = [k["restart_s"] for k in kills if k["restart_s"]]

        rep.add("kills", "kill -9 rounds done", len(kills))
        rep.add("restart_s_max", "kill → /readyz 200 again, max (s)",
                max(restarts) if restarts else None)
        rep.add("restart_s_mean", "kill → /readyz 200 again, mean (s)",
                sum(restarts) / len(restarts) if restarts else None)
        rep.add("posted", "POSTs sent", posted)
        rep.add("acked", "acked (202)", len(acked))
        rep.add("unanswered", "POSTs cut by a kill (no answer)", unanswered)
        rep.add("refused_while_down",
                "POSTs that found no nsd (restarting)",
                sum(1 for p in posters for _, _, s in p.events
                    if s == "no connection"))
        rep.add("other_answers", "other answers", dict(refused))
        rep.add("delivered", "acked jobs delivered at least once",
                len(set(acked) - missing))
        rep.add("drain_s", "wait after the last POST until all delivered (s)",
                drain_s)
        rep.add("lost", "lost (acked, never delivered, not final)", len(lost))
        rep.add("not_found", "acked but 404 at the end", len(not_found))
        rep.add("final_undelivered", "acked, never delivered, final",
                dict(collections.Counter(states[j] for j in missing
                                         if states.get(j) in FINAL)))
        rep.add("delivered_unacked",
                "delivered without a 202 (answer cut by the kill)",
                delivered_unacked)
        rep.add("duplicates", "duplicates (jobs delivered more than once)",
                len(dups))
        rep.add("repeats", "repeated deliveries in all", sum(
            len(rs) - 1 for rs in dups.values()))
        # In flight at a kill: deliveries that had reached the receiver
        # and were not answered yet when the signal went out (arrivals until
        # the process was gone included).
        in_flight = sum(1 for k in kills for r in reqs
                        if r.time <= k["t_dead"]
                        and r.time + delay > k["t_kill"])
        rep.add("in_flight",
                "in flight at the kills (deliveries under way at the "
                "receiver: arrived, not yet answered)", in_flight)
        rep.add("delivered_in_w", "jobs delivered in the W before a kill",
                delivered_in_w)
        rep.add("repeat_after_under_way",
                "repeats of a delivery still unanswered at the kill",
                under_way)
        rep.add("repeat_after_recent",
                "repeats of a delivery answered ≤ W before the kill",
                answered_in_w)
        rep.add("recent_oldest_ms", "of those, answered at most this long "
                "before the kill (ms)", round(oldest_ms, 1))
        rep.add("repeat_after_older",
                "repeats of a delivery answered > W before the kill", older)
        rep.add("repeat_without_kill", "repeats with no kill in between",
                no_kill)
        rep.add("unexplained_examples", "repeats no kill explains, e.g.",
                odd or None)
        rep.add("wrong_idempotency_key",
                "jobs delivered with another Idempotency-Key", wrong_key)
        rep.add("attempt_not_increasing",
                "repeats whose X-NS-Attempt did not go up", attempt_not_up)
        if not alive(node):
            rep.note("nsd at the end: " + exit_text(node))
    finally:
        stop.set()
        keep_log(node, out_dir, "kill9")
        node.cleanup()
        rx.stop()
    return rep


# -- diskfull ------------------------------------------------------------------

def fill(path, stop_at):
    """Appends zeros to path until the filesystem is full (or stop_at);
    returns the bytes written."""
    written = 0
    chunk = b"\0" * (1 << 20)
    with open(path, "ab", buffering=0) as f:
        for size in (1 << 20, 4096, 512):
            part = chunk[:size]
            while time.monotonic() < stop_at:
                try:
                    written += f.write(part)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return written


def diskfull_variant(opt, out_dir, variant, args):
    rep = Report("diskfull (%s)" % variant, {
        "tmpfs": "%d MiB" % opt.diskfull_mib, "posters": opt.diskfull_posters,
        "job size": "%d B of padding" % opt.diskfull_pad,
        "held full": "%.0f s after the first failure" % opt.diskfull_hold,
        "recovery bound": "%.0f s" % opt.diskfull_recover_timeout,
        "nsd args": " ".join(args) or "defaults"})
    t_begin = time.monotonic()
    mnt = tempfile.mkdtemp(prefix="ns-diskfull.")
    mounted = False
    rx = Receiver()
    node = None
    stop = threading.Event()
    posters = []
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o",
                        "size=%dm" % opt.diskfull_mib, "tmpfs", mnt],
                       check=True, capture_output=True, timeout=10)
        mounted = True
        MOUNTS.append(mnt)
        node = new_node(harness.Nsd, args, data_dir=os.path.join(mnt, "data"))
        node.start(timeout=30)
        key = setup_hook(node, rx.url("/hook"), concurrency=8)
        death = DeathWatch(node)
        posters = start_posters(node, key, opt.diskfull_posters, stop,
                                pause_after_error=0.01, pad=opt.diskfull_pad)
        t_start = time.monotonic()
        time.sleep(opt.diskfull_before)
        t_fill = time.monotonic()
        filler = os.path.join(mnt, "filler")
        written = fill(filler, t_fill + 30)
        log("%s: tmpfs full after writing %.1f MiB"
            % (rep.name, written / 1048576.0))
        # RocksDB preallocates its write-ahead log, so nsd goes on writing
        # for a while: keep the disk full (space it frees is taken again)
        # until an answer other than 202 comes, then hold it full longer.
        t_first_fail = None
        while time.monotonic() < t_fill + opt.diskfull_fail_timeout:
            written += fill(filler, time.monotonic() + 5)
            fails = [ta for p in posters for _, ta, st in p.events
                     if st != 202 and ta >= t_fill]
            if fails or not alive(node):
                t_first_fail = min(fails) if fails else time.monotonic()
                break
            time.sleep(0.2)
        hold_until = time.monotonic() + opt.diskfull_hold
        while time.monotonic() < hold_until and alive(node):
            written += fill(filler, hold_until)
            time.sleep(0.2)
        alive_full = alive(node)
        os.unlink(filler)
        t_free = time.monotonic()
        recovered_after = None
        while time.monotonic() < t_free + opt.diskfull_recover_timeout:
            firsts = [ta for p in posters for ts, ta, st in p.events
                      if st == 202 and ts >= t_free]
            if firsts:
                recovered_after = min(firsts) - t_free
                break
            if not alive(node):
                break
            time.sleep(0.05)
        if recovered_after is not None:
            time.sleep(3.0)   # the answers once recovered
        t_after_end = time.monotonic()
        stop.set()
        stuck = join_all(posters)
        if stuck:
            rep.note("posters still blocked at the end: %s" % stuck)
        last_codes = codes_between(posters, t_after_end - 3.0, t_after_end)

        acked = [jid for p in posters for jid, _, _ in p.acked]
        acked_full = [jid for p in posters for jid, _, t in p.acked
                      if t_fill <= t < t_free]
        rep.add("filled_mib", "filler written (MiB)",
                round(written / 1048576.0, 1))
        rep.add("codes_before", "answers before the fill",
                codes_between(posters, t_start, t_fill))
        rep.add("first_fail_s", "first answer other than 202, after the "
                "fill (s)", t_first_fail - t_fill if t_first_fail else
                "none in %.0f s" % opt.diskfull_fail_timeout)
        rep.add("codes_full", "answers while the disk was full",
                codes_between(posters, t_fill, t_free))
        rep.add("codes_after", "answers after the space was freed",
                codes_between(posters, t_free, t_after_end + 60))
        if recovered_after is not None:
            rep.add("codes_recovered", "answers once recovered (3 s)",
                    codes_between(posters, t_free + recovered_after,
                                  t_after_end))
        elif alive(node):
            rep.add("last_3s", "answers in the last 3 s of the wait",
                    last_codes)
        rep.add("alive_while_full", "nsd alive while full", alive_full)
        rep.add("recovered", "recovered after free",
                "yes, first 202 after %.2f s" % recovered_after
                if recovered_after is not None else
                "no (%s after %.0f s)" % (
                    ", ".join(last_codes) or "nothing answered",
                    opt.diskfull_recover_timeout)
                if alive(node) else "no: nsd " + exit_text(node))
        rep.add("recovered_s", "time from free to the first 202 (s)",
                recovered_after)
        death.stopping.set()
        if death.died_at is not None:
            rep.add("died", "nsd died", "%.2f s after the fill, %s" % (
                death.died_at - t_fill,
                "while full" if death.died_at < t_free else
                "%.2f s after the free" % (death.died_at - t_free)))
        rep.add("acked", "acked (202) in all", len(acked))
        rep.add("acked_while_full", "acked while full", len(acked_full))
        if alive(node):
            states = job_states(node, key, acked, time.monotonic() + 30)
            rep.add("readable_running",
                    "acked jobs readable on the running nsd",
                    "%d of %d" % (sum(1 for s in states.values()
                                      if s and s != "?"
                                      and not s.startswith("HTTP")),
                                  len(acked)))
        errs = [m for w in ("error", "Assertion", "terminate", "fatal")
                for m in log_lines(node, w, 2)]
        rep.add("write_failed_logged", "'store write failed' log lines",
                node.log().count("store write failed"))
        # Restart on the same store (space free) and read every acked job.
        was = exit_text(node)
        if alive(node):
            try:
                rc = node.stop(timeout=15)
                rep.add("sigterm_exit", "exit code on SIGTERM after", rc)
            except harness.NsdError:
                rep.add("sigterm_exit", "exit code on SIGTERM after",
                        "did not stop in 15 s (killed)")
        else:
            rep.add("sigterm_exit", "exit code on SIGTERM after", was)
        try:
            node.restart(timeout=60)
            states = job_states(node, key, acked, time.monotonic() + 60)
            ok = sum(1 for s in states.values()
                     if s and s != "?" and not s.startswith("HTTP"))
            rep.add("readable_restart", "acked jobs readable after a restart",
                    "%d of %d" % (ok, len(acked)))
            rep.add("restart_202", "POST after the restart",
                    node.request("POST", "/v1/jobs",
                                 {"adapter": "hook", "params": {}},
                                 api_key=key)[0])
        except (harness.NsdError, OSError, http.client.HTTPException) as e:
            rep.add("readable_restart", "acked jobs readable after a restart",
                    "restart failed: %s" % str(e).splitlines()[0])
        for e in errs[:3]:
            rep.note("log: " + e[:300])
    finally:
        stop.set()
        if node is not None:
            keep_log(node, out_dir, "diskfull-" + variant)
            node.cleanup()
        rx.stop()
        if mounted:
            subprocess.run(["umount", "-l", mnt], capture_output=True,
                           timeout=10)
            MOUNTS.remove(mnt)
        try:
            os.rmdir(mnt)
        except OSError:
            pass
        rep.params["took"] = "%.0f s" % (time.monotonic() - t_begin)
    return rep


def scenario_diskfull(opt, out_dir):
    if os.geteuid() != 0:
        rep = Report("diskfull", {})
        rep.status = "skipped"
        rep.note("skipped: mounting a tmpfs needs root")
        return [rep]
    variants = {"default": [], "debug": ["--log.level=debug"],
                "write_buffer_1MiB": ["--store.write_buffer_bytes=1MiB"]}
    out = []
    for name in opt.diskfull_variants.split(","):
        if name not in variants:
            sys.exit("unknown diskfull variant %r (%s)"
                     % (name, ",".join(variants)))
        for i in range(opt.diskfull_runs):
            label = name if opt.diskfull_runs == 1 else "%s-%d" % (name, i + 1)
            out.append(diskfull_variant(opt, out_dir, label, variants[name]))
    return out


# -- fds -----------------------------------------------------------------------

def scenario_fds(opt, out_dir):
    limit = opt.fds_limit
    rep = Report("fds", {"RLIMIT_NOFILE": limit,
                         "idle connections": limit + opt.fds_extra,
                         "measured over": "%.0f s" % opt.fds_window})
    node = new_node(LimitedNsd, nofile=limit)
    held = []
    try:
        node.start(timeout=30)
        pid = node.proc.pid
        key = setup_hook(node, blocked=True)
        rep.add("fds_at_start", "nsd's descriptors at start", fd_count(pid))
        s = Sampler(node).start()
        time.sleep(2.0)
        cpu, grew = s.stop()
        rep.add("cpu_idle", "nsd CPU before, idle (% of a core)", cpu)

        refused = 0
        for _ in range(limit + opt.fds_extra):
            c = socket.socket()
            c.settimeout(2.0)
            try:
                c.connect(("127.0.0.1", node.port))
                held.append(c)
            except OSError:
                refused += 1
                c.close()
        time.sleep(0.5)
        rep.add("held", "idle connections opened (connect succeeded)",
                len(held))
        rep.add("refused", "connects refused or timed out", refused)
        rep.add("fds_held", "nsd's descriptors while held", fd_count(pid))
        s = Sampler(node).start()
        time.sleep(opt.fds_window)
        cpu, grew = s.stop() if alive(node) else (None, None)
        rep.add("cpu_held", "nsd CPU while held (% of a core)", cpu)
        rep.add("log_growth_held", "log growth while held (bytes/s)", grew)
        rep.add("new_client_held", "a new client's GET /healthz while held",
                probe(node.port))
        closed_by_nsd = 0
        for c in held:
            try:
                c.setblocking(False)
                if c.recv(1, socket.MSG_PEEK) == b"":
                    closed_by_nsd += 1
            except BlockingIOError:
                pass
            except OSError:
                closed_by_nsd += 1
        rep.add("closed_by_nsd", "idle connections nsd had closed meanwhile",
                closed_by_nsd)
        for c in held:
            c.close()
        held = []
        time.sleep(1.0)
        rep.add("new_client_after", "a new client's GET /healthz after "
                "release", probe(node.port) if alive(node) else exit_text(node))
        s = Sampler(node).start()
        time.sleep(3.0)
        cpu, grew = s.stop() if alive(node) else (None, None)
        rep.add("cpu_after", "nsd CPU after release (% of a core)", cpu)
        rep.add("log_growth_after", "log growth after release (bytes/s)", grew)
        try:
            got = node.request("POST", "/v1/jobs",
                               {"adapter": "hook", "params": {}},
                               api_key=key)[0]
        except (OSError, http.client.HTTPException) as e:
            got = type(e).__name__
        rep.add("post_after", "POST /v1/jobs after release", got)
        for line in log_lines(node, "warning", 2) + log_lines(node, "error", 2):
            rep.note("log: " + line[:300])
        if not alive(node):
            rep.note("nsd at the end: " + exit_text(node))
    finally:
        for c in held:
            c.close()
        keep_log(node, out_dir, "fds")
        node.cleanup()
    return rep


# -- slow ----------------------------------------------------------------------

class SlowClients(threading.Thread):
    """count connections that pipeline GET requests and never read a byte;
    sends as long as nsd takes them (one thread, non-blocking sockets)."""

    def __init__(self, port, count, path):
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                        % path).encode()
        self.chunk = self.request * 64
        self.sent = 0
        self.socks = []
        for _ in range(count):
            s = socket.socket()
            # A small receive buffer: the unread answers back up sooner.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(2.0)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            s.setblocking(False)
            self.socks.append(s)

    def run(self):
        while not self.stopping.is_set() and self.socks:
            _, writable, _ = select.select([], self.socks, [], 0.05)
            for s in writable:
                try:
                    self.sent += s.send(self.chunk)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    self.socks.remove(s)
                    s.close()

    def requests_sent(self):
        return self.sent // len(self.request)

    def close(self):
        self.stopping.set()
        self.join(5)
        for s in self.socks:
            s.close()


def idle_connections(port, count):
    """count keep-alive connections that made one request and then wait."""
    out = []
    for _ in range(count):
        s = socket.socket()
        s.settimeout(2.0)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            s.recv(4096)
            out.append(s)
        except OSError:
            s.close()
    return out


def scenario_slow(opt, out_dir):
    rep = Report("slow", {
        "normal clients": "%d closed-loop POST /v1/jobs" % opt.slow_normal,
        "slow": "%d pipelining GET %s, never reading" % (opt.slow_count,
                                                          opt.slow_path),
        "idle": opt.slow_count, "phase": "%.0f s" % opt.slow_duration})
    node = new_node(harness.Nsd, ["--jobs.max_live=2000"])
    stop = threading.Event()
    posters, slow, idle = [], None, []
    rss = None
    try:
        node.start(timeout=30)
        pid = node.proc.pid
        # A blocked adapter: the jobs stay in the store, so the figures are
        # nsd's HTTP and accept path, not this process's webhook receiver.
        key = setup_hook(node, blocked=True)
        rss = RssWatch(pid)
        rss.start()
        posters = start_posters(node, key, opt.slow_normal, stop, idem=False)
        d = opt.slow_duration

        def phase(name):
            s = Sampler(node).start()
            t0 = time.monotonic()
            time.sleep(d)
            t1 = time.monotonic()
            cpu, _ = s.stop() if alive(node) else (None, None)
            n = sum(1 for p in posters for _, ta, st in p.events
                    if st == 202 and t0 <= ta < t1)
            others = codes_between(posters, t0, t1)
            others.pop("202", None)
            return {"rate": n / (t1 - t0), "cpu": cpu,
                    "rss": rss.peak(t0, t1), "others": others}

        time.sleep(1.0)   # warm up
        alone = phase("alone")
        slow = SlowClients(node.port, opt.slow_count, opt.slow_path)
        slow.start()
        idle = idle_connections(node.port, opt.slow_count)
        rep.add("slow_open", "slow / idle connections opened",
                "%d / %d" % (len(slow.socks), len(idle)))
        time.sleep(1.0)
        beside = phase("beside")
        sent = slow.requests_sent()
        slow.close()
        for s in idle:
            s.close()
        idle = []
        time.sleep(1.0)
        after = phase("after")
        rep.add("alone", "normal clients alone (jobs/s)", alone["rate"])
        rep.add("beside", "beside slow and idle clients (jobs/s)",
                beside["rate"])
        rep.add("ratio", "ratio beside / alone",
                beside["rate"] / alone["rate"] if alone["rate"] else None)
        rep.add("after", "after they left (jobs/s)", after["rate"])
        rep.add("slow_requests", "requests the slow clients got sent in",
                sent)
        rep.add("cpu", "nsd CPU alone / beside / after (% of a core)",
                "%s / %s / %s" % (fmt(alone["cpu"]), fmt(beside["cpu"]),
                                  fmt(after["cpu"])))
        rep.add("rss", "nsd peak RSS alone / beside / after (MiB)",
                "%s / %s / %s" % (alone["rss"], beside["rss"], after["rss"]))
        rep.add("hwm", "nsd VmHWM at the end (MiB)",
                round((status_kib(pid, "VmHWM") or 0) / 1024.0, 1))
        rep.add("other_answers", "normal clients' other answers (beside)",
                beside["others"] or "none")
        if not alive(node):
            rep.note("nsd at the end: " + exit_text(node))
    finally:
        stop.set()
        if slow is not None:
            slow.close()
        for s in idle:
            s.close()
        join_all(posters, 5)
        if rss is not None:
            rss.stopping.set()
        keep_log(node, out_dir, "slow")
        node.cleanup()
    return rep


# -- main ----------------------------------------------------------------------

SCENARIOS = {"kill9": scenario_kill9, "diskfull": scenario_diskfull,
             "fds": scenario_fds, "slow": scenario_slow}


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short",
                                 "HEAD"], capture_output=True, text=True,
                                timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "?"
    return {"date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "host": "%s, %d cpus, %s" % (platform.platform(), os.cpu_count(),
                                         cpu),
            "commit": commit, "nsd": harness.NSD_BIN,
            "command": " ".join(sys.argv)}


def run_limited(fn, opt, out_dir, limit):
    """Runs one scenario under a SIGALRM time limit."""
    def on_alarm(signum, frame):
        raise ScenarioTimeout()
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        got = fn(opt, out_dir)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return got if isinstance(got, list) else [got]


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="",
                    help="comma list of scenarios: kill9,diskfull,fds,slow "
                    "(default all)")
    ap.add_argument("--nsd", default=harness.NSD_BIN,
                    help="the nsd binary (default build/nsd, or $NSD_BIN)")
    ap.add_argument("--json", metavar="FILE",
                    help="also write the results as JSON to FILE ('-': "
                    "stdout, instead of the tables)")
    ap.add_argument("--out", metavar="DIR",
                    help="where nsd's logs are kept (default a new temp dir)")
    ap.add_argument("--time-limit", type=float, default=300,
                    help="seconds a scenario may take at most, then it is "
                    "abandoned and its nsd killed (default 300)")
    ap.add_argument("--seed", type=int, default=None,
                    help="seed of the kill moments (default random)")
    g = ap.add_argument_group("kill9")
    g.add_argument("--kill9-rounds", type=int, default=10,
                   help="kill -9 rounds (default 10)")
    g.add_argument("--kill9-posters", type=int, default=4,
                   help="posting threads, keep-alive (default 4)")
    g.add_argument("--kill9-min", type=float, default=0.5,
                   help="least seconds from ready to kill (default 0.5)")
    g.add_argument("--kill9-max", type=float, default=3.0,
                   help="most seconds from ready to kill (default 3)")
    g.add_argument("--kill9-delivery-ms", type=int, default=20,
                   help="the receiver answers each delivery after this "
                   "(default 20), so that some are under way at a kill")
    g.add_argument("--kill9-window", type=float, default=1.0,
                   help="W: a job delivered in the W s before a kill counts "
                   "as in flight at it (default 1)")
    g.add_argument("--kill9-ready-timeout", type=float, default=60,
                   help="bound on each restart (default 60 s)")
    g.add_argument("--kill9-drain-timeout", type=float, default=120,
                   help="bound on the wait for all deliveries (default 120 s)")
    g = ap.add_argument_group("diskfull (root)")
    g.add_argument("--diskfull-mib", type=int, default=64,
                   help="tmpfs size (default 64 MiB)")
    g.add_argument("--diskfull-posters", type=int, default=2,
                   help="posting threads (default 2)")
    g.add_argument("--diskfull-before", type=float, default=2.0,
                   help="seconds of load before the fill (default 2)")
    g.add_argument("--diskfull-pad", type=int, default=4096,
                   help="bytes of padding in each job's params, so that the "
                   "disk fills in seconds (default 4096)")
    g.add_argument("--diskfull-fail-timeout", type=float, default=60.0,
                   help="bound on the wait for the first failed POST once "
                   "the disk is full (default 60 s)")
    g.add_argument("--diskfull-hold", type=float, default=5.0,
                   help="seconds the disk stays full after the first failed "
                   "POST (default 5)")
    g.add_argument("--diskfull-recover-timeout", type=float, default=30.0,
                   help="bound on the wait for a 202 after free (default 30)")
    g.add_argument("--diskfull-runs", type=int, default=1,
                   help="runs of each variant (default 1; what nsd does on a "
                   "full disk varies from run to run)")
    g.add_argument("--diskfull-variants", default="default,write_buffer_1MiB",
                   help="nsd settings to run it with: default (nsd's "
                   "defaults), write_buffer_1MiB (store.write_buffer_bytes="
                   "1MiB), debug (defaults with log.level=debug: every resume "
                   "attempt in nsd's log); default the first two")
    g = ap.add_argument_group("fds")
    g.add_argument("--fds-limit", type=int, default=256,
                   help="nsd's RLIMIT_NOFILE (default 256)")
    g.add_argument("--fds-extra", type=int, default=100,
                   help="idle connections beyond the limit (default 100)")
    g.add_argument("--fds-window", type=float, default=5.0,
                   help="seconds CPU and log growth are measured (default 5)")
    g = ap.add_argument_group("slow")
    g.add_argument("--slow-normal", type=int, default=4,
                   help="normal clients, closed loop (default 4)")
    g.add_argument("--slow-count", type=int, default=50,
                   help="slow clients, and as many idle ones (default 50)")
    g.add_argument("--slow-duration", type=float, default=10.0,
                   help="seconds of each phase (default 10)")
    g.add_argument("--slow-path", default="/metrics",
                   help="what the slow clients request (default /metrics)")
    opt = ap.parse_args()

    harness.NSD_BIN = os.path.abspath(opt.nsd)
    if not os.access(harness.NSD_BIN, os.X_OK):
        sys.exit("no %s (cmake --build build --target nsd)" % harness.NSD_BIN)
    if opt.seed is None:
        opt.seed = random.randrange(1 << 30)
    only = [s for s in opt.only.split(",") if s] or list(SCENARIOS)
    for s in only:
        if s not in SCENARIOS:
            ap.error("unknown scenario %r" % s)
    out_dir = opt.out or tempfile.mkdtemp(prefix="ns-faults.")
    os.makedirs(out_dir, exist_ok=True)

    def on_term(signum, frame):
        raise Interrupted()
    signal.signal(signal.SIGTERM, on_term)

    info = machine()
    reports = []
    table_out = sys.stderr if opt.json == "-" else sys.stdout
    print("## bench/faults.py — %s\n\n- machine: %s\n- commit: %s\n"
          "- command: `%s`" % (info["date"], info["host"], info["commit"],
                               info["command"]), file=table_out)
    try:
        for name in only:
            log("scenario", name)
            t0 = time.monotonic()
            made = len(Report.made)
            try:
                got = run_limited(SCENARIOS[name], opt, out_dir,
                                  opt.time_limit)
            except ScenarioTimeout:
                # What it had measured so far, marked as such.
                got = Report.made[made:] or [Report(name, {})]
                got[-1].status = "abandoned after %.0f s" % opt.time_limit
            except (harness.NsdError, subprocess.SubprocessError,
                    OSError) as e:
                rep = Report(name, {})
                rep.status = "failed"
                lines = [x for x in str(e).splitlines() if x.strip()]
                rep.note("%s: %s" % (type(e).__name__, " … ".join(
                    x[:300] for x in lines[:1] + lines[-1:][:len(lines) - 1])))
                got = [rep]
            finally:
                clean_leftovers()
            for rep in got:
                rep.params.setdefault("took",
                                      "%.0f s" % (time.monotonic() - t0))
                rep.print_table(table_out)
                reports.append(rep)
    except (KeyboardInterrupt, Interrupted):
        clean_leftovers()
        log("interrupted; every nsd started was killed")
    if opt.json:
        doc = {"machine": info, "logs": out_dir,
               "scenarios": [r.as_json() for r in reports]}
        text = json.dumps(doc, indent=2, ensure_ascii=False)
        if opt.json == "-":
            print(text)
        else:
            with open(opt.json, "w") as f:
                f.write(text + "\n")
    log("nsd's logs are in", out_dir)


if __name__ == "__main__":
    main()
