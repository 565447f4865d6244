"""A programmable HTTP/1.1 receiver on loopback, for webhook deliveries and
result callbacks.

    rx = Receiver()                       # listens on 127.0.0.1:<random>
    rx.url("/hook")                       # "http://127.0.0.1:<port>/hook"
    rx.queue((500, {}, b"oops"), 200)     # answers the next requests in order
    rx.respond = lambda req: (429, {"Retry-After": "1"}, b"", 0)
    reqs = rx.wait_for(2, timeout=5)      # the first 2 requests (or fail)
    rx.requests_for(job_id)               # requests whose X-NS-Job-Id is job_id
    rx.max_in_flight                      # concurrency high-water mark
    rx.stop()

A response is a status int or a tuple (status, headers, body, delay_s) of
which any tail may be left out. body: bytes, str, or a dict/list (sent as
JSON); delay_s: seconds to hold the request before answering, or a
threading.Event to wait for. stop() releases every held request.
Answers come from the queue first, then from `respond` (a function of the
Request returning a response or None), then the default 200 {"ok": true}.
"""

import http.server
import json
import socket
import socketserver
import threading
import time
from collections import deque

DEFAULT_RESPONSE = (200, {}, {"ok": True}, 0)


class Request:
    """One request as it arrived."""

    def __init__(self, method, path, headers, raw, seq):
        self.method = method
        self.path = path
        self.headers = headers          # email.message.Message: case-insensitive
        self.raw = raw                  # body bytes exactly as sent
        self.seq = seq                  # arrival order, from 0
        self.time = time.monotonic()    # arrival (monotonic clock)
        self.wall = time.time()         # arrival (wall clock)
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    @property
    def job_id(self):
        hdr = self.headers.get("X-NS-Job-Id")
        if hdr is not None:
            return hdr
        if isinstance(self.json, dict):
            return self.json.get("job_id")
        return None

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def __repr__(self):
        return "<%s %s job=%s body=%r>" % (self.method, self.path, self.job_id,
                                         self.raw[:200])


def _normalize(resp):
    if resp is None:
        resp = DEFAULT_RESPONSE
    if isinstance(resp, int):
        resp = (resp,)
    resp = tuple(resp)
    status = resp[0]
    headers = resp[1] if len(resp) > 1 else {}
    if len(resp) > 2:
        body = resp[2]
    else:
        body = {"ok": True} if 200 <= status < 300 else b""
    delay = resp[3] if len(resp) > 3 else 0
    return status, dict(headers or {}), body, delay


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False   # stop() must not wait for held or idle handlers
    allow_reuse_address = True
    # nsd opens up to `concurrency` connections at once; with the default
    # backlog of 5, dropped SYNs come back only after a 1 s retransmit.
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        # A peer that resets or vanishes (nsd killed -9) is expected here.
        import sys
        if not isinstance(sys.exc_info()[1], (OSError, ValueError)):
            super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive
    timeout = 60                    # an idle keep-alive connection at most

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.receiver._track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.receiver._track(self.connection, False)

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        rx = self.server.receiver
        raw = self._read_body()
        req = rx._arrive(self.command, self.path, self.headers, raw)
        left = False
        try:
            status, headers, body, delay = rx._answer_for(req)
            if isinstance(delay, threading.Event):
                rx._wait_released(delay)
            elif delay:
                rx._stopping.wait(delay)
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                headers.setdefault("Content-Type", "application/json")
            elif isinstance(body, str):
                body = body.encode()
            # No longer "in flight" from here on: once the answer is out the
            # caller may start its next request before this thread runs on.
            rx._leave(req)
            left = True
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, str(v))
                self.send_header("Content-Length", str(len(body)))
                # Head and body in one write: no Nagle/delayed-ACK stall.
                self._headers_buffer.append(b"\r\n")
                self._headers_buffer.append(body)
                self.flush_headers()
                self.wfile.flush()
            except OSError:
                self.close_connection = True   # the caller went away
        finally:
            if not left:
                rx._leave(req)

    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _handle


class Receiver:
    def __init__(self, respond=None):
        self.respond = respond
        self.requests = []
        self.errors = []          # (request, exception) of a failing script
        self.max_in_flight = 0
        self.in_flight = 0
        self._responses = deque()
        self._conns = set()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    # -- script ------------------------------------------------------------------

    def queue(self, *responses):
        """The next requests get these answers, in order."""
        with self._cond:
            self._responses.extend(responses)

    def _answer_for(self, req):
        with self._cond:
            if self._responses:
                return _normalize(self._responses.popleft())
        fn = self.respond
        try:
            return _normalize(fn(req) if fn else None)
        except Exception as e:   # a broken script: say so, answer 500
            with self._cond:
                self.errors.append((req, e))
            return (500, {}, ("receiver script failed: %r" % e).encode(), 0)

    def _wait_released(self, event):
        while not event.is_set() and not self._stopping.is_set():
            event.wait(0.05)

    # -- records -----------------------------------------------------------------

    def _arrive(self, method, path, headers, raw):
        with self._cond:
            req = Request(method, path, headers, raw, len(self.requests))
            self.requests.append(req)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._cond.notify_all()
            return req

    def _track(self, sock, add):
        with self._cond:
            if add:
                self._conns.add(sock)
            else:
                self._conns.discard(sock)

    def _leave(self, req):
        with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    def all(self, path=None):
        with self._cond:
            return [r for r in self.requests if path is None or r.path == path]

    def count(self, path=None):
        return len(self.all(path))

    def requests_for(self, job_id, path=None):
        return [r for r in self.all(path) if r.job_id == job_id]

    def wait_for(self, n, timeout=5.0, pred=None, path=None):
        """Waits until at least n requests (matching pred/path) arrived;
        returns the matching ones. Fails (AssertionError) on timeout."""
        def matching():
            return [r for r in self.requests
                    if (path is None or r.path == path)
                    and (pred is None or pred(r))]
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = matching()
                if len(got) >= n:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "receiver: %d of %d requests after %.1f s: %r"
                        % (len(got), n, timeout, got[:10]))
                self._cond.wait(min(left, 0.05))

    def wait_idle(self, timeout=5.0):
        """Waits until no request is being answered."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("receiver: %d requests still held"
                                         % self.in_flight)
                self._cond.wait(min(left, 0.05))

    def clear(self):
        with self._cond:
            self.requests = []
            self.max_in_flight = self.in_flight

    def stop(self):
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        with self._cond:
            conns = list(self._conns)
        for sock in conns:   # idle keep-alive connections
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
