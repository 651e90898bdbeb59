"""Isolation between users (docs/protocol.md §5 Folder, §6 methods).

Scenario: one atriumd, alice and bob, no grants between them. Bob must not
see, read or change anything of alice's: Item/sync (with and without
changes), Item/list and Item/get on her folders answer forbidden with scope
folder; Folder/sync never lists her folders; her item ids or client ids used
inside bob's own folder neither reveal nor touch her items. After each
attempt alice's data is checked, through alice, to be exactly as before.

Every reply is checked against its schema by the harness.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Api, TempDirTestCase  # noqa: E402

ALICE_PASSWORD = "Corr3ct-Horse-9"
BOB_PASSWORD = "Bl4ck-Kettle-Sings"


def atriumd_binary():
    """$ATRIUMD made absolute: the harness runs the binary from the test's
    temporary directory, where a relative path would not resolve."""
    path = os.environ.get("ATRIUMD")
    return os.path.abspath(path) if path else None


class AccessTest(TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.srv = self.server(binary=atriumd_binary())
        self.srv.add_user("alice", "Alice Example", "alice@example.test",
                          ALICE_PASSWORD)
        self.srv.add_user("bob", "Bob Example", "bob@example.test", BOB_PASSWORD)
        self.srv.start()
        self.alice = Api(self.srv.url, "alice", ALICE_PASSWORD)
        self.bob = Api(self.srv.url, "bob", BOB_PASSWORD)
        self.assertEqual(self.alice.login().status, 200)
        self.assertEqual(self.bob.login().status, 200)
        self.alice_folders = self.folders(self.alice)
        self.bob_folders = self.folders(self.bob)
        self.a_contacts = self.alice_folders["contacts"]["id"]
        self.b_contacts = self.bob_folders["contacts"]["id"]
        res = self.alice.result("Item/sync", {
            "folderId": self.a_contacts, "sinceToken": None,
            "changes": {"create": [
                {"clientId": "alice-1", "fields": {"firstName": "Secret",
                                                   "email1": "s@example.test"}},
                {"clientId": "alice-2", "fields": {"firstName": "Hidden",
                                                   "private": True}}]}})
        self.assertEqual([r["status"] for r in res["results"]], ["ok", "ok"])
        self.a_items = [r["item"] for r in res["results"]]
        self.alice_token = res["newToken"]
        self.before = self.snapshot()

    # -- helpers

    def folders(self, api):
        res = api.result("Folder/sync", {"sinceToken": None})
        return {f["module"]: f for f in res["created"] if f["type"] == "private"}

    def snapshot(self):
        """Everything of alice's, seen through alice."""
        out = {}
        for module, f in self.alice_folders.items():
            listing = self.alice.result("Item/list", {"folderId": f["id"]})
            ids = [i["id"] for i in listing["items"]]
            got = self.alice.result("Item/get", {"folderId": f["id"], "ids": ids})
            self.assertEqual(got["notFound"], [])
            out[module] = sorted((it["id"], it["version"], repr(it["fields"]))
                                 for it in got["items"])
        res = self.alice.result("Item/sync", {"folderId": self.a_contacts,
                                              "sinceToken": self.alice_token})
        out["changes since setup"] = res["changes"]
        return out

    def assertAliceUnchanged(self):
        self.assertEqual(self.snapshot(), self.before)

    def assertForbidden(self, api, method, args):
        status, body = api.call(method, args)
        self.assertEqual(status, 200, body)
        name, err, _ = body["methodResponses"][0]
        self.assertEqual(name, "error", "%s answered %s" % (method, body))
        self.assertEqual(err["type"], "forbidden", err)
        self.assertEqual(err["scope"], "folder", err)
        # the error tells nothing of the folder's content
        for it in self.a_items:
            for value in it["fields"].values():
                if isinstance(value, str):
                    self.assertNotIn(value, err["message"])
        return err

    # -- tests

    def test_folder_sync_never_lists_other_users_folders(self):
        bob_id = self.bob.session().body["user"]["id"]
        alice_ids = {f["id"] for f in self.alice_folders.values()}
        res = self.bob.result("Folder/sync", {"sinceToken": None})
        # his own three and the Global Address Book, owned by nobody
        self.assertEqual(len(res["created"]), 4)
        for f in res["created"] + res["updated"]:
            self.assertEqual(f["ownerId"], None if f["id"] == "gab" else bob_id)
            self.assertNotIn(f["id"], alice_ids)
        self.assertEqual(res["removed"], [])
        # alice's activity does not show up in bob's folder tree
        self.alice.result("Item/sync", {
            "folderId": self.a_contacts, "sinceToken": self.alice_token,
            "changes": {"create": [{"clientId": "alice-3",
                                    "fields": {"firstName": "More"}}]}})
        again = self.bob.result("Folder/sync", {"sinceToken": res["newToken"]})
        self.assertEqual((again["created"], again["updated"], again["removed"]),
                         ([], [], []))
        self.assertFalse(alice_ids & set(again["removed"]))

    def test_item_sync_on_other_users_folder_is_forbidden(self):
        for module, f in self.alice_folders.items():
            with self.subTest(module=module):
                self.assertForbidden(self.bob, "Item/sync", {"folderId": f["id"]})
                self.assertForbidden(self.bob, "Item/sync",
                                     {"folderId": f["id"], "sinceToken": None,
                                      "windowSize": 512})
        # with a token alice got for that folder
        self.assertForbidden(self.bob, "Item/sync",
                             {"folderId": self.a_contacts,
                              "sinceToken": self.alice_token})
        self.assertAliceUnchanged()

    def test_item_sync_changes_on_other_users_folder_are_forbidden(self):
        a1, a2 = self.a_items
        attempts = [
            {"create": [{"clientId": "bob-1", "fields": {"firstName": "Planted"}}]},
            {"update": [{"id": a1["id"], "baseVersion": a1["version"],
                         "fields": {"firstName": "Defaced"}}]},
            {"delete": [{"id": a2["id"], "baseVersion": a2["version"]}]},
            # a stale version and the client policy do not help either
            {"delete": [{"id": a1["id"], "baseVersion": 0}]},
            {"create": [{"clientId": "bob-2", "fields": {"firstName": "X"}}],
             "update": [{"id": a2["id"], "baseVersion": a2["version"],
                         "fields": {"private": False}}],
             "delete": [{"id": a1["id"], "baseVersion": a1["version"]}]},
        ]
        for changes in attempts:
            for policy in ("server", "client"):
                with self.subTest(changes=sorted(changes), policy=policy):
                    self.assertForbidden(self.bob, "Item/sync", {
                        "folderId": self.a_contacts, "sinceToken": None,
                        "conflictPolicy": policy, "changes": changes})
                    self.assertAliceUnchanged()
        # nothing of bob's landed in his own folder either
        self.assertEqual(self.bob.result("Item/list", {"folderId": self.b_contacts})
                         ["items"], [])

    def test_item_list_and_get_on_other_users_folder_are_forbidden(self):
        ids = [it["id"] for it in self.a_items]
        for module, f in self.alice_folders.items():
            with self.subTest(module=module):
                self.assertForbidden(self.bob, "Item/list", {"folderId": f["id"]})
                self.assertForbidden(self.bob, "Item/get",
                                     {"folderId": f["id"], "ids": ids})
                self.assertForbidden(self.bob, "Item/get",
                                     {"folderId": f["id"], "ids": []})
        self.assertAliceUnchanged()

    def test_unknown_folder_is_not_found(self):
        for method, args in [("Item/list", {"folderId": "0" * 24}),
                             ("Item/get", {"folderId": "0" * 24, "ids": []}),
                             ("Item/sync", {"folderId": "0" * 24})]:
            with self.subTest(method=method):
                status, body = self.bob.call(method, args)
                name, err, _ = body["methodResponses"][0]
                self.assertEqual(name, "error", body)
                self.assertEqual(err["type"], "notFound")

    def test_other_users_item_ids_in_own_folder(self):
        a1, a2 = self.a_items
        bob_id = self.bob.session().body["user"]["id"]
        # update by id: the item is not in this folder -> deleted semantics
        for policy in ("server", "client"):
            with self.subTest(policy=policy):
                res = self.bob.result("Item/sync", {
                    "folderId": self.b_contacts, "sinceToken": None,
                    "conflictPolicy": policy,
                    "changes": {"update": [{"id": a1["id"],
                                            "baseVersion": a1["version"],
                                            "fields": {"firstName": "Defaced"}}]}})
                r = res["results"][0]
                self.assertEqual(r["status"], "error", r)
                self.assertIn(r["error"]["type"], ("itemDeleted", "notFound"), r)
                self.assertEqual(r["error"]["scope"], "item")
                self.assertNotIn("item", r)
                if r["error"]["type"] == "itemDeleted":
                    self.assertIs(r["conflict"].get("deletedOnServer"), True)
                    # "lost" may only hold bob's own patch, nothing of alice's
                    self.assertEqual(r["conflict"]["lost"], {"firstName": "Defaced"})
                self.assertEqual(res["changes"], {"upserted": [], "removed": []})
                self.assertAliceUnchanged()
        # delete by id: already gone from this folder (ok) or not found
        for base in (a2["version"], 0):
            res = self.bob.result("Item/sync", {
                "folderId": self.b_contacts, "sinceToken": None,
                "conflictPolicy": "client",
                "changes": {"delete": [{"id": a2["id"], "baseVersion": base}]}})
            r = res["results"][0]
            if r["status"] == "error":
                self.assertIn(r["error"]["type"], ("notFound", "itemDeleted"), r)
            self.assertNotIn("item", r)
            self.assertNotIn("conflict", r)
            self.assertAliceUnchanged()
        # get by id in bob's folder: not found
        got = self.bob.result("Item/get", {"folderId": self.b_contacts,
                                           "ids": [a1["id"], a2["id"]]})
        self.assertEqual(got["items"], [])
        self.assertEqual(sorted(got["notFound"]), sorted([a1["id"], a2["id"]]))
        # alice's client id is not a replay for bob: a new item of his own
        res = self.bob.result("Item/sync", {
            "folderId": self.b_contacts, "sinceToken": None,
            "changes": {"create": [{"clientId": "alice-1",
                                    "fields": {"firstName": "Bob's own"}}]}})
        r = res["results"][0]
        self.assertEqual(r["status"], "ok", r)
        self.assertNotEqual(r.get("replayed"), True, r)
        self.assertNotIn(r["id"], (a1["id"], a2["id"]))
        self.assertEqual(r["item"]["folderId"], self.b_contacts)
        self.assertEqual(r["item"]["createdBy"], bob_id)
        self.assertEqual(r["item"]["fields"], {"firstName": "Bob's own"})
        listing = self.bob.result("Item/list", {"folderId": self.b_contacts})
        self.assertEqual([i["id"] for i in listing["items"]], [r["id"]])
        self.assertAliceUnchanged()


if __name__ == "__main__":
    unittest.main()
