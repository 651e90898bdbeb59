"""An acknowledged write survives kill -9 of the server (DESIGN §8).

Scenario: one atriumd, one user. 200 contacts are created in several
Item/sync requests and some of them updated and deleted; the server is
killed with SIGKILL right after the last answer and restarted on the same
data directory. Everything acknowledged is there with the same versions and
fields, tokens issued before the crash (bearer and sync tokens) still work,
and versions keep growing after the restart.

Every reply is checked against its schema by the harness.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Api, TempDirTestCase  # noqa: E402

PASSWORD = "Corr3ct-Horse-9"


def atriumd_binary():
    """$ATRIUMD made absolute: the harness runs the binary from the test's
    temporary directory, where a relative path would not resolve."""
    path = os.environ.get("ATRIUMD")
    return os.path.abspath(path) if path else None


class DurabilityTest(TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.srv = self.server(binary=atriumd_binary())
        self.srv.add_user("alice", "Alice Example", "alice@example.test", PASSWORD)
        self.srv.start()
        self.api = Api(self.srv.url, "alice", PASSWORD)
        self.assertEqual(self.api.login().status, 200)
        folders = self.api.result("Folder/sync", {})["created"]
        self.contacts = [f for f in folders if f["module"] == "contacts"][0]["id"]

    def state(self, api):
        listing = api.result("Item/list", {"folderId": self.contacts})
        ids = [i["id"] for i in listing["items"]]
        self.assertEqual(len(ids), len(set(ids)))
        got = api.result("Item/get", {"folderId": self.contacts, "ids": ids})
        self.assertEqual(got["notFound"], [])
        versions = {i["id"]: i["version"] for i in listing["items"]}
        out = {}
        for it in got["items"]:
            self.assertEqual(it["version"], versions[it["id"]])
            out[it["id"]] = (it["version"], it["fields"])
        self.assertEqual(set(out), set(ids))
        return out

    def test_acknowledged_writes_survive_kill_9(self):
        acked = {}          # id -> (version, fields) as the answers said
        client_ids = {}     # id -> clientId
        token = None
        for batch in range(4):
            creates = [{"clientId": "dur-%d-%02d" % (batch, n),
                        "fields": {"firstName": "Person %d.%d" % (batch, n),
                                   "lastName": "Durable",
                                   "notes": "batch %d\nitem %d" % (batch, n)}}
                       for n in range(50)]
            res = self.api.result("Item/sync", {"folderId": self.contacts,
                                                "sinceToken": token,
                                                "changes": {"create": creates}})
            for r in res["results"]:
                self.assertEqual(r["status"], "ok", r)
                acked[r["id"]] = (r["version"], r["item"]["fields"])
                client_ids[r["id"]] = r["clientId"]
            token = res["newToken"]
        self.assertEqual(len(acked), 200)

        # one more acknowledged request: updates and deletes, then the crash
        ids = sorted(acked)
        upd, dele = ids[:10], ids[10:15]
        res = self.api.result("Item/sync", {
            "folderId": self.contacts, "sinceToken": token,
            "changes": {
                "update": [{"id": i, "baseVersion": acked[i][0],
                            "fields": {"jobTitle": "Survivor"}} for i in upd],
                "delete": [{"id": i, "baseVersion": acked[i][0]} for i in dele]}})
        for r in res["results"]:
            self.assertEqual(r["status"], "ok", r)
            if r["op"] == "update":
                acked[r["id"]] = (r["version"], r["item"]["fields"])
            else:
                del acked[r["id"]]
        last_token = res["newToken"]
        pre_crash_token = self.api.token
        self.srv.kill9()
        self.assertFalse(self.srv.running())

        self.srv.start()
        api = Api(self.srv.url, "alice", PASSWORD)
        api.token = pre_crash_token           # no new login
        session = api.session(auth="bearer")
        self.assertEqual(session.status, 200, session.body)
        self.assertEqual(session.body["user"]["login"], "alice")

        after = self.state(api)
        self.assertEqual(len(after), 195)
        self.assertEqual(after, acked)
        for i in upd:
            self.assertEqual(after[i][1]["jobTitle"], "Survivor")

        # the last sync token is still valid and nothing is new after it
        res = api.result("Item/sync", {"folderId": self.contacts,
                                       "sinceToken": last_token})
        self.assertEqual(res["changes"], {"upserted": [], "removed": []})
        self.assertFalse(res["moreAvailable"])

        # versions keep growing: a write after the restart is newer than
        # every write acknowledged before it
        res = api.result("Item/sync", {
            "folderId": self.contacts, "sinceToken": res["newToken"],
            "changes": {"create": [{"clientId": "after-crash",
                                    "fields": {"firstName": "Later"}}],
                        "update": [{"id": ids[20], "baseVersion": acked[ids[20]][0],
                                    "fields": {"lastName": "Changed"}}]}})
        self.assertEqual([r["status"] for r in res["results"]], ["ok", "ok"])
        newest = max(v for v, _ in acked.values())
        for r in res["results"]:
            self.assertGreater(r["version"], newest)
        # a replay of a create acknowledged before the crash is recognised
        kept = ids[30]
        res = api.result("Item/sync", {
            "folderId": self.contacts, "sinceToken": res["newToken"],
            "changes": {"create": [{"clientId": client_ids[kept],
                                    "fields": acked[kept][1]}]}})
        self.assertIs(res["results"][0].get("replayed"), True, res["results"][0])
        self.assertEqual(res["results"][0]["id"], kept)
        self.assertEqual(len(self.state(api)), 196)


if __name__ == "__main__":
    unittest.main()
