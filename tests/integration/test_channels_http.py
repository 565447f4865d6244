"""Built-in HTTP channels (telegram, sms, mattermost), message templates and
per-adapter rate limits, against local servers that answer as the providers
document: the Telegram Bot API (sendMessage, {"ok", "description",
"parameters": {"retry_after"}}), a generic SMS gateway, Mattermost incoming
webhooks ({"id", "message", "status_code"} errors)."""

import http.server
import json
import ssl
import tempfile
import threading
import time
import unittest

from nsd import NodeTestCase, wait_until
from receiver import Receiver
from tls_cert import make_cert

FAST_RETRY = {"max_attempts": 3, "initial_backoff_ms": 50,
              "max_backoff_ms": 200}
TOKEN = "123456:ABC-secret-token"


class ChannelTestCase(NodeTestCase):

    def setUp(self):
        super().setUp()
        self.rx = Receiver()
        self.addCleanup(self.rx.stop)

    def adapter(self, name, type_, config, retry=None, **more):
        spec = {"name": name, "type": type_, "config": config,
                "retry": retry or FAST_RETRY}
        spec.update(more)
        return self.expect(201, "POST", "/v1/adapters", spec)

    def key(self):
        return self.expect(201, "POST", "/v1/clients",
                           {"name": "app", "adapters": "*"})["api_key"]

    def submit(self, key, adapter, params, status=202, **more):
        body = {"adapter": adapter, "params": params}
        body.update(more)
        got, _, parsed = self.call("POST", "/v1/jobs", body, api_key=key)
        self.assertEqual(got, status, parsed)
        return parsed

    def wait_final(self, key, job_id, timeout=8.0):
        def final():
            _, _, job = self.call("GET", "/v1/jobs/" + job_id, api_key=key)
            return job if job["state"] in (
                "succeeded", "failed", "expired", "canceled") else None
        return wait_until(final, timeout, what="job %s final" % job_id)


class Telegram(ChannelTestCase):

    def bot(self, **config):
        cfg = {"bot_token": TOKEN, "api_base": self.rx.url("")}
        cfg.update(config)
        return self.adapter("tg", "telegram", cfg)

    def test_send_message_reaches_the_bot_api(self):
        shown = self.bot()
        self.assertEqual(shown["config"]["bot_token"], "***")
        key = self.key()
        self.rx.respond = lambda req: (200, {}, {
            "ok": True, "result": {"message_id": 7, "chat": {"id": 42},
                                   "date": 0, "text": "hi"}})
        job = self.submit(key, "tg", {"chat_id": 42, "text": "Grüße <b>x</b>",
                                      "parse_mode": "HTML",
                                      "disable_notification": True})
        self.assertEqual(self.wait_final(key, job["job_id"])["state"],
                         "succeeded")
        req = self.rx.wait_for(1)[0]
        self.assertEqual(req.method, "POST")
        self.assertEqual(req.path, "/bot%s/sendMessage" % TOKEN)
        self.assertEqual(req.header("Content-Type"), "application/json")
        self.assertEqual(req.json, {"chat_id": 42, "text": "Grüße <b>x</b>",
                                    "parse_mode": "HTML",
                                    "disable_notification": True})

    def test_429_waits_retry_after_then_succeeds(self):
        self.bot()
        key = self.key()
        self.rx.queue((429, {}, {"ok": False, "error_code": 429,
                                 "description": "Too Many Requests: retry "
                                                "after 1",
                                 "parameters": {"retry_after": 1}}))
        job = self.submit(key, "tg", {"chat_id": "@ops", "text": "x"})
        done = self.wait_final(key, job["job_id"])
        self.assertEqual(done["state"], "succeeded")
        self.assertEqual(done["attempts"], 2)
        first, second = self.rx.wait_for(2)[:2]
        # retry_after (1 s) wins over the adapter's 50 ms backoff.
        self.assertGreaterEqual(second.time - first.time, 0.95)

    def test_400_and_403_fail_with_telegrams_description(self):
        self.bot()
        key = self.key()
        for status, text in ((400, "Bad Request: chat not found"),
                             (403, "Forbidden: bot was blocked by the user")):
            self.rx.queue((status, {}, {"ok": False, "error_code": status,
                                        "description": text}))
            job = self.submit(key, "tg", {"chat_id": 1, "text": "x"})
            done = self.wait_final(key, job["job_id"])
            self.assertEqual(done["state"], "failed")
            self.assertEqual(done["attempts"], 1)
            self.assertIn(text, done["last_error"])
            self.assertNotIn(TOKEN, done["last_error"])

    def test_missing_chat_id_is_422(self):
        self.bot()
        key = self.key()
        got, _, body = self.call("POST", "/v1/jobs", {
            "adapter": "tg", "params": {"text": "x"}}, api_key=key)
        self.assertEqual(got, 422, body)
        self.assertEqual(body["error"]["details"]["field"], "params.chat_id")

    def test_untrusted_certificate_is_a_permanent_failure(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        cert, keyfile = make_cert(tmp.name)
        server = http.server.HTTPServer(("127.0.0.1", 0),
                                        http.server.BaseHTTPRequestHandler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, keyfile)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.adapter("tg", "telegram", {
            "bot_token": TOKEN,
            "api_base": "https://127.0.0.1:%d" % server.server_address[1]})
        key = self.key()
        job = self.submit(key, "tg", {"chat_id": 1, "text": "x"})
        done = self.wait_final(key, job["job_id"])
        self.assertEqual(done["state"], "failed")
        self.assertEqual(done["attempts"], 1)
        self.assertIn("certificate verify failed", done["last_error"])


class Sms(ChannelTestCase):

    def test_json_gateway_gets_number_and_text(self):
        self.adapter("sms", "sms", {
            "url": self.rx.url("/api/send"),
            "headers": {"Authorization": "Bearer gw-secret"},
            "body_template": '{"from":"NS","to":"{{to}}","body":"{{text}}"}',
            "success_field": "status", "success_value": "queued"})
        shown = self.expect(200, "GET", "/v1/adapters/sms")
        self.assertEqual(shown["config"]["headers"]["Authorization"], "***")
        key = self.key()
        self.rx.queue((200, {}, {"status": "queued", "id": "m1"}),
                      (200, {}, {"status": "rejected"}))
        ok = self.submit(key, "sms", {"to": "+4915112345678",
                                      "text": 'Code "42" & ü'})
        self.assertEqual(self.wait_final(key, ok["job_id"])["state"],
                         "succeeded")
        req = self.rx.wait_for(1)[0]
        self.assertEqual(req.path, "/api/send")
        self.assertEqual(req.header("Authorization"), "Bearer gw-secret")
        self.assertEqual(req.json, {"from": "NS", "to": "+4915112345678",
                                    "body": 'Code "42" & ü'})
        bad = self.submit(key, "sms", {"to": "+4915112345678", "text": "x"})
        done = self.wait_final(key, bad["job_id"])
        self.assertEqual(done["state"], "failed")
        self.assertIn("rejected", done["last_error"])

    def test_form_gateway_and_retry_on_5xx(self):
        self.adapter("sms", "sms", {
            "url": self.rx.url("/send"),
            "content_type": "application/x-www-form-urlencoded",
            "body_template": "to={{to}}&msg={{text}}"})
        key = self.key()
        self.rx.queue(503)
        job = self.submit(key, "sms", {"to": "+12025550123", "text": "a&b c"})
        done = self.wait_final(key, job["job_id"])
        self.assertEqual(done["state"], "succeeded")
        self.assertEqual(done["attempts"], 2)
        self.assertEqual(self.rx.wait_for(2)[1].raw,
                         b"to=%2B12025550123&msg=a%26b%20c")

    def test_numbers_must_be_e164(self):
        self.adapter("sms", "sms", {"url": self.rx.url("/send")})
        key = self.key()
        for bad in ("015112345678", "+0151", "+49 151 1234", 4915112345678):
            got, _, body = self.call("POST", "/v1/jobs", {
                "adapter": "sms", "params": {"to": bad, "text": "x"}},
                api_key=key)
            self.assertEqual(got, 422, (bad, body))
            self.assertEqual(body["error"]["details"]["field"], "params.to")
        self.assertEqual(self.rx.count(), 0)


class Mattermost(ChannelTestCase):

    def test_incoming_webhook_payload(self):
        self.adapter("mm", "mattermost", {"url": self.rx.url("/hooks/abc"),
                                          "username": "ns-bot"})
        key = self.key()
        self.rx.respond = lambda req: (200, {"Content-Type": "text/plain"},
                                       b"ok")
        att = [{"fallback": "f", "color": "#FF0000", "title": "Disk",
                "fields": [{"short": True, "title": "host", "value": "db1"}]}]
        job = self.submit(key, "mm", {"text": "#### Alert", "channel": "ops",
                                      "icon_emoji": "fire",
                                      "attachments": att})
        self.assertEqual(self.wait_final(key, job["job_id"])["state"],
                         "succeeded")
        req = self.rx.wait_for(1)[0]
        self.assertEqual(req.path, "/hooks/abc")
        self.assertEqual(req.json, {"text": "#### Alert", "channel": "ops",
                                    "username": "ns-bot", "icon_emoji": "fire",
                                    "attachments": att})

    def test_errors_use_mattermosts_message(self):
        self.adapter("mm", "mattermost", {"url": self.rx.url("/hooks/abc")})
        key = self.key()
        self.rx.queue((400, {}, {"id": "web.incoming_webhook.channel.app_error",
                                 "message": "Couldn't find the channel.",
                                 "detailed_error": "", "request_id": "r",
                                 "status_code": 400}))
        job = self.submit(key, "mm", {"text": "x", "channel": "nope"})
        done = self.wait_final(key, job["job_id"])
        self.assertEqual(done["state"], "failed")
        self.assertIn("Couldn't find the channel.", done["last_error"])

    def test_rate_limit_paces_deliveries(self):
        self.adapter("mm", "mattermost", {"url": self.rx.url("/hooks/abc"),
                                          "rate_limit": 5})
        key = self.key()
        for i in range(6):
            self.submit(key, "mm", {"text": "n%d" % i})
        reqs = self.rx.wait_for(6, timeout=8)
        times = sorted(r.time for r in reqs)
        # 5 per second: 6 messages need at least 5 gaps of 200 ms.
        self.assertGreaterEqual(times[-1] - times[0], 0.9)
        for a, b in zip(times, times[1:]):
            self.assertGreaterEqual(b - a, 0.15)

    def test_without_rate_limit_nothing_waits(self):
        self.adapter("mm", "mattermost", {"url": self.rx.url("/hooks/abc")})
        key = self.key()
        for i in range(6):
            self.submit(key, "mm", {"text": "n%d" % i})
        reqs = self.rx.wait_for(6, timeout=8)
        times = sorted(r.time for r in reqs)
        self.assertLess(times[-1] - times[0], 0.5)


class Templates(ChannelTestCase):

    def setUp(self):
        super().setUp()
        self.adapter("mm", "mattermost", {"url": self.rx.url("/hooks/abc")})
        self.base = "/v1/adapters/mm/templates"

    def test_create_list_get_update_delete_versions(self):
        t = self.expect(201, "POST", self.base, {
            "name": "alert", "parts": {"text": "Disk {{host}} at {{pct}}%"}})
        self.assertEqual(t["version"], 1)
        self.assertEqual(t["parts"], {"text": "Disk {{host}} at {{pct}}%"})
        self.expect_error(409, "conflict", "POST", self.base, {
            "name": "alert", "parts": {"text": "x"}})
        t2 = self.expect(200, "PUT", self.base + "/alert",
                         {"parts": {"text": "v2 {{host}}"}})
        self.assertEqual(t2["version"], 2)
        got = self.expect(200, "GET", self.base + "/alert")
        self.assertEqual(got["version"], 2)
        self.assertEqual(got["versions"], [1, 2])
        old = self.expect(200, "GET", self.base + "/alert?version=1")
        self.assertEqual(old["parts"]["text"], "Disk {{host}} at {{pct}}%")
        listed = self.expect(200, "GET", self.base)["templates"]
        self.assertEqual([(x["name"], x["version"]) for x in listed],
                         [("alert", 2)])
        # Survives a restart (RocksDB), versions included.
        self.node.stop()
        self.node.restart()
        self.assertEqual(
            self.expect(200, "GET", self.base + "/alert")["versions"], [1, 2])
        self.expect(204, "DELETE", self.base + "/alert")
        self.expect_error(404, "not_found", "GET", self.base + "/alert")
        self.expect_error(404, "not_found", "PUT", self.base + "/alert",
                          {"parts": {"text": "x"}})
        self.expect_error(404, "not_found", "GET",
                          "/v1/adapters/nope/templates")

    def test_deleting_the_adapter_deletes_its_templates(self):
        self.expect(201, "POST", self.base, {
            "name": "alert", "parts": {"text": "x"}})
        self.expect(204, "DELETE", "/v1/adapters/mm")
        self.adapter("mm", "mattermost", {"url": self.rx.url("/hooks/abc")})
        self.assertEqual(self.expect(200, "GET", self.base)["templates"], [])
        self.node.stop()
        self.node.restart()
        self.assertEqual(self.expect(200, "GET", self.base)["templates"], [])

    def test_webhook_params_named_template_pass_through(self):
        self.adapter("hook", "webhook", {"url": self.rx.url("/hook")})
        self.expect_error(409, "conflict", "POST",
                          "/v1/adapters/hook/templates",
                          {"name": "t", "parts": {"text": "x"}})
        key = self.key()
        job = self.submit(key, "hook", {"template": "their-own-field",
                                        "data": {"a": 1}})
        self.assertEqual(self.wait_final(key, job["job_id"])["state"],
                         "succeeded")
        self.assertEqual(self.rx.wait_for(1)[0].json["params"],
                         {"template": "their-own-field", "data": {"a": 1}})

    def test_bad_templates_are_refused(self):
        self.expect_error(400, "invalid_field", "POST", self.base, {
            "name": "bad", "parts": {"text": "{{#open}} never closed"}})
        self.expect_error(400, "invalid_field", "POST", self.base, {
            "name": "bad", "parts": {}})
        self.expect_error(400, "invalid_field", "POST", self.base, {
            "name": "Bad Name", "parts": {"text": "x"}})
        self.expect_error(400, "invalid_field", "POST", self.base, {
            "name": "x", "parts": {"text": "x"}, "extra": 1})

    def test_jobs_render_latest_or_pinned_version(self):
        self.expect(201, "POST", self.base, {
            "name": "alert", "parts": {"text": "v1 {{host}}"}})
        self.expect(200, "PUT", self.base + "/alert",
                    {"parts": {"text": "v2 {{host}} {{#tags}}[{{.}}]{{/tags}}"}})
        key = self.key()
        a = self.submit(key, "mm", {"template": "alert",
                                    "data": {"host": "db<1>",
                                             "tags": ["a", "b"]}})
        b = self.submit(key, "mm", {"template": "alert", "template_version": 1,
                                    "data": {"host": "db2"}})
        for j in (a, b):
            self.assertEqual(self.wait_final(key, j["job_id"])["state"],
                             "succeeded")
        texts = sorted(r.json["text"] for r in self.rx.wait_for(2))
        # Mattermost text is Markdown, not HTML: nothing is escaped.
        self.assertEqual(texts, ["v1 db2", "v2 db<1> [a][b]"])
        # The job shows the version it was pinned to.
        _, _, job = self.call("GET", "/v1/jobs/" + a["job_id"], api_key=key)
        self.assertEqual(job["params"]["template_version"], 2)

    def test_render_errors_known_at_submit_are_422(self):
        self.expect(201, "POST", self.base, {
            "name": "otp", "strict": True, "parts": {"text": "code {{code}}"}})
        key = self.key()
        err = self.expect_error(422, "invalid_params", "POST", "/v1/jobs", {
            "adapter": "mm", "params": {"template": "otp", "data": {}}},
            api_key=key)
        self.assertEqual(err["details"]["missing"], ["code"])
        self.expect_error(422, "invalid_params", "POST", "/v1/jobs", {
            "adapter": "mm", "params": {"template": "nope"}}, api_key=key)
        self.expect_error(422, "invalid_params", "POST", "/v1/jobs", {
            "adapter": "mm", "params": {"template": "otp",
                                        "template_version": 5,
                                        "data": {"code": 1}}}, api_key=key)
        # Not strict: a missing name renders empty, as Mustache says.
        self.expect(201, "POST", self.base, {
            "name": "lax", "parts": {"text": "code [{{code}}]"}})
        job = self.submit(key, "mm", {"template": "lax", "data": {}})
        self.wait_final(key, job["job_id"])
        self.assertEqual(self.rx.wait_for(1)[0].json["text"], "code []")

    def test_template_gone_before_delivery_is_a_permanent_failure(self):
        self.expect(201, "POST", self.base, {
            "name": "later", "parts": {"text": "hi {{who}}"}})
        key = self.key()
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
        job = self.submit(key, "mm", {"template": "later",
                                      "data": {"who": "x"}}, scheduled_at=at)
        self.expect(204, "DELETE", self.base + "/later")
        done = self.wait_final(key, job["job_id"], timeout=10)
        self.assertEqual(done["state"], "failed")
        self.assertEqual(done["attempts"], 1)
        self.assertIn("no template 'later'", done["last_error"])
        self.assertEqual(self.rx.count(), 0)

    def test_schema_checks_the_rendered_params(self):
        self.expect(200, "PATCH", "/v1/adapters/mm", {"params_schema": {
            "type": "object", "required": ["text"],
            "properties": {"text": {"type": "string", "maxLength": 10}}}})
        self.expect(201, "POST", self.base, {
            "name": "t", "parts": {"text": "{{x}}"}})
        key = self.key()
        self.submit(key, "mm", {"template": "t", "data": {"x": "short"}})
        self.expect_error(422, "invalid_params", "POST", "/v1/jobs", {
            "adapter": "mm", "params": {"template": "t",
                                        "data": {"x": "far too long"}}},
            api_key=key)


if __name__ == "__main__":
    unittest.main()
