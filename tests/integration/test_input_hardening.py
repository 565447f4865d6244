"""JSON and UTF-8 at nsd's HTTP edge (docs/api.md, "Limits of request
bodies"): bodies nested deeper than 64 levels and objects with a repeated
key are refused with 400, Idempotency-Key must be printable UTF-8, and every
body nsd writes is valid UTF-8 JSON, whatever bytes came in. Real nsd, real
receiver, raw sockets where a byte must go out exactly as written."""

import json
import socket
import time
import unittest

import zmq

from nsd import NodeTestCase, wait_until
from receiver import Receiver

MAX_DEPTH = 64          # docs/api.md; the request body itself is level 1
FINAL = {"succeeded", "failed", "expired", "canceled"}
REPLACEMENT = "\ufffd"


def nested(depth):
    """{"a": {"a": ... {} ...}}: `depth` levels of objects."""
    value = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def strict_json(raw):
    """The body as JSON; fails unless it is valid UTF-8 first."""
    return json.loads(raw.decode("utf-8", "strict"))


class InputHardeningTests(NodeTestCase):
    def setUp(self):
        super().setUp()
        self.rx = Receiver()
        self.addCleanup(self.rx.stop)
        self.expect(201, "POST", "/v1/adapters", {
            "name": "hook", "type": "webhook",
            "config": {"url": self.rx.url("/hook")},
            "params_schema": {"type": "object",
                              "properties": {"text": {"type": "string"}}},
            "retry": {"max_attempts": 1}})
        self.key = self.expect(201, "POST", "/v1/clients",
                               {"name": "c", "adapters": "*"})["api_key"]

    # -- helpers -----------------------------------------------------------

    def raw(self, request_line, headers=(), body=b""):
        """Sends one request with the bytes given (no encoding on the way)
        and returns (status, body bytes)."""
        head = request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for h in headers:
            head += h + b"\r\n"
        if body:
            head += b"Content-Type: application/json\r\n"
        head += b"Content-Length: %d\r\n\r\n" % len(body)
        with socket.create_connection(("127.0.0.1", self.node.port),
                                      timeout=10) as s:
            s.sendall(head + body)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), rest

    def key_header(self):
        return b"X-Api-Key: " + self.key.encode()

    def submit(self, params, status=202, **more):
        body = {"adapter": "hook", "params": params}
        body.update(more)
        got, _, parsed = self.call("POST", "/v1/jobs", body, api_key=self.key)
        self.assertEqual(got, status, parsed)
        strict_json(self.node.last_raw)
        return parsed

    def final(self, job_id):
        def done():
            got, _, body = self.call("GET", "/v1/jobs/" + job_id,
                                     api_key=self.key)
            return body if got == 200 and body["state"] in FINAL else None
        body = wait_until(done, 10.0, what="job %s final" % job_id)
        return body, strict_json(self.node.last_raw)

    # -- 4: raw bytes that are not UTF-8 ------------------------------------

    def test_raw_non_utf8_bytes_in_the_path_come_back_as_utf8(self):
        for line, headers in (
                (b"GET /v1/jobs/n1-\xff\xfe HTTP/1.1", [self.key_header()]),
                (b"DELETE /v1/jobs/caf\xe9 HTTP/1.1", [self.key_header()]),
                (b"GET /v1/adapters/\xff HTTP/1.1",
                 [b"Authorization: Bearer " + self.node.admin_token.encode()]),
                (b"GET /v1/no\xc0\xafwhere HTTP/1.1", [])):
            status, raw = self.raw(line, headers)
            self.assertEqual(status, 404, raw)
            body = strict_json(raw)  # raw \xff used to come back as is
            self.assertEqual(body["error"]["code"], "not_found")
            self.assertIn(REPLACEMENT, body["error"]["message"])

    def test_idempotency_key_must_be_printable_utf8(self):
        job = json.dumps({"adapter": "hook", "params": {}}).encode()
        for bad in (b"caf\xe9", b"\xff\xfe", b"a\tb"):
            status, raw = self.raw(b"POST /v1/jobs HTTP/1.1",
                                   [self.key_header(),
                                    b"Idempotency-Key: " + bad], job)
            self.assertEqual(status, 400, raw)
            err = strict_json(raw)["error"]
            self.assertEqual(err["code"], "invalid_field")
            self.assertEqual(err["details"]["field"], "Idempotency-Key")
        self.assertEqual(self.rx.count(), 0)
        # UTF-8 is fine, and comes back the same in GET and in the delivery.
        key = "caf\u00e9-\u20ac"
        status, raw = self.raw(b"POST /v1/jobs HTTP/1.1",
                               [self.key_header(),
                                b"Idempotency-Key: " + key.encode()], job)
        self.assertEqual(status, 202, raw)
        job_id = strict_json(raw)["job_id"]
        shown, _ = self.final(job_id)
        self.assertEqual(shown["idempotency_key"], key)
        [req] = self.rx.wait_for(1)
        self.assertEqual(strict_json(req.raw)["idempotency_key"], key)

    # -- 10: repeated keys ---------------------------------------------------

    def test_repeated_keys_are_refused_in_either_order(self):
        for params in (b'{"text": 5, "text": "ok"}',
                       b'{"text": "ok", "text": 5}',
                       b'{"x": [{"text": "a", "text": "b"}]}'):
            body = b'{"adapter": "hook", "params": ' + params + b"}"
            err = self.expect_error(400, "invalid_field", "POST", "/v1/jobs",
                                    body, api_key=self.key)
            self.assertIn("twice", err["message"])
            self.assertTrue(err["details"]["field"].endswith("text"), err)
        err = self.expect_error(
            400, "invalid_field", "POST", "/v1/adapters",
            b'{"name": "x", "type": "webhook", "type": "external"}')
        self.assertEqual(err["details"]["field"], "type")
        time.sleep(0.2)
        self.assertEqual(self.rx.count(), 0)

    # -- 9: deep params ------------------------------------------------------

    def test_deep_params_are_kept_in_get_and_the_callback(self):
        # 40 levels of params (the body is 41): 33+ used to read back as {}.
        params = nested(40)
        job_id = self.submit(params, callback_url=self.rx.url("/done"))["job_id"]
        shown, _ = self.final(job_id)
        self.assertEqual(shown["state"], "succeeded", shown)
        self.assertEqual(shown["params"], params)
        reqs = self.rx.wait_for(2)
        by_path = {r.path: r for r in reqs}
        self.assertEqual(strict_json(by_path["/hook"].raw)["params"], params)
        self.assertEqual(strict_json(by_path["/done"].raw)["params"], params)
        # The deepest params the limit lets through, then one level more.
        self.submit(nested(MAX_DEPTH - 1))
        err = self.expect_error(400, "malformed_json", "POST", "/v1/jobs",
                                {"adapter": "hook",
                                 "params": nested(MAX_DEPTH)},
                                api_key=self.key)
        self.assertIn(str(MAX_DEPTH), err["message"])

    # -- 8: deep adapter config, and a restart ---------------------------------

    def test_deep_adapter_config_is_refused_and_what_is_accepted_restarts(self):
        # 31 levels used to be answered 201 and then stop nsd from starting
        # ("corrupt adapter record in store").
        for name, depth in (("deep31", 31), ("deepest", MAX_DEPTH - 1)):
            self.expect(201, "POST", "/v1/adapters", {
                "name": name, "type": "webhook",
                "config": {"url": self.rx.url("/x"), "extra": nested(depth - 1)},
                "params_schema": nested(depth)})
        self.assertEqual(self.node.stop(), 0)
        self.node.close_connection()
        self.node.restart()
        for name, depth in (("deep31", 31), ("deepest", MAX_DEPTH - 1)):
            got = self.expect(200, "GET", "/v1/adapters/" + name)
            self.assertEqual(got["config"]["extra"], nested(depth - 1))
            self.assertEqual(got["params_schema"], nested(depth))
        # One level more is refused at the edge, on create and on change.
        err = self.expect_error(400, "malformed_json", "POST", "/v1/adapters", {
            "name": "deeper", "type": "webhook",
            "config": {"url": self.rx.url("/x"), "extra": nested(MAX_DEPTH - 1)}})
        self.assertIn(str(MAX_DEPTH), err["message"])
        self.expect_error(400, "malformed_json", "PATCH", "/v1/adapters/hook",
                          {"params_schema": nested(MAX_DEPTH)})
        self.expect_error(404, "not_found", "GET", "/v1/adapters/deeper")

    # -- 13: propertyNames -------------------------------------------------------

    def test_property_names_of_the_schema_are_enforced(self):
        self.expect(201, "POST", "/v1/adapters", {
            "name": "short", "type": "webhook",
            "config": {"url": self.rx.url("/short")},
            "params_schema": {"propertyNames": {"maxLength": 3}}})
        got, _, body = self.call("POST", "/v1/jobs", {
            "adapter": "short", "params": {"foo": 1, "foobar": 2}},
            api_key=self.key)
        self.assertEqual(got, 422, body)
        self.assertEqual(body["error"]["code"], "invalid_params")
        self.assertTrue(body["error"]["details"]["errors"], body)
        self.expect(202, "POST", "/v1/jobs",
                    {"adapter": "short", "params": {"f": 1, "foo": 2}},
                    api_key=self.key)

    # -- 3: cuts inside a character ----------------------------------------------

    def test_receiver_answer_in_last_error_is_cut_on_a_character(self):
        # 199 bytes, then a 2-byte character across the 200-byte excerpt,
        # then bytes that are not UTF-8 at all.
        self.rx.queue((400, {}, b"x" * 199 + "\u00e9".encode() + b"\xff" * 9))
        job_id = self.submit({"text": "hi"})["job_id"]
        shown, _ = self.final(job_id)
        self.assertEqual(shown["state"], "failed", shown)
        self.assertIn("x" * 199, shown["last_error"])
        self.assertNotIn(REPLACEMENT, shown["last_error"])
        self.rx.queue((400, {}, b"bad \xff answer"))
        job_id = self.submit({"text": "hi"})["job_id"]
        shown, _ = self.final(job_id)
        self.assertIn("bad " + REPLACEMENT + " answer", shown["last_error"])


class ExternalTextTests(NodeTestCase):
    """An external adapter's instance name (cut at 200 bytes) and result
    message (cut at 2000) reach GET as valid UTF-8."""

    def setUp(self):
        super().setUp()
        self.ctx = zmq.Context()
        self.addCleanup(self.ctx.destroy, 0)
        self.adapter_key = self.expect(201, "POST", "/v1/adapters", {
            "name": "relay", "type": "external", "config": {},
            "retry": {"max_attempts": 1}})["api_key"]
        self.key = self.expect(201, "POST", "/v1/clients",
                               {"name": "c", "adapters": "*"})["api_key"]

    def test_name_and_message_are_cut_on_a_character(self):
        sock = self.ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(self.node.adapter_endpoint)
        self.addCleanup(sock.close)
        name = "n" * 199 + "\u20ac"   # the euro sign spans bytes 199..201
        sock.send_multipart([b"hello", json.dumps(
            {"protocol": 1, "key": self.adapter_key, "credit": 1,
             "name": name}).encode()])

        def recv(kind):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if sock.poll(100):
                    k, body = sock.recv_multipart()
                    if k.decode() == kind:
                        return json.loads(body)
            raise AssertionError("no %s frame" % kind)

        recv("welcome")
        got = self.expect(200, "GET", "/v1/adapters/relay")
        strict_json(self.node.last_raw)
        self.assertEqual([i["name"] for i in got["instances"]], ["n" * 199])
        job_id = self.expect(202, "POST", "/v1/jobs",
                             {"adapter": "relay", "params": {}},
                             api_key=self.key)["job_id"]
        job = recv("job")
        self.assertEqual(job["job_id"], job_id)
        message = "m" * 1999 + "\u00e9" + "tail"
        sock.send_multipart([b"result", json.dumps(
            {"job_id": job_id, "outcome": "failed", "retryable": False,
             "message": message}).encode()])

        def failed():
            got, _, body = self.call("GET", "/v1/jobs/" + job_id,
                                     api_key=self.key)
            return body if body and body["state"] == "failed" else None
        wait_until(failed, 5.0, what="job failed")
        shown = strict_json(self.node.last_raw)
        self.assertIn("m" * 1999, shown["last_error"])
        self.assertNotIn("\u00e9", shown["last_error"])
        self.assertNotIn(REPLACEMENT, shown["last_error"])


if __name__ == "__main__":
    unittest.main()
