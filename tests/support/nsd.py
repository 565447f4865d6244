"""Test harness: runs the real nsd binary on a loopback port.

    node = Nsd()                     # fresh data dir, random admin token
    node.start()                     # waits for GET /readyz == 200
    status, headers, body = node.request("POST", "/v1/clients", {"name": "a", "adapters": "*"})
    node.kill9(); node.restart()     # same data dir, same port if still free
    node.cleanup()                   # stops the process, removes the temp dir

The binary comes from $NSD_BIN (ctest sets it), else build/nsd of the repo.
"""

import fcntl
import glob
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

NSD_BIN = os.environ.get("NSD_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "nsd")

READY_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0
REQUEST_TIMEOUT = 10.0

# Sentinel: "send the node's admin token" (the default of request()).
ADMIN = object()
# Header value meaning "do not send this header at all".
OMIT = object()


# Ports handed out by free_port() stay reserved (an flock on a file in
# PORT_LOCK_DIR) for as long as this process lives, so parallel test
# processes never pick the same one.
PORT_LOCK_DIR = os.path.join(tempfile.gettempdir(), "ns-test-ports")
_reserved_ports = []  # the locked files, kept open


def _port_range():
    """Ports below (or above) the kernel's ephemeral range: an outgoing
    connection never takes one of those between our pick and nsd's bind.
    (Port 0 would give an ephemeral port, which any connect() may take.)"""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    if low - 10000 >= 2000:
        return 10000, low - 1
    return high + 1, 65535


def free_port():
    """A loopback port nobody listens on now and no other test process
    will pick: outside the ephemeral range and reserved across processes."""
    os.makedirs(PORT_LOCK_DIR, exist_ok=True)
    first, last = _port_range()
    for _ in range(1000):
        port = random.randint(first, last)
        lock = open(os.path.join(PORT_LOCK_DIR, str(port)), "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        if not port_free(port):
            lock.close()
            continue
        _reserved_ports.append(lock)
        return port
    raise NsdError("no free loopback port in %d-%d" % (first, last))


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def clean_env(extra=None):
    """The current environment without NS_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NS_")}
    env.update(extra or {})
    return env


def run_nsd(args, env=None, timeout=15.0):
    """Runs nsd to completion (for --help and startup failures)."""
    return subprocess.run([NSD_BIN] + list(args), env=clean_env(env),
                          stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


# The tests' receivers listen on loopback, which nsd refuses as a callback
# target by default (issue 15: SSRF): every node allows it, unless a test
# passes callback_allow=None to see nsd's own default policy.
TEST_CALLBACK_ALLOW = "127.0.0.0/8,::1/128"


class NsdError(AssertionError):
    pass


class Nsd:
    def __init__(self, args=(), env=None, admin_token=ADMIN, data_dir=None,
                 port=None, callback_allow=TEST_CALLBACK_ALLOW):
        """args: extra "--section.key=value" strings. admin_token: ADMIN for a
        fresh random one, None to pass no --admin.token, or a string.
        callback_allow: --security.callback_allow, None for nsd's default."""
        self.tmp = tempfile.mkdtemp(prefix="nsd-test-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.port = port or free_port()
        # Every node gets its own adapter protocol port (tests run in parallel).
        self.adapter_port = free_port()
        if admin_token is ADMIN:
            admin_token = "adm_" + secrets.token_urlsafe(32)
        # None: nsd makes its own, read from <data>/admin.token once ready.
        self.token_arg = admin_token
        self.admin_token = admin_token
        self.callback_allow = callback_allow
        self.extra_args = list(args)
        self.env = dict(env or {})
        self.proc = None
        self.starts = 0
        self.log_path = None
        self._conn = None
        self.last_raw = b""  # body bytes of the last request() answer

    # -- process ---------------------------------------------------------------

    def argv(self):
        argv = [NSD_BIN, "--http.listen=127.0.0.1:%d" % self.port,
                "--adapters.listen=" + self.adapter_endpoint,
                "--store.path=" + self.data_dir]
        if self.token_arg is not None:
            argv.append("--admin.token=" + self.token_arg)
        if self.callback_allow is not None:
            argv.append("--security.callback_allow=" + self.callback_allow)
        return argv + self.extra_args

    def spawn(self):
        """Starts the process without waiting for readiness."""
        self.starts += 1
        self.log_path = os.path.join(self.tmp, "nsd-%d.log" % self.starts)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.argv(), env=clean_env(self.env),
                                         stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        return self.proc

    def start(self, timeout=READY_TIMEOUT):
        self.spawn()
        self.wait_ready(timeout)
        if self.token_arg is None:
            path = os.path.join(self.data_dir, "admin.token")
            if os.path.exists(path):
                with open(path) as f:
                    self.admin_token = f.read().strip()
        return self

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise NsdError("nsd exited with %s before it was ready; log:\n%s"
                               % (self.proc.returncode, self.log()))
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                  timeout=1.0)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.05)
        raise NsdError("nsd not ready after %.0f s; log:\n%s"
                       % (timeout, self.log()))

    def log(self):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def _reap(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.close_connection()

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, wait; returns the exit code (negative: killed by signal)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self._reap(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self._reap(5)
            raise NsdError("nsd did not stop within %.0f s of SIGTERM; log:\n%s"
                           % (timeout, self.log()))

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self._reap(STOP_TIMEOUT)

    @property
    def adapter_endpoint(self):
        """The ZeroMQ endpoint external adapter instances connect to."""
        return "tcp://127.0.0.1:%d" % self.adapter_port

    def restart(self, timeout=READY_TIMEOUT):
        """Starts again on the same data dir (after stop() or kill9())."""
        if self.proc is not None and self.proc.poll() is None:
            raise NsdError("restart() while nsd still runs")
        if not port_free(self.port):
            self.port = free_port()
        # The adapter port stays: running instances reconnect to it (ZeroMQ
        # binds with SO_REUSEADDR, so TIME_WAIT does not stand in the way).
        return self.start(timeout)

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self._reap(STOP_TIMEOUT)
        self.close_connection()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- HTTP ------------------------------------------------------------------

    def connect(self, timeout=REQUEST_TIMEOUT):
        """A new connection of the caller's own."""
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)

    def close_connection(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method, path, body=None, headers=None, token=ADMIN,
                api_key=None, conn=None):
        """Returns (status, headers, json-or-None) of one request.

        body: dict/list (sent as JSON), bytes or str. Content-Type defaults to
        application/json when there is a body; headers={"Content-Type": OMIT}
        sends none. token: ADMIN (default; none when api_key is given), None,
        or a string sent as "Authorization: Bearer <token>"."""
        hdrs = {}
        if body is not None:
            hdrs["Content-Type"] = "application/json"
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode("utf-8")
        if token is ADMIN:
            token = None if api_key is not None else self.admin_token
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        if api_key is not None:
            hdrs["X-Api-Key"] = api_key
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not OMIT}

        own = conn is None
        for attempt in (1, 2):
            if own and self._conn is None:
                self._conn = self.connect()
                fresh = True
            else:
                fresh = not own or self._conn.sock is None
            c = self._conn if own else conn
            try:
                c.request(method, path, body=body, headers=hdrs)
                resp = c.getresponse()
                raw = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError, http.client.CannotSendRequest,
                    http.client.ResponseNotReady):
                # A kept-alive connection the server had closed: the request
                # never reached it, so once more on a new connection.
                c.close()
                if own:
                    self._conn = None
                if fresh or attempt == 2 or not own:
                    raise
        self.last_raw = raw
        parsed = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        return resp.status, resp.headers, parsed


def assert_error(test, result, status, code):
    """Checks an error answer: status, and the body {"error": {code, message,
    details}} with exactly those keys."""
    got_status, _, body = result
    test.assertEqual(got_status, status, "body: %r" % (body,))
    test.assertIsInstance(body, dict, "error body is not a JSON object")
    test.assertEqual(set(body), {"error"}, body)
    err = body["error"]
    test.assertEqual(set(err), {"code", "message", "details"}, body)
    test.assertEqual(err["code"], code, body)
    test.assertIsInstance(err["message"], str)
    test.assertTrue(err["message"], body)
    test.assertIsInstance(err["details"], dict, body)
    return err


def wait_until(fn, timeout=5.0, interval=0.02, what="condition"):
    """Polls fn() every `interval` s until it returns something truthy and
    returns that; fails (AssertionError) after `timeout` s, naming the last
    value fn() returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("%s not met within %.1f s (last: %r)"
                                 % (what, timeout, value))
        time.sleep(interval)


def rfc3339(epoch_s):
    """Epoch seconds -> "2026-11-23T10:00:00.123Z"."""
    ms = int(round(epoch_s * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
        ".%03dZ" % (ms % 1000)


def parse_rfc3339(text):
    """"2026-11-23T10:00:00.123Z" (fraction optional) -> epoch seconds."""
    import calendar
    import re
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z$",
                 text)
    if not m:
        raise ValueError("not an RFC 3339 UTC time: %r" % (text,))
    whole = calendar.timegm(tuple(int(g) for g in m.groups()[:6]))
    return whole + (float(m.group(7)) if m.group(7) else 0.0)


def clean_up_after(test, node):
    """Registers `node`'s cleanup on `test`; if the test fails, the tail of
    the node's log goes to stderr first (ctest shows it), since cleanup
    removes the log with the temp dir."""
    test.addCleanup(node.cleanup)
    test.addCleanup(_show_log_if_failed, test, node)


def _show_log_if_failed(test, node):
    # The result already holds the test's failure when its cleanups run.
    result = getattr(getattr(test, "_outcome", None), "result", None)
    failed = [t for t, _ in getattr(result, "failures", [])
              + getattr(result, "errors", []) if t is test]
    if not failed:
        return
    for path in sorted(glob.glob(os.path.join(node.tmp, "nsd-*.log"))):
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()[-60:]
        sys.stderr.write("\n--- %s failed: the last %d lines of %s ---\n%s\n"
                         "--- end of log ---\n"
                         % (test.id(), len(lines), os.path.basename(path),
                            "\n".join(lines)))


class NodeTestCase(unittest.TestCase):
    """A TestCase with a fresh nsd per test (self.node); `nsd_args` adds
    settings."""

    nsd_args = ()

    def setUp(self):
        self.node = Nsd(self.nsd_args)
        clean_up_after(self, self.node)
        self.node.start()

    def call(self, method, path, body=None, **kw):
        return self.node.request(method, path, body, **kw)

    def expect(self, status, method, path, body=None, **kw):
        """The request must answer `status`; returns the parsed body."""
        got, _, parsed = self.node.request(method, path, body, **kw)
        self.assertEqual(got, status, "%s %s -> %r" % (method, path, parsed))
        return parsed

    def expect_error(self, status, code, method, path, body=None, **kw):
        """The request must fail with `status` and error `code`; returns the
        error object."""
        res = self.node.request(method, path, body, **kw)
        return assert_error(self, res, status, code)
