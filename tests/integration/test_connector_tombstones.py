"""A connector catches up after the server forgot folder deletions.

alice shares her Contacts with bob. bob's connector syncs a tree with that
shared folder and a subfolder of his own, Contacts/Clients, with contacts
in both. While the connector is not syncing, bob edits offline in both
folders; then alice revokes the share and bob deletes Clients through the
API (another device). With the tombstones purged (`atriumd tombstones purge
--older-than 0`) the server cannot tell the connector what went since its
folder token: Folder/sync answers cannotCalculateChanges, and the
connector reads the whole tree again. Its next sync ends with exactly the
server's tree (neither the deleted folder nor the shared one is left), no
error, its own data intact, and every unsent change of the vanished folders
kept in the Sync Issues (`atrium conflicts list`, reason folderRemoved).
Without the purge the same happens incrementally.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Api, TempDirTestCase  # noqa: E402

PW = "Forget-Deletions-2026"
SHARED = "Alice Martin \u2013 Contacts"
REFUSED = "folder token refused"


class ForgottenFolderDeletions(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.srv.add_user("bob", "Bob Stone", "bob@example.org", PW)
        self.srv.start()
        self.a = self.connector("alice")
        self.b = self.connector("bob")
        for dev, login in ((self.a, "alice"), (self.b, "bob")):
            dev.add_profile("work", self.srv.url, login, PW)
            dev.run("sync")
        self.a.run("contacts", "add", "--first-name", "Ada", "--last-name", "Shared")
        self.a.run("folder", "grant", "Contacts", "bob", "editor")
        self.a.run("sync")
        self.b.run("folder", "create", "Contacts/Clients")
        self.b.run("contacts", "add", "--folder", "Contacts/Clients",
                   "--first-name", "Carl", "--last-name", "Client")
        self.b.run("contacts", "add", "--first-name", "Mine", "--last-name", "Own")
        self.b.run("sync")
        self.api = Api(self.srv.url, "bob", PW)
        self.api.login()
        paths = self.paths()
        self.assertIn(SHARED, paths)
        self.assertIn("Contacts/Clients", paths)
        self.clients = paths["Contacts/Clients"]["id"]
        self.shared = paths[SHARED]["id"]
        # the Folder/sync position of bob's connector
        self.old_token = self.api.result("Folder/sync", {})["newToken"]

    # -- helpers ------------------------------------------------------------
    def paths(self):
        return {f["path"]: f for f in self.b.json("folders")}

    def names(self, *args):
        return {it["fields"]["firstName"]: it for it in
                self.b.json("contacts", "list", *args)}

    def work_offline_then_lose_folders(self):
        """bob's unsent changes in both folders; then the share is revoked
        and Clients deleted, neither by this connector."""
        carl = self.names("--folder", "Contacts/Clients")["Carl"]
        self.b.run("contacts", "edit", carl["id"], "--job-title", "Buyer")
        self.b.run("contacts", "add", "--folder", "Contacts/Clients",
                   "--first-name", "Dora", "--company", "Offline Ltd")
        ada = self.names("--folder", SHARED)["Ada"]
        self.b.run("contacts", "edit", ada["id"], "--job-title", "Countess")
        self.a.run("folder", "revoke", "Contacts", "bob")
        res = self.api.result("Folder/set", {"delete": [{"id": self.clients}]})
        self.assertEqual(res["results"][0]["status"], "ok", res)

    def check_caught_up(self, sync):
        self.assertEqual(sync.returncode, 0, sync.stderr)
        # exactly the server's tree
        server = {f["id"]: f for f in self.api.result("Folder/sync", {})["created"]}
        local = {f["id"]: f for f in self.b.json("folders")}
        self.assertEqual(sorted(local), sorted(server))
        for fid, f in server.items():
            for key in ("name", "parentId", "module", "rights"):
                self.assertEqual(local[fid][key], f.get(key), (fid, key))
        self.assertNotIn(self.clients, local)
        self.assertNotIn(self.shared, local)
        paths = {f["path"] for f in local.values()}
        self.assertNotIn(SHARED, paths)
        self.assertNotIn("Contacts/Clients", paths)
        status = self.b.json("status")
        self.assertIsNone(status.get("lastError"), status)
        self.assertEqual(status["errors"], [], status)
        self.assertEqual(status["pending"], 0, status)
        # the unsent changes of the vanished folders are Sync Issues
        issues = self.b.json("conflicts", "list")
        by_name = {i["fields"]["firstName"]: i for i in issues}
        self.assertEqual(sorted(by_name), ["Ada", "Carl", "Dora"], issues)
        for issue in issues:
            self.assertEqual(issue["reason"], "folderRemoved", issue)
        self.assertEqual(by_name["Carl"]["folderId"], self.clients)
        self.assertEqual(by_name["Carl"]["fields"]["jobTitle"], "Buyer")
        self.assertEqual(by_name["Dora"]["fields"]["company"], "Offline Ltd")
        self.assertEqual(by_name["Ada"]["folderId"], self.shared)
        self.assertEqual(by_name["Ada"]["fields"]["jobTitle"], "Countess")
        # bob's own Contacts is untouched and item sync goes on
        mine = self.names()
        self.assertEqual(sorted(mine), ["Mine"])
        self.assertEqual(mine["Mine"]["state"], "synced")
        self.b.run("contacts", "add", "--first-name", "After")
        self.b.run("sync")
        contacts = [f["id"] for f in server.values()
                    if f["module"] == "contacts" and f.get("isDefault")]
        self.assertEqual(len(contacts), 1)
        ids = [i["id"] for i in self.api.result(
            "Item/list", {"folderId": contacts[0]})["items"]]
        got = self.api.result("Item/get", {"folderId": contacts[0], "ids": ids})
        self.assertEqual(sorted(i["fields"]["firstName"] for i in got["items"]),
                         ["After", "Mine"])
        # nothing of the offline work reached alice's folder
        self.a.run("sync")
        alice = self.a.json("contacts", "list")
        self.assertEqual([(i["fields"]["firstName"], i["fields"].get("jobTitle"))
                          for i in alice], [("Ada", None)])

    # -- tests --------------------------------------------------------------
    def test_purged_tombstones_full_tree_reread(self):
        self.work_offline_then_lose_folders()
        cp = self.srv.cli("tombstones", "purge", "--older-than", "0")
        m = re.search(r"purged (\d+)", cp.stdout)
        self.assertIsNotNone(m, cp.stdout)
        # Clients' folder tombstone and bob's access tombstone of the share
        self.assertEqual(int(m.group(1)), 2, cp.stdout)
        status, body = self.api.call("Folder/sync", {"sinceToken": self.old_token})
        self.assertEqual(status, 200, body)
        name, err, _ = body["methodResponses"][0]
        self.assertEqual(name, "error", body)
        self.assertEqual(err["type"], "cannotCalculateChanges")
        self.assertEqual(err["scope"], "account")
        self.assertEqual(err["field"], "sinceToken")
        sync = self.b.run("--log-level", "info", "sync", check=False)
        self.assertIn(REFUSED, sync.stderr)
        self.check_caught_up(sync)
        # the next sync is incremental again
        again = self.b.run("--log-level", "info", "sync")
        self.assertNotIn(REFUSED, again.stderr)

    def test_unpurged_tombstones_incremental(self):
        self.work_offline_then_lose_folders()
        res = self.api.result("Folder/sync", {"sinceToken": self.old_token})
        self.assertEqual(sorted(res["removed"]), sorted([self.clients, self.shared]))
        sync = self.b.run("--log-level", "info", "sync", check=False)
        self.assertNotIn(REFUSED, sync.stderr)
        self.check_caught_up(sync)


if __name__ == "__main__":
    unittest.main()
