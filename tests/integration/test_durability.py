"""What nsd answered 2xx survives kill -9, and no plain key ever reaches the
disk."""

import os
import re
import stat
import unittest

from nsd import Nsd, clean_up_after

HOOK = {"name": "hook", "type": "webhook",
        "config": {"url": "https://example.com/hook",
                   "headers": {"Authorization": "Bearer hook-secret"}}}


def files_under(root):
    for dirpath, _, names in os.walk(root):
        for name in names:
            yield os.path.join(dirpath, name)


def files_holding(root, needle):
    """Relative paths of the files under `root` whose bytes contain `needle`."""
    needle = needle.encode()
    hits = []
    for path in files_under(root):
        with open(path, "rb") as f:
            if needle in f.read():
                hits.append(os.path.relpath(path, root))
    return hits


class DurabilityTestCase(unittest.TestCase):

    def node(self, **kw):
        n = Nsd(**kw)
        clean_up_after(self, n)
        return n

    def expect(self, node, status, method, path, body=None, **kw):
        got, _, parsed = node.request(method, path, body, **kw)
        self.assertEqual(got, status, "%s %s -> %r" % (method, path, parsed))
        return parsed

    def assert_no_plain_secret(self, node, keys, allowed_in=()):
        """None of `keys` in any file of the data dir (except `allowed_in`)."""
        files = list(files_under(node.data_dir))
        self.assertTrue(files, "empty data dir")
        for key in keys:
            hits = [h for h in files_holding(node.data_dir, key)
                    if h not in allowed_in]
            self.assertEqual(hits, [], "plain %s... found on disk" % key[:8])


class KillNineTests(DurabilityTestCase):

    def test_registry_survives_kill9_and_keys_stay_hashed(self):
        n = self.node().start()
        issued = []  # every plain key nsd ever answered

        hook = self.expect(n, 201, "POST", "/v1/adapters", HOOK)
        ext = self.expect(n, 201, "POST", "/v1/adapters",
                          {"name": "ext", "type": "external",
                           "params_schema": {"type": "object"}})
        issued.append(ext["api_key"])
        rotated = self.expect(n, 200, "POST", "/v1/adapters/ext/keys")
        issued.append(rotated["api_key"])
        gone = self.expect(n, 201, "POST", "/v1/adapters",
                           {"name": "gone", "type": "external"})
        issued.append(gone["api_key"])
        self.expect(n, 204, "DELETE", "/v1/adapters/gone")
        patched = self.expect(n, 200, "PATCH", "/v1/adapters/hook",
                              {"concurrency": 4,
                               "retry": {"max_attempts": 2}})

        billing = self.expect(n, 201, "POST", "/v1/clients",
                              {"name": "billing", "adapters": ["hook", "ext"],
                               "rate_limit": {"rps": 50, "burst": 100}})
        ops = self.expect(n, 201, "POST", "/v1/clients",
                          {"name": "ops", "adapters": "*"})
        blocked = self.expect(n, 201, "POST", "/v1/clients",
                              {"name": "blocked", "adapters": ["hook"]})
        issued += [billing["api_key"], ops["api_key"], blocked["api_key"]]
        ops_keys = self.expect(n, 200, "POST",
                               "/v1/clients/%s/keys" % ops["id"])
        issued.append(ops_keys["api_key"])
        self.expect(n, 200, "PATCH", "/v1/clients/" + blocked["id"],
                    {"blocked": True})

        clients_before = self.expect(n, 200, "GET", "/v1/clients")["clients"]
        adapters_before = self.expect(n, 200, "GET", "/v1/adapters")["adapters"]
        self.assertEqual(len(clients_before), 3)
        self.assertEqual(len(adapters_before), 2)

        n.kill9()
        # Before any restart only the WAL holds the writes; that the search
        # does see them there, a stored plain name shows.
        self.assertTrue(files_holding(n.data_dir, "https://example.com/hook"),
                        "the search cannot see the stored records")
        self.assert_no_plain_secret(n, issued + [n.admin_token])
        n.restart()

        self.assertEqual(
            sorted(self.expect(n, 200, "GET", "/v1/clients")["clients"],
                   key=lambda c: c["id"]),
            sorted(clients_before, key=lambda c: c["id"]))
        self.assertEqual(self.expect(n, 200, "GET", "/v1/adapters")["adapters"],
                         adapters_before)
        got = self.expect(n, 200, "GET", "/v1/clients/" + billing["id"])
        self.assertEqual((got["name"], got["adapters"], got["rate_limit"]),
                         ("billing", ["hook", "ext"],
                          {"rps": 50, "burst": 100}))
        got = self.expect(n, 200, "GET", "/v1/adapters/hook")
        self.assertEqual(got["concurrency"], 4)
        self.assertEqual(got["retry"], patched["retry"])
        self.assertEqual(got["config"]["headers"]["Authorization"], "***")
        self.assertEqual(got["created_at"], hook["created_at"])
        got = self.expect(n, 200, "GET", "/v1/adapters/ext")
        self.assertEqual((got["type"], got["params_schema"]),
                         ("external", {"type": "object"}))
        self.assertNotIn("api_key", got)
        self.expect(n, 404, "GET", "/v1/adapters/gone")

        # Keys: issued ones work, rotated-away ones stay dead.
        view = self.expect(n, 200, "GET", "/v1/adapters",
                           api_key=billing["api_key"])
        self.assertEqual(sorted(a["name"] for a in view["adapters"]),
                         ["ext", "hook"])
        self.expect(n, 200, "GET", "/v1/adapters",
                    api_key=ops_keys["api_key"])
        self.expect(n, 401, "GET", "/v1/adapters", api_key=ops["api_key"])
        self.expect(n, 403, "GET", "/v1/adapters", api_key=blocked["api_key"])
        # The adapter key cannot be tried over HTTP; rotating it again still
        # works on the surviving record.
        again = self.expect(n, 200, "POST", "/v1/adapters/ext/keys")
        issued.append(again["api_key"])
        self.assertNotEqual(again["api_key"], rotated["api_key"])

        self.assertEqual(n.stop(), 0)
        # After a clean stop the data sits in SST files as well.
        self.assert_no_plain_secret(n, issued + [n.admin_token])
        for key in issued:
            self.assertRegex(key, r"^ns[ka]_")

    def test_every_acknowledged_create_survives_kill9(self):
        n = self.node().start()
        conn = n.connect()
        created = {}
        try:
            for i in range(50):
                status, _, body = n.request(
                    "POST", "/v1/clients",
                    {"name": "c%02d" % i, "adapters": "*"}, conn=conn)
                self.assertEqual(status, 201, body)
                created[body["id"]] = body
            n.proc.kill()  # at once after the last 201
        finally:
            conn.close()
        n.kill9()
        n.restart()
        listed = self.expect(n, 200, "GET", "/v1/clients")["clients"]
        self.assertEqual({c["id"] for c in listed}, set(created))
        for c in listed:
            self.assertEqual(c["name"], created[c["id"]]["name"])
        last = list(created.values())[-1]
        self.expect(n, 200, "GET", "/v1/adapters", api_key=last["api_key"])

    def test_acknowledged_deletes_and_patches_survive_kill9(self):
        n = self.node().start()
        a = self.expect(n, 201, "POST", "/v1/clients",
                        {"name": "a", "adapters": "*"})
        b = self.expect(n, 201, "POST", "/v1/clients",
                        {"name": "b", "adapters": "*"})
        self.expect(n, 201, "POST", "/v1/adapters", HOOK)
        self.expect(n, 204, "DELETE", "/v1/clients/" + a["id"])
        self.expect(n, 200, "PATCH", "/v1/clients/" + b["id"],
                    {"blocked": True})
        self.expect(n, 200, "PATCH", "/v1/adapters/hook", {"blocked": True})
        n.kill9()
        n.restart()
        self.expect(n, 404, "GET", "/v1/clients/" + a["id"])
        self.assertIs(self.expect(n, 200, "GET", "/v1/clients/" + b["id"])
                      ["blocked"], True)
        self.assertIs(self.expect(n, 200, "GET", "/v1/adapters/hook")
                      ["blocked"], True)
        self.expect(n, 401, "GET", "/v1/adapters", api_key=a["api_key"])
        self.expect(n, 403, "GET", "/v1/adapters", api_key=b["api_key"])


class GeneratedAdminTokenTests(DurabilityTestCase):

    def token_file(self, n):
        return os.path.join(n.data_dir, "admin.token")

    def test_token_is_generated_kept_and_reused(self):
        n = self.node(admin_token=None).start()
        path = self.token_file(n)
        self.assertTrue(os.path.isfile(path), "no %s" % path)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            token = f.read().strip()
        self.assertGreaterEqual(len(token), 32)
        self.assertIn(path, n.log(), "the log does not say where the token is")
        self.assertEqual(n.admin_token, token)
        c = self.expect(n, 201, "POST", "/v1/clients",
                        {"name": "billing", "adapters": "*"})
        self.expect(n, 401, "GET", "/v1/clients", token=token + "x")
        self.expect(n, 401, "GET", "/v1/clients", token=None)

        n.kill9()
        n.restart()
        self.assertIn(path, n.log())
        with open(path) as f:
            self.assertEqual(f.read().strip(), token)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        listed = self.expect(n, 200, "GET", "/v1/clients")["clients"]
        self.assertEqual([x["id"] for x in listed], [c["id"]])
        self.assertEqual(n.stop(), 0)
        n.restart()
        self.expect(n, 200, "GET", "/v1/clients")
        self.assertEqual(n.stop(), 0)
        # The token is in admin.token and nowhere else; keys nowhere at all.
        self.assert_no_plain_secret(n, [token], allowed_in=("admin.token",))
        self.assert_no_plain_secret(n, [c["api_key"]])

    def test_generated_token_is_not_written_to_the_log(self):
        """The spec: nsd "logs where to find it" - the path, not the secret."""
        n = self.node(admin_token=None).start()
        with open(self.token_file(n)) as f:
            token = f.read().strip()
        self.assertIn(self.token_file(n), n.log())
        self.assertNotIn(token, n.log())

    def test_configured_token_is_nowhere_on_disk(self):
        n = self.node().start()
        self.expect(n, 201, "POST", "/v1/clients",
                    {"name": "billing", "adapters": "*"})
        self.assertFalse(os.path.exists(self.token_file(n)))
        self.assertEqual(n.stop(), 0)
        self.assert_no_plain_secret(n, [n.admin_token])


if __name__ == "__main__":
    unittest.main()
