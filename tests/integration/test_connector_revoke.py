"""A revoked share leaves the grantee's connector; unsent work is kept.

alice shares her Contacts with bob (editor) from her connector. bob syncs,
then works offline in the shared folder: he edits one of alice's contacts,
adds one and deletes another. Before he syncs, alice revokes the share.
bob's next sync drops the folder and its items from his connector, and each
of his unsent changes is in the Sync Issues (`atrium conflicts list`) with
reason folderRemoved and the values he typed; nothing of it reached
alice's folder. Restoring an issue puts the contact into bob's own Contacts.
The same happens when the grant is lowered to a level that cannot see the
folder, through a group.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Api, TempDirTestCase  # noqa: E402

PW = "Revoke-Share-2026"
SHARED = "Alice Martin \u2013 Contacts"


class RevokedShare(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.srv.add_user("bob", "Bob Stone", "bob@example.org", PW)
        self.srv.cli("group", "add", "team")
        self.srv.cli("group", "member", "add", "team", "bob")
        self.srv.start()
        self.a = self.connector("alice")
        self.b = self.connector("bob")
        for dev, login in ((self.a, "alice"), (self.b, "bob")):
            dev.add_profile("work", self.srv.url, login, PW)
            dev.run("sync")
        for first in ("Ada", "Grace", "Hedy"):
            self.a.run("contacts", "add", "--first-name", first, "--last-name", "X")
        self.a.run("sync")
        self.api = Api(self.srv.url, "alice", PW)
        self.api.login()
        self.contacts = [f for f in self.api.result("Folder/sync", {})["created"]
                         if f["module"] == "contacts"][0]["id"]

    def server_names(self):
        ids = [i["id"] for i in self.api.result(
            "Item/list", {"folderId": self.contacts})["items"]]
        items = self.api.result("Item/get", {"folderId": self.contacts,
                                             "ids": ids})["items"]
        return {it["fields"]["firstName"]: it["fields"] for it in items}

    def bob_items(self):
        return {it["fields"]["firstName"]: it for it in
                self.b.json("contacts", "list", "--folder", SHARED)}

    def work_offline(self):
        """bob's three unsent changes in alice's folder."""
        items = self.bob_items()
        self.assertEqual(sorted(items), ["Ada", "Grace", "Hedy"])
        self.b.run("contacts", "edit", items["Ada"]["id"], "--job-title", "Countess")
        self.b.run("contacts", "add", "--folder", SHARED, "--first-name", "Bob's",
                   "--company", "Stone Ltd")
        self.b.run("contacts", "delete", items["Hedy"]["id"])
        pending = {it["fields"]["firstName"]: it["state"]
                   for it in self.b.json("contacts", "list", "--folder", SHARED)}
        self.assertEqual(pending, {"Ada": "modified", "Grace": "synced",
                                   "Bob's": "created"})
        return self.server_names()

    def check_folder_gone_and_issues_kept(self, before):
        self.b.run("sync")
        folders = {f["path"] for f in self.b.json("folders")}
        self.assertNotIn(SHARED, folders)
        cp = self.b.run("contacts", "list", "--folder", SHARED, check=False)
        self.assertEqual(cp.returncode, 1)
        issues = self.b.json("conflicts", "list")
        self.assertEqual(sorted(i["fields"]["firstName"] for i in issues),
                         ["Ada", "Bob's", "Hedy"], issues)
        for issue in issues:
            self.assertEqual(issue["reason"], "folderRemoved", issue)
            self.assertEqual(issue["folderId"], self.contacts)
        by_name = {i["fields"]["firstName"]: i for i in issues}
        self.assertEqual(by_name["Ada"]["fields"]["jobTitle"], "Countess")
        self.assertEqual(by_name["Bob's"]["fields"]["company"], "Stone Ltd")
        # nothing of it reached alice's folder
        self.assertEqual(self.server_names(), before)
        # bob's own data is untouched, and a restore lands in his Contacts
        self.assertEqual(self.b.json("contacts", "list"), [])
        self.b.run("conflicts", "restore", str(by_name["Bob's"]["id"]))
        self.b.run("sync")
        mine = self.b.json("contacts", "list")
        self.assertEqual([(it["fields"]["firstName"], it["state"]) for it in mine],
                         [("Bob's", "synced")])
        self.assertEqual(len(self.b.json("conflicts", "list")), 2)

    def test_revoke_of_user_grant(self):
        self.a.run("folder", "grant", "Contacts", "bob", "editor")
        self.b.run("sync")
        before = self.work_offline()
        self.a.run("folder", "revoke", "Contacts", "bob")
        self.check_folder_gone_and_issues_kept(before)

    def test_group_grant_lowered_to_none(self):
        self.a.run("folder", "grant", "Contacts", "@team", "editor")
        self.b.run("sync")
        before = self.work_offline()
        self.a.run("folder", "grant", "Contacts", "@team", "none")
        self.check_folder_gone_and_issues_kept(before)


if __name__ == "__main__":
    unittest.main()
