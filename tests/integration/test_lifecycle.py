"""The nsd process contract: signals, startup failures, settings and their
precedence, slow and idle connections."""

import json
import os
import select
import signal
import socket
import tempfile
import time
import unittest

from nsd import Nsd, clean_up_after, free_port, run_nsd

ALL_KEYS = ["http.listen", "http.threads", "http.max_body_bytes",
            "http.max_header_bytes", "http.read_timeout", "http.write_timeout",
            "http.shutdown_grace", "http.max_connections", "store.path",
            "store.write_buffer_bytes", "store.max_batch_writes",
            "store.max_pending_writes", "admin.token", "log.level",
            "actors.threads"]


def raw_connect(node, timeout=5.0):
    return socket.create_connection(("127.0.0.1", node.port), timeout=timeout)


def http_request(method, path, body=None, token=None, close=False):
    """The bytes of one HTTP/1.1 request."""
    head = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"]
    if token:
        head.append("Authorization: Bearer " + token)
    if close:
        head.append("Connection: close")
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        head.append("Content-Type: application/json")
    head.append("Content-Length: %d" % len(data))
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


def read_response(sock):
    """(status, json body) of one answer; None when the server closed the
    connection in order without answering (a reset raises). A partial answer
    fails."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            if data:
                raise AssertionError("answer cut off: %r" % data)
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("answer body cut off: %r" % data)
        rest += chunk
    return status, (json.loads(rest) if rest else None)


def seconds_until_closed(sock, limit):
    """Seconds until the peer closes `sock` (reads and drops any bytes), or
    None if still open after `limit` seconds."""
    start = time.monotonic()
    while True:
        left = limit - (time.monotonic() - start)
        if left <= 0:
            return None
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return None
        try:
            if not sock.recv(65536):
                return time.monotonic() - start
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start


def body_of_size(size, name):
    """An adapter create body of exactly `size` bytes."""
    spec = {"name": name, "type": "external",
            "params_schema": {"description": ""}}
    pad = size - len(json.dumps(spec))
    assert pad >= 0
    spec["params_schema"]["description"] = "x" * pad
    body = json.dumps(spec).encode()
    assert len(body) == size
    return body


class LifecycleTestCase(unittest.TestCase):

    def node(self, *args, **kw):
        n = Nsd(args, **kw)
        clean_up_after(self, n)
        return n

    def run_bad(self, args, env=None):
        """Runs nsd with `args` on a scratch dir and port; it must not start."""
        tmp = tempfile.TemporaryDirectory(prefix="nsd-test-")
        self.addCleanup(tmp.cleanup)
        base = ["--http.listen=127.0.0.1:%d" % free_port(),
                "--store.path=" + os.path.join(tmp.name, "data"),
                "--admin.token=" + "t" * 40]
        return run_nsd(base + list(args), env=env, timeout=10)

    def assert_config_error(self, res, name):
        self.assertEqual(res.returncode, 2, res.stderr)
        lines = res.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertIn(name, lines[0])
        self.assertEqual(res.stdout, "")


class SignalTests(LifecycleTestCase):

    def test_sigterm_exits_0_promptly_with_idle_and_half_sent_connections(self):
        n = self.node().start()
        n.request("POST", "/v1/clients", {"name": "a", "adapters": "*"})
        idle = raw_connect(n)
        idle.sendall(http_request("GET", "/healthz"))
        self.assertEqual(read_response(idle)[0], 200)
        half = raw_connect(n)
        half.sendall(b"POST /v1/clients HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 100\r\n\r\n{\"na")
        time.sleep(0.2)
        start = time.monotonic()
        n.proc.send_signal(signal.SIGTERM)
        try:
            rc = n.proc.wait(timeout=5)
        except Exception:
            self.fail("nsd still runs 5 s after SIGTERM; log:\n" + n.log())
        self.assertEqual(rc, 0, n.log())
        self.assertLess(time.monotonic() - start, 3.0)
        self.assertIsNotNone(seconds_until_closed(idle, 1))
        self.assertIsNotNone(seconds_until_closed(half, 1))
        idle.close()
        half.close()
        with self.assertRaises(ConnectionRefusedError):
            raw_connect(n, timeout=1)
        n.restart()
        self.assertEqual([c["name"] for c in
                          n.request("GET", "/v1/clients")[2]["clients"]], ["a"])

    def test_sigint_exits_0(self):
        n = self.node().start()
        n.proc.send_signal(signal.SIGINT)
        self.assertEqual(n.proc.wait(timeout=5), 0, n.log())

    def test_requests_in_flight_at_sigterm_are_answered_or_refused(self):
        """A create sent just before SIGTERM is answered (a 201 then holds
        after a restart), or its connection is refused/reset before nsd took
        it; never a 201 that is lost, never a taken request left unanswered."""
        n = self.node().start()
        answered = {}
        dropped = []
        for round_ in range(6):
            socks = [raw_connect(n, timeout=10) for _ in range(6)]
            for i, s in enumerate(socks):
                s.sendall(http_request("POST", "/v1/clients",
                                       {"name": "r%d-%d" % (round_, i),
                                        "adapters": "*"},
                                       token=n.admin_token, close=True))
            n.proc.send_signal(signal.SIGTERM)
            for i, s in enumerate(socks):
                try:
                    res = read_response(s)
                except ConnectionResetError:
                    continue  # refused: never taken by nsd
                finally:
                    s.close()
                if res is None:
                    # Closed in order (FIN) without an answer: nsd had taken
                    # the connection, with the request in its socket buffer.
                    dropped.append("r%d-%d" % (round_, i))
                    continue
                status, body = res
                self.assertIn(status, (201, 503), body)
                if status == 201:
                    answered[body["id"]] = body["name"]
            self.assertEqual(n.proc.wait(timeout=10), 0, n.log())
            n.restart()
            listed = n.request("GET", "/v1/clients")[2]["clients"]
            present = {c["id"]: c["name"] for c in listed}
            for cid, name in answered.items():
                self.assertEqual(present.get(cid), name,
                                 "create answered 201 but lost: " + name)
        self.assertEqual(n.stop(), 0)
        self.assertTrue(answered, "no create was answered at all")
        self.assertEqual(dropped, [], "requests sent before SIGTERM on "
                         "connections nsd had accepted, closed unanswered")


class ThreadNameTests(LifecycleTestCase):

    def test_threads_are_named_for_what_they_do(self):
        # `top -H` and perf name the saturated thread (docs/benchmarks.md).
        node = self.node("--http.threads=3").start()
        names = []
        for tid in os.listdir("/proc/%d/task" % node.proc.pid):
            with open("/proc/%d/task/%s/comm" % (node.proc.pid, tid)) as f:
                names.append(f.read().strip())
        self.assertEqual(names.count("ns.http"), 3, names)
        for name in ("ns.commit", "ns.outbound", "ns.smtp", "ns.adapters"):
            self.assertIn(name, names)


class StartupFailureTests(LifecycleTestCase):

    def test_second_nsd_on_the_same_data_dir_is_refused(self):
        first = self.node().start()
        first.request("POST", "/v1/clients", {"name": "a", "adapters": "*"})
        second = self.node(data_dir=first.data_dir)
        second.spawn()
        try:
            rc = second.proc.wait(timeout=15)
        except Exception:
            self.fail("a second nsd on the same store keeps running:\n"
                      + second.log())
        self.assertGreater(rc, 0, "exit %d (negative: a signal)\n%s"
                           % (rc, second.log()))
        self.assertIn("in use", second.log().lower())
        self.assertIn(first.data_dir, second.log())
        # The first one is unharmed.
        status, _, body = first.request("GET", "/v1/clients")
        self.assertEqual((status, [c["name"] for c in body["clients"]]),
                         (200, ["a"]))
        self.assertEqual(first.stop(), 0)

    def test_listen_port_in_use(self):
        blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(blocker.close)
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        n = self.node(port=port)
        n.spawn()
        try:
            rc = n.proc.wait(timeout=15)
        except Exception:
            self.fail("nsd runs on a port in use:\n" + n.log())
        self.assertGreater(rc, 0, n.log())
        log = n.log()
        self.assertIn("http.listen", log)
        self.assertIn("127.0.0.1:%d" % port, log)
        self.assertIn("in use", log.lower())

    def test_unknown_setting(self):
        res = self.run_bad(["--http.listn=x"])
        self.assert_config_error(res, "http.listn")

    def test_unknown_setting_in_environment(self):
        res = self.run_bad([], env={"NS_HTTP_LISTN": "x"})
        self.assert_config_error(res, "NS_HTTP_LISTN")

    def test_bad_values(self):
        for args, env, name in (
                (["--http.max_body_bytes=lots"], None, "http.max_body_bytes"),
                (["--http.read_timeout=soon"], None, "http.read_timeout"),
                (["--log.level=loud"], None, "log.level"),
                (["--http.listen=nowhere"], None, "http.listen"),
                ([], {"NS_HTTP_THREADS": "abc"}, "http.threads"),
                ([], {"NS_HTTP_MAX_BODY_BYTES": "1 gallon"},
                 "http.max_body_bytes")):
            with self.subTest(args=args, env=env):
                self.assert_config_error(self.run_bad(args, env), name)

    def test_bad_config_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".ini") as f:
            f.write("[http]\nmax_body_bytes = lots\n")
            f.flush()
            self.assert_config_error(self.run_bad(["--config=" + f.name]),
                                     "http.max_body_bytes")
        self.assert_config_error(
            self.run_bad(["--config=/nonexistent/nsd.ini"]),
            "/nonexistent/nsd.ini")

    def test_help_names_every_setting(self):
        res = run_nsd(["--help"])
        self.assertEqual(res.returncode, 0, res.stderr)
        for key in ALL_KEYS:
            self.assertIn("--" + key, res.stdout)
            self.assertIn("NS_" + key.replace(".", "_").upper(), res.stdout)


class SettingsPrecedenceTests(LifecycleTestCase):
    """defaults < config file < environment < command line."""

    def post_size(self, n, size, name):
        status, _, body = n.request("POST", "/v1/adapters",
                                    body_of_size(size, name))
        return status, body

    def config_file(self):
        fd, path = tempfile.mkstemp(suffix=".ini", prefix="nsd-test-")
        with os.fdopen(fd, "w") as f:
            f.write("# test settings\n[http]\nmax_body_bytes = 2KiB\n")
        self.addCleanup(os.unlink, path)
        return path

    def test_config_file(self):
        n = self.node("--config=" + self.config_file()).start()
        self.assertEqual(self.post_size(n, 2048, "a")[0], 201)
        status, body = self.post_size(n, 2049, "b")
        self.assertEqual(status, 413, body)
        self.assertEqual(body["error"]["code"], "payload_too_large")
        self.assertEqual(self.post_size(n, 3072, "c")[0], 413)

    def test_environment_beats_config_file(self):
        n = self.node(env={"NS_CONFIG": self.config_file(),
                           "NS_HTTP_MAX_BODY_BYTES": "4KiB"}).start()
        self.assertEqual(self.post_size(n, 3072, "a")[0], 201)
        self.assertEqual(self.post_size(n, 4096, "b")[0], 201)
        self.assertEqual(self.post_size(n, 4097, "c")[0], 413)

    def test_command_line_beats_environment(self):
        n = self.node("--config=" + self.config_file(),
                      "--http.max_body_bytes=8KiB",
                      env={"NS_HTTP_MAX_BODY_BYTES": "4KiB"}).start()
        self.assertEqual(self.post_size(n, 3072, "a")[0], 201)
        self.assertEqual(self.post_size(n, 5000, "b")[0], 201)
        self.assertEqual(self.post_size(n, 8192, "c")[0], 201)
        self.assertEqual(self.post_size(n, 8193, "d")[0], 413)

    def test_default_limit_is_1MiB(self):
        n = self.node().start()
        self.assertEqual(self.post_size(n, 1 << 20, "a")[0], 201)
        self.assertEqual(self.post_size(n, (1 << 20) + 1, "b")[0], 413)


class SlowClientTests(LifecycleTestCase):

    def setUp(self):
        self.n = self.node("--http.read_timeout=1s").start()

    def test_stalled_request_head_is_closed_while_others_are_served(self):
        slow = raw_connect(self.n, timeout=10)
        self.addCleanup(slow.close)
        slow.sendall(b"POST /v1/clients HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: appli")
        start = time.monotonic()
        # Meanwhile others are served at once.
        for i in range(5):
            t = time.monotonic()
            status, _, body = self.n.request(
                "POST", "/v1/clients", {"name": "c%d" % i, "adapters": "*"})
            self.assertEqual(status, 201, body)
            self.assertLess(time.monotonic() - t, 0.5)
        waited = seconds_until_closed(slow, 3.5 - (time.monotonic() - start))
        self.assertIsNotNone(waited, "stalled connection still open after 3.5 s")
        elapsed = time.monotonic() - start
        self.assertGreater(elapsed, 0.8, "closed before the read timeout")
        self.assertLess(elapsed, 3.0)
        self.assertEqual(self.n.request("GET", "/healthz")[0], 200)

    def test_trickled_request_head_is_closed_too(self):
        """read_timeout bounds the whole request, not the gap between bytes."""
        slow = raw_connect(self.n, timeout=10)
        self.addCleanup(slow.close)
        head = b"GET /v1/clients HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " \
               + b"a" * 100
        start = time.monotonic()
        closed_after = None
        for byte in head:
            try:
                slow.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - start
                break
            if seconds_until_closed(slow, 0.2) is not None:
                closed_after = time.monotonic() - start
                break
        self.assertIsNotNone(closed_after, "trickling client never closed")
        self.assertGreater(closed_after, 0.8)
        self.assertLess(closed_after, 3.0)

    def test_idle_keep_alive_connection_is_closed(self):
        conn = raw_connect(self.n, timeout=10)
        self.addCleanup(conn.close)
        conn.sendall(http_request("GET", "/healthz"))
        self.assertEqual(read_response(conn)[0], 200)
        conn.sendall(http_request("GET", "/readyz"))
        self.assertEqual(read_response(conn)[0], 200)
        waited = seconds_until_closed(conn, 3.5)
        self.assertIsNotNone(waited, "idle connection still open after 3.5 s")
        self.assertGreater(waited, 0.8)
        self.assertLess(waited, 3.0)


if __name__ == "__main__":
    unittest.main()
