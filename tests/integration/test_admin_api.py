"""The admin HTTP API of nsd (clients, adapters) and the HTTP edge rules,
checked against /work/shared/spec/API.md on a real nsd."""

import json
import re
import socket
import unittest

from nsd import OMIT, NodeTestCase, assert_error

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
CLIENT_KEY_RE = re.compile(r"^nsk_[A-Za-z0-9_-]{20,}$")
ADAPTER_KEY_RE = re.compile(r"^nsa_[A-Za-z0-9_-]{20,}$")

# What the spec names for each answer; nsd may add `updated_at`.
CLIENT_FIELDS = {"id", "name", "adapters", "rate_limit", "blocked", "created_at"}
ADAPTER_FIELDS = {"name", "type", "config", "params_schema", "retry",
                  "default_ttl_s", "concurrency", "blocked", "queue",
                  "instances"}
ADAPTER_OPTIONAL = {"created_at", "updated_at", "version"}
CLIENT_VIEW_FIELDS = {"name", "type", "params_schema", "blocked"}

HOOK = {"name": "hook", "type": "webhook",
        "config": {"url": "https://example.com/hook"}}


class AdminTestCase(NodeTestCase):

    def assert_client(self, body, with_keys=False):
        extra = {"api_key", "signing_secret"} if with_keys else set()
        self.assertLessEqual(CLIENT_FIELDS | extra, set(body), body)
        self.assertLessEqual(set(body) - CLIENT_FIELDS - extra, {"updated_at"},
                             body)
        self.assertRegex(body["created_at"], TIME_RE)
        if with_keys:
            self.assertRegex(body["api_key"], CLIENT_KEY_RE)
            self.assertIsInstance(body["signing_secret"], str)
            self.assertGreaterEqual(len(body["signing_secret"]), 20)

    def assert_adapter(self, body, with_key=False):
        extra = {"api_key"} if with_key else set()
        self.assertLessEqual(ADAPTER_FIELDS | extra, set(body), body)
        self.assertLessEqual(set(body) - ADAPTER_FIELDS - extra,
                             ADAPTER_OPTIONAL, body)
        self.assertEqual(body["queue"], body["name"])
        self.assertIsInstance(body["instances"], list)
        if with_key:
            self.assertRegex(body["api_key"], ADAPTER_KEY_RE)

    def create_adapter(self, spec):
        return self.expect(201, "POST", "/v1/adapters", spec)

    def create_client(self, name="billing", adapters="*", **more):
        return self.expect(201, "POST", "/v1/clients",
                           dict(name=name, adapters=adapters, **more))

    def client_sees(self, api_key):
        """The adapter names GET /v1/adapters lists for a client key."""
        body = self.expect(200, "GET", "/v1/adapters", api_key=api_key)
        return sorted(a["name"] for a in body["adapters"])


class ClientTests(AdminTestCase):

    def test_create_client_answers_every_field_and_fresh_keys(self):
        self.create_adapter(HOOK)
        self.create_adapter({"name": "mail", "type": "smtp", "config": {
            "host": "smtp.example.com", "from": "ns@example.com"}})
        c = self.create_client("billing", ["hook", "mail"],
                               rate_limit={"rps": 1000, "burst": 2000})
        self.assert_client(c, with_keys=True)
        self.assertEqual(c["name"], "billing")
        self.assertEqual(c["adapters"], ["hook", "mail"])
        self.assertEqual(c["rate_limit"], {"rps": 1000, "burst": 2000})
        self.assertIs(c["blocked"], False)
        self.assertIsInstance(c["id"], str)
        self.assertTrue(c["id"])
        other = self.create_client("ops", "*")
        self.assert_client(other, with_keys=True)
        self.assertEqual(other["adapters"], "*")
        self.assertNotEqual(other["id"], c["id"])
        self.assertNotEqual(other["api_key"], c["api_key"])
        self.assertNotEqual(other["signing_secret"], c["signing_secret"])
        # The key works at once.
        self.assertEqual(self.client_sees(c["api_key"]), ["hook", "mail"])

    def test_get_and_list_clients_never_show_keys(self):
        c = self.create_client("billing", "*")
        got = self.expect(200, "GET", "/v1/clients/" + c["id"])
        self.assert_client(got)
        self.assertNotIn("api_key", got)
        self.assertNotIn("signing_secret", got)
        for field in CLIENT_FIELDS:
            self.assertEqual(got[field], c[field], field)
        listed = self.expect(200, "GET", "/v1/clients")
        self.assertEqual(set(listed), {"clients"})
        self.assertEqual(len(listed["clients"]), 1)
        self.assertEqual(listed["clients"][0], got)
        raw = self.node.last_raw.decode()
        self.assertNotIn(c["api_key"], raw)
        self.assertNotIn(c["signing_secret"], raw)

    def test_list_clients_empty_then_all(self):
        self.assertEqual(self.expect(200, "GET", "/v1/clients"),
                         {"clients": []})
        ids = {self.create_client("c%d" % i)["id"] for i in range(3)}
        listed = self.expect(200, "GET", "/v1/clients")["clients"]
        self.assertEqual({c["id"] for c in listed}, ids)
        self.assertEqual(sorted(c["name"] for c in listed), ["c0", "c1", "c2"])

    def test_patch_client_changes_only_named_fields(self):
        self.create_adapter(HOOK)
        c = self.create_client("billing", "*",
                               rate_limit={"rps": 10, "burst": 20})
        path = "/v1/clients/" + c["id"]
        p = self.expect(200, "PATCH", path, {"adapters": ["hook"]})
        self.assert_client(p)
        self.assertNotIn("api_key", p)
        self.assertEqual(p["adapters"], ["hook"])
        self.assertEqual(p["rate_limit"], {"rps": 10, "burst": 20})
        self.assertIs(p["blocked"], False)
        self.assertEqual(p["id"], c["id"])
        self.assertEqual(p["name"], "billing")
        self.assertEqual(p["created_at"], c["created_at"])
        p = self.expect(200, "PATCH", path, {"rate_limit": {"rps": 5,
                                                            "burst": 7}})
        self.assertEqual(p["rate_limit"], {"rps": 5, "burst": 7})
        self.assertEqual(p["adapters"], ["hook"])
        p = self.expect(200, "PATCH", path, {"rate_limit": None})
        self.assertIsNone(p["rate_limit"])
        p = self.expect(200, "PATCH", path, {"blocked": True, "adapters": "*"})
        self.assertIs(p["blocked"], True)
        self.assertEqual(p["adapters"], "*")
        self.assertEqual(self.expect(200, "GET", path), p)

    def test_patch_client_to_unknown_adapter_is_refused(self):
        c = self.create_client("billing", "*")
        err = self.expect_error(400, "invalid_field", "PATCH",
                                "/v1/clients/" + c["id"], {"adapters": ["nope"]})
        self.assertEqual(err["details"]["unknown"], ["nope"])
        self.assertEqual(self.expect(200, "GET", "/v1/clients/" + c["id"])
                         ["adapters"], "*")

    def test_delete_client(self):
        c = self.create_client("billing", "*")
        keep = self.create_client("other", "*")
        status, _, body = self.call("DELETE", "/v1/clients/" + c["id"])
        self.assertEqual(status, 204)
        self.assertEqual(self.node.last_raw, b"")
        self.expect_error(404, "not_found", "GET", "/v1/clients/" + c["id"])
        self.assertEqual([x["id"] for x in
                          self.expect(200, "GET", "/v1/clients")["clients"]],
                         [keep["id"]])
        # Its key is gone with it; the name is free again.
        self.expect_error(401, "unauthorized", "GET", "/v1/adapters",
                          api_key=c["api_key"])
        self.create_client("billing", "*")
        self.expect_error(404, "not_found", "DELETE", "/v1/clients/" + c["id"])

    def test_rotate_client_keys(self):
        self.create_adapter(HOOK)
        c = self.create_client("billing", ["hook"])
        body = self.expect(200, "POST", "/v1/clients/%s/keys" % c["id"])
        self.assertEqual(set(body), {"id", "api_key", "signing_secret"})
        self.assertEqual(body["id"], c["id"])
        self.assertRegex(body["api_key"], CLIENT_KEY_RE)
        self.assertNotEqual(body["api_key"], c["api_key"])
        self.assertIsInstance(body["signing_secret"], str)
        self.assertNotEqual(body["signing_secret"], c["signing_secret"])
        self.expect_error(401, "unauthorized", "GET", "/v1/adapters",
                          api_key=c["api_key"])
        self.assertEqual(self.client_sees(body["api_key"]), ["hook"])
        # The client itself is unchanged.
        got = self.expect(200, "GET", "/v1/clients/" + c["id"])
        self.assertEqual((got["name"], got["adapters"], got["blocked"]),
                         ("billing", ["hook"], False))

    def test_blocked_client_is_refused_until_unblocked(self):
        self.create_adapter(HOOK)
        c = self.create_client("billing", ["hook"])
        key = c["api_key"]
        self.assertEqual(self.client_sees(key), ["hook"])
        self.expect(200, "PATCH", "/v1/clients/" + c["id"], {"blocked": True})
        self.expect_error(403, "client_blocked", "GET", "/v1/adapters",
                          api_key=key)
        self.expect(200, "PATCH", "/v1/clients/" + c["id"], {"blocked": False})
        self.assertEqual(self.client_sees(key), ["hook"])

    def test_client_sees_only_its_adapters_and_only_public_fields(self):
        schema = {"type": "object", "properties": {"to": {"type": "string"}},
                  "required": ["to"]}
        self.create_adapter(dict(HOOK, params_schema=schema,
                                 config={"url": "https://example.com/h",
                                         "headers": {"Authorization": "Bearer s3cr3t-hook"}}))
        self.create_adapter({"name": "mail", "type": "smtp", "config": {
            "host": "smtp.example.com", "from": "a@example.com",
            "password": "s3cr3t-smtp"}})
        self.create_adapter({"name": "ext", "type": "external"})
        some = self.create_client("some", ["hook", "ext"])
        every = self.create_client("every", "*")
        body = self.expect(200, "GET", "/v1/adapters", api_key=some["api_key"])
        self.assertEqual(set(body), {"adapters"})
        by_name = {a["name"]: a for a in body["adapters"]}
        self.assertEqual(sorted(by_name), ["ext", "hook"])
        for a in body["adapters"]:
            self.assertEqual(set(a), CLIENT_VIEW_FIELDS, a)
        self.assertEqual(by_name["hook"], {"name": "hook", "type": "webhook",
                                           "params_schema": schema,
                                           "blocked": False})
        self.assertEqual(by_name["ext"]["type"], "external")
        raw = self.node.last_raw.decode()
        self.assertNotIn("s3cr3t", raw)
        self.assertEqual(self.client_sees(every["api_key"]),
                         ["ext", "hook", "mail"])
        # A blocked adapter is still listed, marked blocked.
        self.expect(200, "PATCH", "/v1/adapters/hook", {"blocked": True})
        body = self.expect(200, "GET", "/v1/adapters", api_key=some["api_key"])
        self.assertEqual({a["name"]: a["blocked"] for a in body["adapters"]},
                         {"hook": True, "ext": False})

    def test_duplicate_client_name_is_conflict(self):
        self.create_client("billing", "*")
        self.expect_error(409, "conflict", "POST", "/v1/clients",
                          {"name": "billing", "adapters": "*"})
        self.assertEqual(len(self.expect(200, "GET", "/v1/clients")["clients"]),
                         1)

    def test_create_client_with_unknown_adapter(self):
        self.create_adapter(HOOK)
        err = self.expect_error(400, "invalid_field", "POST", "/v1/clients",
                                {"name": "billing",
                                 "adapters": ["hook", "nope", "gone"]})
        self.assertEqual(sorted(err["details"]["unknown"]), ["gone", "nope"])
        self.assertEqual(self.expect(200, "GET", "/v1/clients"),
                         {"clients": []})

    def test_create_client_with_unknown_field(self):
        err = self.expect_error(400, "invalid_field", "POST", "/v1/clients",
                                {"name": "billing", "adapters": "*",
                                 "colour": "red"})
        self.assertEqual(err["details"]["field"], "colour")

    def test_create_client_with_wrong_types(self):
        cases = [
            ({"name": 5, "adapters": "*"}, "name"),
            ({"name": "", "adapters": "*"}, "name"),
            ({"name": "x", "adapters": "all"}, "adapters"),
            ({"name": "x", "adapters": 5}, "adapters"),
            ({"name": "x", "adapters": [5]}, "adapters"),
            ({"name": "x", "adapters": "*", "blocked": "yes"}, "blocked"),
            ({"name": "x", "adapters": "*", "rate_limit": 5}, "rate_limit"),
            ({"name": "x", "adapters": "*", "rate_limit": {"rps": "fast"}},
             "rate_limit.rps"),
            ({"name": "x", "adapters": "*", "rate_limit": {"rps": 0}},
             "rate_limit.rps"),
            ({"name": "x", "adapters": "*", "rate_limit": {"rps": -1}},
             "rate_limit.rps"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                err = self.expect_error(400, "invalid_field", "POST",
                                        "/v1/clients", body)
                self.assertEqual(err["details"].get("field"), field)
        self.assertEqual(self.expect(200, "GET", "/v1/clients"),
                         {"clients": []})

    def test_patch_client_with_wrong_types(self):
        c = self.create_client("billing", "*")
        path = "/v1/clients/" + c["id"]
        for body in ({"blocked": "true"}, {"blocked": 1}, {"adapters": 5},
                     {"name": "renamed"}, {"api_key": "nsk_mine"}):
            with self.subTest(body=body):
                self.expect_error(400, "invalid_field", "PATCH", path, body)
        got = self.expect(200, "GET", path)
        self.assertEqual((got["name"], got["blocked"]), ("billing", False))

    def test_create_client_missing_required_fields(self):
        for body, field in (({}, "name"), ({"adapters": "*"}, "name"),
                            ({"name": "billing"}, "adapters")):
            with self.subTest(body=body):
                err = self.expect_error(400, "invalid_field", "POST",
                                        "/v1/clients", body)
                self.assertEqual(err["details"].get("field"), field)

    def test_missing_client_is_404(self):
        for method, path, body in (
                ("GET", "/v1/clients/cl_nope", None),
                ("PATCH", "/v1/clients/cl_nope", {"blocked": True}),
                ("DELETE", "/v1/clients/cl_nope", None),
                ("POST", "/v1/clients/cl_nope/keys", None)):
            with self.subTest(method=method, path=path):
                self.expect_error(404, "not_found", method, path, body)


class AdapterTests(AdminTestCase):

    def test_create_webhook_adapter_answers_every_field(self):
        spec = {"name": "tg-alerts", "type": "webhook",
                "config": {"url": "https://example.com/hook", "method": "POST"},
                "params_schema": {"type": "object"},
                "retry": {"max_attempts": 3, "initial_backoff_ms": 500,
                          "max_backoff_ms": 5000},
                "default_ttl_s": 600, "concurrency": 8}
        a = self.create_adapter(spec)
        self.assert_adapter(a)
        self.assertNotIn("api_key", a)
        for field in ("name", "type", "config", "params_schema", "retry",
                      "default_ttl_s", "concurrency"):
            self.assertEqual(a[field], spec[field], field)
        self.assertIs(a["blocked"], False)
        self.assertEqual(a["queue"], "tg-alerts")
        self.assertEqual(a["instances"], [])

    def test_create_adapter_defaults(self):
        a = self.create_adapter(HOOK)
        self.assert_adapter(a)
        self.assertEqual(a["retry"], {"max_attempts": 5,
                                      "initial_backoff_ms": 1000,
                                      "max_backoff_ms": 60000})
        self.assertEqual(a["default_ttl_s"], 86400)
        self.assertEqual(a["concurrency"], 64)
        self.assertIs(a["blocked"], False)

    def test_only_external_adapters_get_a_key(self):
        ext = self.create_adapter({"name": "ext", "type": "external"})
        self.assert_adapter(ext, with_key=True)
        self.assertEqual(ext["type"], "external")
        other = self.create_adapter({"name": "ext2", "type": "external"})
        self.assertNotEqual(other["api_key"], ext["api_key"])
        for spec in (HOOK,
                     {"name": "mail", "type": "smtp",
                      "config": {"host": "smtp.example.com",
                                 "from": "a@example.com"}},
                     {"name": "tg", "type": "telegram",
                      "config": {"bot_token": "1:abc"}},
                     {"name": "sms", "type": "sms",
                      "config": {"url": "https://sms.example.com/send"}},
                     {"name": "mm", "type": "mattermost",
                      "config": {"url": "https://mm.example.com/hooks/x"}}):
            with self.subTest(type=spec["type"]):
                a = self.create_adapter(spec)
                self.assert_adapter(a)
                self.assertNotIn("api_key", a)
        # The key is shown only once.
        got = self.expect(200, "GET", "/v1/adapters/ext")
        self.assertNotIn("api_key", got)
        listed = self.expect(200, "GET", "/v1/adapters")
        self.assertNotIn(ext["api_key"], self.node.last_raw.decode())
        self.assertEqual(sorted(a["name"] for a in listed["adapters"]),
                         ["ext", "ext2", "hook", "mail", "mm", "sms", "tg"])

    def test_get_and_list_adapters(self):
        self.assertEqual(self.expect(200, "GET", "/v1/adapters"),
                         {"adapters": []})
        created = self.create_adapter(HOOK)
        got = self.expect(200, "GET", "/v1/adapters/hook")
        self.assert_adapter(got)
        self.assertEqual(got, created)
        listed = self.expect(200, "GET", "/v1/adapters")
        self.assertEqual(set(listed), {"adapters"})
        self.assertEqual(listed["adapters"], [got])

    def test_patch_adapter(self):
        self.create_adapter(HOOK)
        p = self.expect(200, "PATCH", "/v1/adapters/hook",
                        {"blocked": True, "concurrency": 3,
                         "default_ttl_s": 60,
                         "config": {"url": "http://other.example.com/x"},
                         "params_schema": {"type": "object",
                                           "required": ["to"]}})
        self.assert_adapter(p)
        self.assertIs(p["blocked"], True)
        self.assertEqual(p["concurrency"], 3)
        self.assertEqual(p["default_ttl_s"], 60)
        self.assertEqual(p["config"], {"url": "http://other.example.com/x"})
        self.assertEqual(p["params_schema"],
                         {"type": "object", "required": ["to"]})
        self.assertEqual(p["name"], "hook")
        self.assertEqual(p["type"], "webhook")
        self.assertEqual(p["retry"]["max_attempts"], 5)
        self.assertEqual(self.expect(200, "GET", "/v1/adapters/hook"), p)
        p = self.expect(200, "PATCH", "/v1/adapters/hook", {"blocked": False})
        self.assertIs(p["blocked"], False)
        self.assertEqual(p["concurrency"], 3)

    def test_patch_adapter_cannot_rename_or_retype(self):
        self.create_adapter(HOOK)
        for body, field in (({"name": "other"}, "name"),
                            ({"type": "smtp"}, "type"),
                            ({"colour": "red"}, "colour")):
            with self.subTest(body=body):
                err = self.expect_error(400, "invalid_field", "PATCH",
                                        "/v1/adapters/hook", body)
                self.assertEqual(err["details"].get("field"), field)

    def test_delete_adapter(self):
        self.create_adapter(HOOK)
        self.create_adapter({"name": "ext", "type": "external"})
        status, _, _ = self.call("DELETE", "/v1/adapters/hook")
        self.assertEqual(status, 204)
        self.assertEqual(self.node.last_raw, b"")
        self.expect_error(404, "not_found", "GET", "/v1/adapters/hook")
        self.assertEqual([a["name"] for a in
                          self.expect(200, "GET", "/v1/adapters")["adapters"]],
                         ["ext"])
        self.expect_error(404, "not_found", "DELETE", "/v1/adapters/hook")
        # The name is free again.
        self.create_adapter(HOOK)

    def test_deleting_an_adapter_revokes_it_from_clients(self):
        self.create_adapter(HOOK)
        self.create_adapter({"name": "ext", "type": "external"})
        named = self.create_client("named", ["hook", "ext"])
        every = self.create_client("every", "*")
        self.expect(204, "DELETE", "/v1/adapters/hook")
        got = self.expect(200, "GET", "/v1/clients/" + named["id"])
        self.assertEqual(got["adapters"], ["ext"])
        # A new adapter of the same name is not inherited by old grants...
        self.create_adapter(HOOK)
        self.assertEqual(self.client_sees(named["api_key"]), ["ext"])
        # ...while "*" means every adapter, now and later.
        self.assertEqual(self.client_sees(every["api_key"]), ["ext", "hook"])
        # The revocation survives a restart.
        self.assertEqual(self.node.stop(), 0)
        self.node.restart()
        got = self.expect(200, "GET", "/v1/clients/" + named["id"])
        self.assertEqual(got["adapters"], ["ext"])

    def test_secrets_in_lists_and_nested_objects_are_masked_whole(self):
        body = self.create_adapter({
            "name": "ext", "type": "external",
            "config": {"api_keys": ["s3cr3t-a", "s3cr3t-b"],
                       "auth": {"user": "s3cr3t-u", "pass": "s3cr3t-p"},
                       "monkey": "visible", "author": "visible-too"}})
        self.assertEqual(body["config"], {"api_keys": "***", "auth": "***",
                                          "monkey": "visible",
                                          "author": "visible-too"})
        self.assertNotIn("s3cr3t", self.node.last_raw.decode())

    def test_rotate_external_adapter_key(self):
        ext = self.create_adapter({"name": "ext", "type": "external"})
        body = self.expect(200, "POST", "/v1/adapters/ext/keys")
        self.assertEqual(set(body), {"name", "api_key"})
        self.assertEqual(body["name"], "ext")
        self.assertRegex(body["api_key"], ADAPTER_KEY_RE)
        self.assertNotEqual(body["api_key"], ext["api_key"])
        got = self.expect(200, "GET", "/v1/adapters/ext")
        self.assertNotIn("api_key", got)
        self.assertEqual(got["type"], "external")

    def test_rotate_key_of_non_external_adapter_is_conflict(self):
        self.create_adapter(HOOK)
        self.expect_error(409, "conflict", "POST", "/v1/adapters/hook/keys")
        self.expect_error(404, "not_found", "POST", "/v1/adapters/nope/keys")

    def test_config_secrets_are_masked_in_every_answer(self):
        secrets = ["Bearer hook-s3cr3t-1", "smtp-s3cr3t-2", "123:tg-s3cr3t-3",
                   "s3cr3t-4-key"]
        specs = [
            {"name": "hook", "type": "webhook",
             "config": {"url": "https://example.com/h",
                        "headers": {"Authorization": secrets[0],
                                    "X-Trace": "visible-1"}}},
            {"name": "mail", "type": "smtp",
             "config": {"host": "smtp.example.com", "from": "a@example.com",
                        "username": "visible-2", "password": secrets[1]}},
            {"name": "tg", "type": "telegram",
             "config": {"bot_token": secrets[2], "chat_id": "visible-3"}},
            {"name": "ext", "type": "external",
             "config": {"api_key": secrets[3]}},
        ]
        answers = []

        def answer(status, method, path, body=None):
            parsed = self.expect(status, method, path, body)
            answers.append((method + " " + path, self.node.last_raw.decode()))
            return parsed

        for spec in specs:
            answer(201, "POST", "/v1/adapters", spec)
        hook = answer(200, "GET", "/v1/adapters/hook")
        self.assertEqual(hook["config"]["headers"],
                         {"Authorization": "***", "X-Trace": "visible-1"})
        self.assertEqual(hook["config"]["url"], "https://example.com/h")
        mail = answer(200, "GET", "/v1/adapters/mail")
        self.assertEqual(mail["config"]["password"], "***")
        self.assertEqual(mail["config"]["username"], "visible-2")
        tg = answer(200, "GET", "/v1/adapters/tg")
        self.assertEqual(tg["config"], {"bot_token": "***",
                                        "chat_id": "visible-3"})
        self.assertEqual(answer(200, "GET", "/v1/adapters/ext")["config"],
                         {"api_key": "***"})
        listed = answer(200, "GET", "/v1/adapters")
        by_name = {a["name"]: a for a in listed["adapters"]}
        self.assertEqual(by_name["hook"]["config"]["headers"]["Authorization"],
                         "***")
        self.assertEqual(by_name["mail"]["config"]["password"], "***")
        self.assertEqual(by_name["tg"]["config"]["bot_token"], "***")
        p = answer(200, "PATCH", "/v1/adapters/mail", {"concurrency": 2})
        self.assertEqual(p["config"]["password"], "***")
        p = answer(200, "PATCH", "/v1/adapters/tg",
                   {"config": {"bot_token": "456:tg-s3cr3t-5"}})
        secrets.append("456:tg-s3cr3t-5")
        self.assertEqual(p["config"], {"bot_token": "***"})
        for what, raw in answers:
            for secret in secrets:
                self.assertNotIn(secret, raw, what)
            self.assertNotIn("s3cr3t", raw, what)

    def test_invalid_params_schema(self):
        for schema in ({"type": "strin"}, {"minimum": "x"},
                       {"required": "to"}, {"properties": 5}, 5, "object",
                       [1]):
            with self.subTest(schema=schema):
                err = self.expect_error(400, "invalid_field", "POST",
                                        "/v1/adapters",
                                        dict(HOOK, params_schema=schema))
                self.assertEqual(err["details"].get("field"), "params_schema")
        self.assertEqual(self.expect(200, "GET", "/v1/adapters"),
                         {"adapters": []})
        self.create_adapter(dict(HOOK, params_schema={"type": "object"}))
        err = self.expect_error(400, "invalid_field", "PATCH",
                                "/v1/adapters/hook",
                                {"params_schema": {"type": "strin"}})
        self.assertEqual(err["details"].get("field"), "params_schema")
        self.assertEqual(self.expect(200, "GET", "/v1/adapters/hook")
                         ["params_schema"], {"type": "object"})

    def test_unknown_adapter_type(self):
        for kind in ("pigeon", "Webhook", 5, ""):
            with self.subTest(type=kind):
                err = self.expect_error(400, "invalid_field", "POST",
                                        "/v1/adapters",
                                        dict(HOOK, type=kind))
                self.assertEqual(err["details"].get("field"), "type")

    def test_webhook_needs_an_http_url(self):
        for config in (None, {}, {"url": ""}, {"url": 5},
                       {"url": "ftp://example.com/x"}, {"url": "example.com"},
                       {"url": "http://"}, {"url": "not a url"}):
            with self.subTest(config=config):
                spec = {"name": "hook", "type": "webhook"}
                if config is not None:
                    spec["config"] = config
                err = self.expect_error(400, "invalid_field", "POST",
                                        "/v1/adapters", spec)
                self.assertIn("config", err["details"].get("field", ""))
        self.assertEqual(self.expect(200, "GET", "/v1/adapters"),
                         {"adapters": []})
        self.create_adapter({"name": "hook", "type": "webhook",
                             "config": {"url": "http://127.0.0.1:9/x"}})
        self.expect_error(400, "invalid_field", "PATCH", "/v1/adapters/hook",
                          {"config": {"url": "ftp://example.com/x"}})
        self.assertEqual(self.expect(200, "GET", "/v1/adapters/hook")["config"],
                         {"url": "http://127.0.0.1:9/x"})

    def test_duplicate_adapter_name_is_conflict(self):
        self.create_adapter(HOOK)
        err = self.expect_error(409, "conflict", "POST", "/v1/adapters",
                                {"name": "hook", "type": "external"})
        self.assertEqual(self.expect(200, "GET", "/v1/adapters/hook")["type"],
                         "webhook")
        del err

    def test_create_adapter_with_wrong_types(self):
        cases = [
            (dict(HOOK, name=5), "name"),
            (dict(HOOK, name="Bad Name"), "name"),
            (dict(HOOK, name="x" * 65), "name"),
            (dict(HOOK, blocked="true"), "blocked"),
            (dict(HOOK, concurrency=0), "concurrency"),
            (dict(HOOK, concurrency=99999), "concurrency"),
            (dict(HOOK, concurrency="8"), "concurrency"),
            (dict(HOOK, concurrency=1.5), "concurrency"),
            (dict(HOOK, default_ttl_s=-1), "default_ttl_s"),
            (dict(HOOK, config="https://example.com"), "config"),
            (dict(HOOK, retry=5), "retry"),
            (dict(HOOK, retry={"max_attempts": 0}), "retry.max_attempts"),
            (dict(HOOK, retry={"tries": 3}), "retry.tries"),
            (dict(HOOK, colour="red"), "colour"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                err = self.expect_error(400, "invalid_field", "POST",
                                        "/v1/adapters", body)
                self.assertEqual(err["details"].get("field"), field)
        self.assertEqual(self.expect(200, "GET", "/v1/adapters"),
                         {"adapters": []})

    def test_patch_adapter_with_wrong_types(self):
        self.create_adapter(HOOK)
        for body, field in (({"concurrency": 0}, "concurrency"),
                            ({"concurrency": 99999}, "concurrency"),
                            ({"blocked": "yes"}, "blocked"),
                            ({"retry": {"max_attempts": "2"}},
                             "retry.max_attempts")):
            with self.subTest(body=body):
                err = self.expect_error(400, "invalid_field", "PATCH",
                                        "/v1/adapters/hook", body)
                self.assertEqual(err["details"].get("field"), field)
        got = self.expect(200, "GET", "/v1/adapters/hook")
        self.assertEqual((got["concurrency"], got["blocked"]), (64, False))

    def test_create_adapter_missing_required_fields(self):
        for body, field in (({"type": "webhook",
                              "config": {"url": "https://x.example"}}, "name"),
                            ({"name": "hook"}, "type"),
                            ({}, "name")):
            with self.subTest(body=body):
                err = self.expect_error(400, "invalid_field", "POST",
                                        "/v1/adapters", body)
                self.assertEqual(err["details"].get("field"), field)

    def test_retry_partial_patch_keeps_other_fields(self):
        self.create_adapter(dict(HOOK, retry={"max_attempts": 7,
                                              "initial_backoff_ms": 250,
                                              "max_backoff_ms": 9000}))
        p = self.expect(200, "PATCH", "/v1/adapters/hook",
                        {"retry": {"max_attempts": 2}})
        self.assertEqual(p["retry"], {"max_attempts": 2,
                                      "initial_backoff_ms": 250,
                                      "max_backoff_ms": 9000})
        p = self.expect(200, "PATCH", "/v1/adapters/hook",
                        {"retry": {"max_backoff_ms": 20000}})
        self.assertEqual(p["retry"], {"max_attempts": 2,
                                      "initial_backoff_ms": 250,
                                      "max_backoff_ms": 20000})
        self.assertEqual(self.expect(200, "GET", "/v1/adapters/hook")["retry"],
                         p["retry"])

    def test_retry_initial_backoff_above_max_is_refused(self):
        self.expect_error(400, "invalid_field", "POST", "/v1/adapters",
                          dict(HOOK, retry={"initial_backoff_ms": 5000,
                                            "max_backoff_ms": 1000}))
        # Partial: the default max_backoff_ms is 60000.
        self.expect_error(400, "invalid_field", "POST", "/v1/adapters",
                          dict(HOOK, retry={"initial_backoff_ms": 120000}))
        self.create_adapter(HOOK)
        self.expect_error(400, "invalid_field", "PATCH", "/v1/adapters/hook",
                          {"retry": {"max_backoff_ms": 10}})
        self.expect_error(400, "invalid_field", "PATCH", "/v1/adapters/hook",
                          {"retry": {"initial_backoff_ms": 70000}})
        self.assertEqual(self.expect(200, "GET", "/v1/adapters/hook")["retry"],
                         {"max_attempts": 5, "initial_backoff_ms": 1000,
                          "max_backoff_ms": 60000})

    def test_missing_adapter_is_404(self):
        for method, path, body in (
                ("GET", "/v1/adapters/nope", None),
                ("PATCH", "/v1/adapters/nope", {"blocked": True}),
                ("DELETE", "/v1/adapters/nope", None),
                ("POST", "/v1/adapters/nope/keys", None)):
            with self.subTest(method=method, path=path):
                self.expect_error(404, "not_found", method, path, body)


class HttpEdgeTests(AdminTestCase):

    def test_health_and_readiness(self):
        for path in ("/healthz", "/readyz"):
            with self.subTest(path=path):
                status, headers, _ = self.call("GET", path, token=None)
                self.assertEqual(status, 200)

    def test_malformed_json(self):
        for raw in ('{"name": ', "nope", "{'name': 'x'}", '{"name": "x",}',
                    "", "\xff"):
            with self.subTest(body=raw):
                self.expect_error(400, "malformed_json", "POST", "/v1/clients",
                                  raw.encode("latin-1"))
        self.expect_error(400, "malformed_json", "PATCH", "/v1/adapters/x",
                          b"{")

    def test_body_that_is_not_an_object(self):
        for raw in ("[]", '"billing"', "5", "null", "true",
                    '[{"name": "x", "adapters": "*"}]'):
            with self.subTest(body=raw):
                self.expect_error(400, "malformed_json", "POST", "/v1/clients",
                                  raw)
                self.expect_error(400, "malformed_json", "POST",
                                  "/v1/adapters", raw)

    def test_body_without_json_content_type(self):
        body = json.dumps({"name": "billing", "adapters": "*"})
        for ctype in (OMIT, "text/plain", "application/x-www-form-urlencoded",
                      "application/jsonx"):
            with self.subTest(content_type=ctype):
                self.expect_error(415, "unsupported_media_type", "POST",
                                  "/v1/clients", body,
                                  headers={"Content-Type": ctype})
        self.assertEqual(self.expect(200, "GET", "/v1/clients"),
                         {"clients": []})
        # Parameters and case do not matter.
        self.expect(201, "POST", "/v1/clients", body,
                    headers={"Content-Type": "Application/JSON; charset=utf-8"})

    def test_unknown_route(self):
        for method, path in (("GET", "/"), ("GET", "/v1"), ("GET", "/v1/jobz"),
                             ("GET", "/v2/clients"), ("GET", "/v1/clients/"),
                             ("GET", "/v1/clients/a/b"),
                             ("POST", "/v1/adapters/x/keys/y")):
            with self.subTest(method=method, path=path):
                self.expect_error(404, "not_found", method, path)

    def test_wrong_method(self):
        for method, path, allow in (
                ("PUT", "/v1/clients", {"GET", "POST"}),
                ("DELETE", "/v1/adapters", {"GET", "POST"}),
                ("POST", "/v1/clients/cl_x", {"GET", "PATCH", "DELETE"}),
                ("GET", "/v1/clients/cl_x/keys", {"POST"}),
                ("POST", "/healthz", {"GET"})):
            with self.subTest(method=method, path=path):
                res = self.call(method, path)
                assert_error(self, res, 405, "method_not_allowed")
                header = res[1].get("Allow")
                self.assertIsNotNone(header, "no Allow header")
                self.assertEqual({m.strip() for m in header.split(",")}, allow)

    def test_no_credentials(self):
        for method, path, body in (
                ("GET", "/v1/clients", None),
                ("POST", "/v1/clients", {"name": "x", "adapters": "*"}),
                ("GET", "/v1/adapters", None),
                ("POST", "/v1/adapters", HOOK),
                ("GET", "/v1/adapters/hook", None),
                ("DELETE", "/v1/clients/cl_x", None)):
            with self.subTest(method=method, path=path):
                self.expect_error(401, "unauthorized", method, path, body,
                                  token=None)
        self.assertEqual(self.expect(200, "GET", "/v1/clients"),
                         {"clients": []})
        self.assertEqual(self.expect(200, "GET", "/v1/adapters"),
                         {"adapters": []})

    def test_credentials_are_checked_before_the_body(self):
        # A stranger learns 401, not how its body would have fared.
        self.expect_error(401, "unauthorized", "POST", "/v1/clients", "x=1",
                          token=None, headers={"Content-Type": "text/plain"})
        self.expect_error(401, "unauthorized", "POST", "/v1/clients", "{",
                          token=None)

    def test_unauthorized_answers_name_the_scheme(self):
        status, headers, _ = self.call("GET", "/v1/clients", token=None)
        self.assertEqual(status, 401)
        self.assertTrue(headers.get("WWW-Authenticate", "").startswith("Bearer"))

    def test_bearer_scheme_is_case_insensitive(self):
        for scheme in ("bearer", "BEARER", "Bearer"):
            with self.subTest(scheme=scheme):
                self.expect(200, "GET", "/v1/clients", token=None, headers={
                    "Authorization": scheme + " " + self.node.admin_token})

    def test_wrong_credentials(self):
        bad = [self.node.admin_token + "x", self.node.admin_token[:-1],
               "nope", self.node.admin_token.upper()]
        for token in bad:
            with self.subTest(token=token):
                self.expect_error(401, "unauthorized", "GET", "/v1/clients",
                                  token=token)
        for header in ("Basic " + self.node.admin_token, self.node.admin_token,
                       "Bearer"):
            with self.subTest(authorization=header):
                self.expect_error(401, "unauthorized", "GET", "/v1/clients",
                                  token=None,
                                  headers={"Authorization": header})
        self.expect_error(401, "unauthorized", "GET", "/v1/adapters",
                          api_key="nsk_notakeyatallnotakeyatall")
        self.expect_error(401, "unauthorized", "GET", "/v1/clients",
                          api_key="nsk_notakeyatallnotakeyatall")

    def test_client_key_on_admin_routes_is_forbidden(self):
        self.create_adapter(HOOK)
        c = self.create_client("billing", "*")
        for method, path, body in (
                ("GET", "/v1/clients", None),
                ("GET", "/v1/clients/" + c["id"], None),
                ("POST", "/v1/clients", {"name": "x", "adapters": "*"}),
                ("PATCH", "/v1/clients/" + c["id"], {"blocked": False}),
                ("POST", "/v1/clients/%s/keys" % c["id"], None),
                ("POST", "/v1/adapters", dict(HOOK, name="hook2")),
                ("GET", "/v1/adapters/hook", None),
                ("DELETE", "/v1/adapters/hook", None)):
            with self.subTest(method=method, path=path):
                self.expect_error(403, "forbidden", method, path, body,
                                  api_key=c["api_key"])
        self.assertEqual(len(self.expect(200, "GET", "/v1/clients")["clients"]),
                         1)
        self.expect(200, "GET", "/v1/adapters/hook")

    def test_body_over_the_limit_is_413_and_the_server_goes_on(self):
        body = json.dumps({"name": "big", "type": "external",
                           "params_schema": {"description":
                                             "x" * (3 << 20)}})
        conn = self.node.connect(timeout=15)
        other = self.node.connect()
        try:
            conn.request("POST", "/v1/adapters", body=body.encode(), headers={
                "Content-Type": "application/json",
                "Authorization": "Bearer " + self.node.admin_token})
            resp = conn.getresponse()
            raw = resp.read()
            self.assertEqual(resp.status, 413, raw[:200])
            assert_error(self, (resp.status, resp.headers, json.loads(raw)),
                         413, "payload_too_large")
            self.assertEqual(resp.getheader("Content-Type"),
                             "application/json")
            # While that connection is still open, others are served.
            other.request("GET", "/healthz")
            self.assertEqual(other.getresponse().status, 200)
        finally:
            conn.close()
            other.close()
        # Nothing was created.
        self.assertEqual(self.expect(200, "GET", "/v1/adapters"),
                         {"adapters": []})

    def test_connection_left_open_after_an_early_413_is_closed_in_seconds(self):
        # After an early error nsd reads and discards for 5 s, then closes:
        # a nearer deadline than the 30 s read timeout the connection had.
        import time
        with socket.create_connection(("127.0.0.1", self.node.port),
                                      timeout=20) as s:
            s.sendall(b"POST /v1/adapters HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\n"
                      b"Content-Length: 4194304\r\n\r\n" + b"x" * 1024)
            start = time.monotonic()
            got = b""
            while True:  # the answer, then nsd's FIN (it shuts its side)
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            # nsd still reads (and drops) what the client sends, until the
            # drain deadline closes the socket: then sending fails.
            closed = False
            while not closed and time.monotonic() - start < 15:
                try:
                    s.sendall(b"x" * 1024)
                    time.sleep(0.2)
                except OSError:
                    closed = True
            waited = time.monotonic() - start
        self.assertTrue(closed, "nsd kept the connection open for 15 s")
        self.assertIn(b" 413 ", got.split(b"\r\n", 1)[0])
        self.assertGreater(waited, 3.0)
        self.assertLess(waited, 12.0)

    def test_head_over_16KiB_is_431(self):
        res = self.call("GET", "/v1/clients", headers={"X-Pad": "a" * 17000})
        assert_error(self, res, 431, "header_too_large")
        self.assertEqual(self.expect(200, "GET", "/v1/clients"),
                         {"clients": []})

    def test_error_bodies_are_json_with_json_content_type(self):
        """Every non-2xx answer is {"error": {code, message, details}}."""
        cases = [("GET", "/nope", None, {}),
                 ("PUT", "/v1/clients", None, {}),
                 ("GET", "/v1/clients", None, {"token": None}),
                 ("POST", "/v1/clients", "{", {}),
                 ("GET", "/v1/clients/cl_missing", None, {})]
        for method, path, body, kw in cases:
            with self.subTest(method=method, path=path):
                status, headers, parsed = self.call(method, path, body, **kw)
                self.assertGreaterEqual(status, 400)
                self.assertEqual(headers.get("Content-Type"),
                                 "application/json")
                assert_error(self, (status, headers, parsed), status,
                             parsed["error"]["code"])
                self.assertRegex(parsed["error"]["code"], r"^[a-z][a-z_]*$")

    def test_malformed_http_request_gets_400(self):
        with socket.create_connection(("127.0.0.1", self.node.port),
                                      timeout=5) as s:
            s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 400"), data[:200])
        err = json.loads(body)
        self.assertEqual(set(err["error"]), {"code", "message", "details"})


if __name__ == "__main__":
    unittest.main()
