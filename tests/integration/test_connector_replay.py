"""Lost replies and initial sync rounds, through the real connector.

- A create whose reply is lost (the connector exits right after the
  request, before applying the answer) is sent again by the next sync with
  the same clientId and makes no duplicate, whichever request is cut.
- 1,000 contacts reach a fresh device in exactly 20 rounds of 50.
"""
import re
import unittest

from harness import TempDirTestCase

PW = "Replay-Tests-2026"


class Replay(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.api = self.srv.api("alice", PW)
        self.api.login()
        folders = self.api.result("Folder/sync", {})["created"]
        self.contacts = [f["id"] for f in folders
                         if f["module"] == "contacts" and f["isDefault"]][0]

    def server_names(self):
        ids = [x["id"] for x in self.api.result("Item/list", {"folderId": self.contacts})["items"]]
        if not ids:
            return []
        items = self.api.result("Item/get", {"folderId": self.contacts, "ids": ids})["items"]
        return sorted(it["fields"].get("lastName", "") for it in items)

    def test_lost_reply_at_every_request(self):
        # cut the k-th request of a sync (Folder/sync, then the Item/sync
        # rounds) until k is past the last request of the sync
        expected = []
        cuts = 0
        for k in range(1, 10):
            dev = self.connector("dev%d" % k)
            dev.add_profile("work", self.srv.url, "alice", PW)
            dev.run("sync")
            names = ["K%d-%d" % (k, i) for i in range(3)]
            for n in names:
                dev.run("contacts", "add", "--first-name", "Test", "--last-name", n)
            expected += names
            cut = dev.run("sync", check=False, env={"ATRIUM_EXIT_AFTER_REQUEST": str(k)})
            self.assertIn(cut.returncode, (0, 75), cut.stderr)
            dev.run("sync")
            dev.run("sync")
            self.assertEqual(self.server_names(), sorted(expected),
                             "after a reply lost at request %d" % k)
            local = dev.json("contacts", "list")
            mine = sorted(it["fields"]["lastName"] for it in local)
            self.assertEqual(mine, sorted(expected))
            self.assertTrue(all(it["state"] == "synced" for it in local), local)
            self.assertEqual(len({it["serverId"] for it in local}), len(local))
            if cut.returncode == 0:
                break
            cuts += 1
        self.assertGreaterEqual(cuts, 2)

    def test_thousand_contacts_in_twenty_rounds(self):
        for start in range(0, 1000, 500):
            res = self.api.result("Item/sync", {
                "folderId": self.contacts, "windowSize": 1,
                "changes": {"create": [{"clientId": "seed-%d" % i,
                                        "fields": {"firstName": "N%d" % i,
                                                   "lastName": "Seed"}}
                                       for i in range(start, start + 500)]}})
            self.assertTrue(all(r["status"] == "ok" for r in res["results"]))
        dev = self.connector("fresh")
        dev.add_profile("work", self.srv.url, "alice", PW)
        out = dev.run("sync").stdout
        m = re.search(r"(\d+) received.*?(\d+) rounds, (\d+) requests", out)
        self.assertIsNotNone(m, out)
        # and alice's entry of the Global Address Book, in the first round
        self.assertEqual(int(m.group(1)), 1001, out)
        self.assertEqual(int(m.group(2)), 20, out)
        # Folder/sync plus one request per round
        self.assertEqual(int(m.group(3)), 21, out)
        local = dev.json("contacts", "list")
        self.assertEqual(len(local), 1000)
        self.assertEqual(len({it["serverId"] for it in local}), 1000)
        # a second sync changes nothing and takes one round
        out = dev.run("sync").stdout
        self.assertRegex(out, r"\b0 received")


if __name__ == "__main__":
    unittest.main()
