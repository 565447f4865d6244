"""The smtp channel against a real SMTP server on loopback (aiosmtpd, from
Debian's python3-aiosmtpd): plain, STARTTLS and implicit TLS with a
certificate the test makes, AUTH, a UTF-8 multipart message parsed back, 4xx
retried, 5xx failed with the server's words, connection reuse."""

import email
import email.policy
import sys
import tempfile
import threading
import unittest

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError:
    # A Python of its own (pyenv) does not see Debian's packages.
    sys.path.append("/usr/lib/python3/dist-packages")
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

import ssl

from nsd import NodeTestCase, free_port, wait_until
from tls_cert import make_cert

FAST_RETRY = {"max_attempts": 3, "initial_backoff_ms": 50,
              "max_backoff_ms": 200}


class Handler:
    """Keeps what arrives; `rcpt_replies` / `data_replies` script answers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []      # (envelope, session peer, session tls?)
        self.rcpt_replies = []
        self.data_replies = []
        self.peers = []

    async def handle_RCPT(self, server, session, envelope, address, options):
        with self.lock:
            reply = self.rcpt_replies.pop(0) if self.rcpt_replies else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            reply = self.data_replies.pop(0) if self.data_replies else None
            if reply:
                return reply
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  envelope.original_content,
                                  session.ssl is not None,
                                  session.authenticated))
            self.peers.append(session.peer)
        return "250 2.0.0 Ok: queued"


class SmtpTestCase(NodeTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.cert, self.keyfile = make_cert(self.tmp.name)
        self.handler = Handler()
        self.logins = []
        self.key = self.expect(201, "POST", "/v1/clients",
                               {"name": "app", "adapters": "*"})["api_key"]

    def tls_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.keyfile)
        return ctx

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login == b"mailer" and auth_data.password == b"s3cret")
        self.logins.append((mechanism, auth_data.login, ok))
        # handled=False: aiosmtpd answers 535 itself.
        return AuthResult(success=ok, handled=False)

    def server(self, **kwargs):
        port = free_port()
        ctl = Controller(self.handler, hostname="127.0.0.1", port=port,
                         **kwargs)
        ctl.start()
        self.addCleanup(ctl.stop)
        return port

    def adapter(self, config, name="mail", **more):
        spec = {"name": name, "type": "smtp", "retry": FAST_RETRY,
                "config": dict({"host": "127.0.0.1",
                                "from": "Ops Bot <ops@example.com>"},
                               **config)}
        spec.update(more)
        return self.expect(201, "POST", "/v1/adapters", spec)

    def submit(self, params, adapter="mail"):
        got, _, body = self.call("POST", "/v1/jobs",
                                 {"adapter": adapter, "params": params},
                                 api_key=self.key)
        self.assertEqual(got, 202, body)
        return body["job_id"]

    def final(self, job_id, timeout=10.0):
        def check():
            _, _, job = self.call("GET", "/v1/jobs/" + job_id,
                                  api_key=self.key)
            return job if job["state"] in ("succeeded", "failed") else None
        return wait_until(check, timeout, what="job %s final" % job_id)

    def received(self, n=1):
        wait_until(lambda: len(self.handler.messages) >= n, 10,
                   what="%d messages" % n)
        return self.handler.messages


class Plain(SmtpTestCase):

    def test_utf8_multipart_message_arrives_intact(self):
        port = self.server()
        self.adapter({"port": port, "tls": "none"})
        text = "Hallo Jürgen,\nline two ✓\n.a line starting with a dot\n"
        html = "<p>Hallo <b>Jürgen</b> ✓</p>"
        job = self.submit({"to": ["Jürgen Müller <j@example.org>",
                                  "b@example.org"],
                           "cc": "c@example.org", "bcc": "hidden@example.org",
                           "reply_to": "help@example.com",
                           "subject": "Grüße — Ihre Rechnung №42 ✓ " * 3,
                           "text": text, "html": html})
        self.assertEqual(self.final(job)["state"], "succeeded")
        mail_from, rcpts, raw, tls, _ = self.received()[0]
        self.assertEqual(mail_from, "ops@example.com")
        self.assertEqual(sorted(rcpts), ["b@example.org", "c@example.org",
                                         "hidden@example.org",
                                         "j@example.org"])
        self.assertFalse(tls)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg["Subject"], "Grüße — Ihre Rechnung №42 ✓ " * 3)
        self.assertEqual(msg["From"].addresses[0].display_name, "Ops Bot")
        self.assertEqual(
            [(a.display_name, a.addr_spec) for a in msg["To"].addresses],
            [("Jürgen Müller", "j@example.org"), ("", "b@example.org")])
        self.assertEqual(msg["Cc"], "c@example.org")
        self.assertEqual(msg["Reply-To"], "help@example.com")
        self.assertIsNone(msg["Bcc"])
        self.assertEqual(msg["Message-ID"], "<%s@example.com>" % job)
        self.assertIsNotNone(msg["Date"].datetime)
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        self.assertEqual(msg.get_body(("plain",)).get_content(), text)
        self.assertEqual(msg.get_body(("html",)).get_content(), html)
        # Every line of what went over the wire is 7-bit and short.
        for line in raw.split(b"\r\n"):
            self.assertTrue(all(c < 128 for c in line), line)
            self.assertLessEqual(len(line), 998)

    def test_text_only_and_template_with_html_escaping(self):
        port = self.server()
        self.adapter({"port": port, "tls": "none"})
        self.expect(201, "POST", "/v1/adapters/mail/templates", {
            "name": "welcome", "parts": {
                "subject": "Willkommen, {{name}}!",
                "text": "Hallo {{name}}",
                "html": "<p>Hallo {{name}}</p>"}})
        job = self.submit({"to": "a@example.org", "template": "welcome",
                           "data": {"name": "<Zoë & Co>"}})
        self.assertEqual(self.final(job)["state"], "succeeded")
        job2 = self.submit({"to": "a@example.org", "subject": "only text",
                            "text": "plain ü"})
        self.assertEqual(self.final(job2)["state"], "succeeded")
        first, second = self.received(2)[:2]
        msg = email.message_from_bytes(first[2], policy=email.policy.default)
        self.assertEqual(msg["Subject"], "Willkommen, <Zoë & Co>!")
        self.assertEqual(msg.get_body(("plain",)).get_content(),
                         "Hallo <Zoë & Co>")
        self.assertEqual(msg.get_body(("html",)).get_content(),
                         "<p>Hallo &lt;Zoë &amp; Co&gt;</p>")
        msg = email.message_from_bytes(second[2], policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "text/plain")
        self.assertEqual(msg.get_content(), "plain ü")

    def test_4xx_is_retried_then_succeeds(self):
        port = self.server()
        self.adapter({"port": port, "tls": "none"})
        self.handler.data_replies = ["451 4.3.0 Try again later"]
        job = self.final(self.submit({"to": "a@example.org", "subject": "s",
                                      "text": "t"}))
        self.assertEqual(job["state"], "succeeded")
        self.assertEqual(job["attempts"], 2)
        self.assertEqual(len(self.received()), 1)

    def test_5xx_fails_with_the_servers_message(self):
        port = self.server()
        self.adapter({"port": port, "tls": "none"})
        self.handler.rcpt_replies = [
            "550 5.1.1 <nobody@example.org>: Recipient address rejected"]
        job = self.final(self.submit({"to": "nobody@example.org",
                                      "subject": "s", "text": "t"}))
        self.assertEqual(job["state"], "failed")
        self.assertEqual(job["attempts"], 1)
        self.assertIn("550", job["last_error"])
        self.assertIn("Recipient address rejected", job["last_error"])
        self.assertEqual(self.handler.messages, [])

    def test_unreachable_server_is_retried(self):
        self.adapter({"port": free_port(), "tls": "none"})
        job = self.final(self.submit({"to": "a@example.org", "subject": "s",
                                      "text": "t"}))
        self.assertEqual(job["state"], "failed")
        self.assertEqual(job["attempts"], 3)
        self.assertIn("connect", job["last_error"])

    def test_connections_are_reused(self):
        port = self.server()
        self.adapter({"port": port, "tls": "none", "pool_size": 1})
        for i in range(4):
            job = self.final(self.submit({"to": "a@example.org",
                                          "subject": "n%d" % i, "text": "t"}))
            self.assertEqual(job["state"], "succeeded")
        self.received(4)
        self.assertEqual(len(set(self.handler.peers)), 1, self.handler.peers)

    def test_bad_params_are_422(self):
        self.adapter({"port": free_port(), "tls": "none"})
        for params, field in (({"subject": "s", "text": "t"}, "params.to"),
                              ({"to": "not-an-address", "subject": "s",
                                "text": "t"}, "params.to"),
                              ({"to": "a@example.org", "text": "t"},
                               "params.subject"),
                              ({"to": "a@example.org", "subject": "s"},
                               "params.text")):
            got, _, body = self.call("POST", "/v1/jobs", {
                "adapter": "mail", "params": params}, api_key=self.key)
            self.assertEqual(got, 422, body)
            self.assertEqual(body["error"]["details"]["field"], field)


class Tls(SmtpTestCase):

    def starttls_server(self):
        return self.server(tls_context=self.tls_context(),
                           require_starttls=True, auth_required=True,
                           authenticator=self.authenticate)

    def test_starttls_with_auth(self):
        port = self.starttls_server()
        shown = self.adapter({"port": port, "tls": "starttls",
                              "tls_ca_file": self.cert, "username": "mailer",
                              "password": "s3cret"})
        self.assertEqual(shown["config"]["password"], "***")
        job = self.final(self.submit({"to": "a@example.org", "subject": "s",
                                      "text": "über TLS"}))
        self.assertEqual(job["state"], "succeeded")
        _, _, raw, tls, authenticated = self.received()[0]
        self.assertTrue(tls)
        self.assertTrue(authenticated)
        self.assertEqual([(login, ok) for _, login, ok in self.logins],
                         [(b"mailer", True)])
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_content(), "über TLS")

    def test_wrong_password_fails_permanently(self):
        port = self.starttls_server()
        self.adapter({"port": port, "tls": "starttls",
                      "tls_ca_file": self.cert, "username": "mailer",
                      "password": "wrong"})
        job = self.final(self.submit({"to": "a@example.org", "subject": "s",
                                      "text": "t"}))
        self.assertEqual(job["state"], "failed")
        self.assertEqual(job["attempts"], 1)
        self.assertIn("535", job["last_error"])

    def test_untrusted_certificate_fails_permanently(self):
        port = self.starttls_server()
        self.adapter({"port": port, "tls": "starttls", "username": "mailer",
                      "password": "s3cret"})
        job = self.final(self.submit({"to": "a@example.org", "subject": "s",
                                      "text": "t"}))
        self.assertEqual(job["state"], "failed")
        self.assertEqual(job["attempts"], 1)
        self.assertIn("certificate", job["last_error"])
        self.assertEqual(self.handler.messages, [])

    def test_implicit_tls(self):
        port = self.server(ssl_context=self.tls_context())
        self.adapter({"port": port, "tls": "implicit",
                      "tls_ca_file": self.cert})
        job = self.final(self.submit({"to": "a@example.org", "subject": "s",
                                      "text": "t"}))
        self.assertEqual(job["state"], "succeeded")
        self.assertEqual(len(self.received()), 1)


if __name__ == "__main__":
    unittest.main()
