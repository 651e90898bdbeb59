"""The Sync Issues folder: losing versions are kept and can be restored.

Two devices of alice change the same field (or one deletes what the other
edits); under the server policy the second device's version loses and is
kept.  `atrium conflicts list|show` shows it, `restore` re-applies it as a
new change that the next sync sends, `discard` forgets it.
"""
import unittest

from harness import TempDirTestCase

PW = "Conflicts-Tests-2026"


class SyncIssues(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.d1 = self.connector("desktop")
        self.d2 = self.connector("laptop")
        for d in (self.d1, self.d2):
            d.add_profile("work", self.srv.url, "alice", PW)
        self.l1 = self.d1.run("contacts", "add", "--first-name", "Ada", "--last-name",
                              "Lovelace", "--company", "Engines").stdout.strip()
        self.d1.run("sync")
        self.d2.run("sync")
        self.sid = self.d1.json("contacts", "show", self.l1)["serverId"]
        self.l2 = [c["id"] for c in self.d2.json("contacts", "list")
                   if c["serverId"] == self.sid][0]
        self.api = self.srv.api("alice", PW)
        self.api.login()
        folders = self.api.result("Folder/sync", {})["created"]
        self.folder = [f["id"] for f in folders if f["module"] == "contacts"][0]

    def server_fields(self):
        ids = [x["id"] for x in self.api.result("Item/list", {"folderId": self.folder})["items"]]
        items = self.api.result("Item/get", {"folderId": self.folder, "ids": ids})["items"]
        return [it["fields"] for it in items]

    def make_field_conflict(self):
        self.d1.run("contacts", "edit", self.l1, "--company", "First Inc")
        self.d2.run("contacts", "edit", self.l2, "--company", "Second Ltd")
        self.d1.run("sync")
        self.d2.run("sync")
        issues = self.d2.json("conflicts", "list")
        self.assertEqual(len(issues), 1, issues)
        self.assertEqual(issues[0]["reason"], "conflict")
        self.assertEqual(issues[0]["fields"], {"company": "Second Ltd"})
        return issues[0]["id"]

    def test_restore_conflict_loser(self):
        iid = self.make_field_conflict()
        self.assertEqual(self.server_fields()[0]["company"], "First Inc")
        shown = self.d2.run("conflicts", "show", str(iid)).stdout
        self.assertIn("Second Ltd", shown)
        self.assertIn("conflict", shown)
        self.d2.run("conflicts", "restore", str(iid))
        self.assertEqual(self.d2.json("conflicts", "list"), [])
        self.d2.run("sync")
        self.assertEqual(self.server_fields()[0]["company"], "Second Ltd")
        self.d1.run("sync")
        self.assertEqual(self.d1.json("contacts", "show", self.l1)["fields"]["company"],
                         "Second Ltd")

    def test_discard(self):
        iid = self.make_field_conflict()
        self.d2.run("conflicts", "discard", str(iid))
        self.assertEqual(self.d2.json("conflicts", "list"), [])
        self.d2.run("sync")
        self.assertEqual(self.server_fields()[0]["company"], "First Inc")
        missing = self.d2.run("conflicts", "discard", str(iid), check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no sync issue", missing.stderr)

    def test_edit_versus_delete_then_restore(self):
        self.d1.run("contacts", "delete", self.l1)
        self.d2.run("contacts", "edit", self.l2, "--job-title", "Countess")
        self.d1.run("sync")
        self.d2.run("sync")
        self.assertEqual(self.server_fields(), [])
        issues = self.d2.json("conflicts", "list")
        self.assertEqual([i["reason"] for i in issues], ["deletedOnServer"])
        self.assertEqual(issues[0]["fields"]["jobTitle"], "Countess")
        self.d2.run("conflicts", "restore", str(issues[0]["id"]))
        self.d2.run("sync")
        srv = self.server_fields()
        self.assertEqual(len(srv), 1)
        self.assertEqual(srv[0]["jobTitle"], "Countess")
        self.assertEqual(srv[0]["lastName"], "Lovelace")


if __name__ == "__main__":
    unittest.main()
