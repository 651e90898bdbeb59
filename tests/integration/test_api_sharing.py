"""Folder sharing between users (docs/protocol.md Folder/sync,
Folder/getPermissions, Folder/setPermissions; DESIGN §3 Permissions).

Scenario: one atriumd with alice, bob and carol, and a group "team" holding
bob. Alice shares her Contacts: with bob as Reviewer (he sees the folder as
"Alice Martin – Contacts", type shared, reads everything, changes nothing),
then as Author (his own items only), through the group (the same, the
strongest of user and group grant wins), as Editor (her private items stay
invisible, and making an item private or public again shows in his
Item/sync). A revoke removes the folder from his tree and closes it.
Only an admin may change permissions, and the owner keeps Owner rights.

Every reply is checked against its schema by the harness.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Api, MethodError, TempDirTestCase  # noqa: E402

ALICE_PASSWORD = "Corr3ct-Horse-9"
BOB_PASSWORD = "Bl4ck-Kettle-Sings"
CAROL_PASSWORD = "Gr33n-Lantern-Walks"
EN_DASH = "\u2013"


def atriumd_binary():
    path = os.environ.get("ATRIUMD")
    return os.path.abspath(path) if path else None


class SharingTest(TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.srv = self.server(binary=atriumd_binary())
        self.srv.add_user("alice", "Alice Martin", "alice@example.test",
                          ALICE_PASSWORD)
        self.srv.add_user("bob", "Bob Stone", "bob@example.test", BOB_PASSWORD)
        self.srv.add_user("carol", "Carol Jones", "carol@example.test",
                          CAROL_PASSWORD)
        self.srv.cli("group", "add", "team")
        self.srv.cli("group", "member", "add", "team", "bob")
        self.srv.start()
        self.alice = Api(self.srv.url, "alice", ALICE_PASSWORD)
        self.bob = Api(self.srv.url, "bob", BOB_PASSWORD)
        self.carol = Api(self.srv.url, "carol", CAROL_PASSWORD)
        for api in (self.alice, self.bob, self.carol):
            self.assertEqual(api.login().status, 200)
        res = self.alice.result("Folder/sync", {"sinceToken": None})
        self.a_contacts = [f for f in res["created"]
                           if f["module"] == "contacts"][0]["id"]
        self.alice_id = self.alice.session().body["user"]["id"]
        self.bob_id = self.bob.session().body["user"]["id"]
        res = self.bob.result("Folder/sync", {"sinceToken": None})
        # his default folders and the Global Address Book
        self.assertEqual(len(res["created"]), 4)
        self.bob_token = res["newToken"]
        res = self.alice.result("Item/sync", {
            "folderId": self.a_contacts, "sinceToken": None,
            "changes": {"create": [
                {"clientId": "a-1", "fields": {"firstName": "Ada",
                                               "email1": "ada@example.test"}},
                {"clientId": "a-2", "fields": {"firstName": "Grace"}}]}})
        self.assertEqual([r["status"] for r in res["results"]], ["ok", "ok"])
        self.a_items = [r["item"] for r in res["results"]]

    # -- helpers

    def share(self, api, who, level, kind="user"):
        key = "login" if kind == "user" else "name"
        principal = {"type": kind, key: who}
        if level is None:
            args = {"folderId": self.a_contacts, "remove": [principal]}
        else:
            args = {"folderId": self.a_contacts,
                    "set": [{"principal": principal, "level": level}]}
        return api.result("Folder/setPermissions", args)

    def folder_sync(self, api, token):
        """Folder/sync from token; returns (result, alice's folder or None,
        which list it is in)."""
        res = api.result("Folder/sync", {"sinceToken": token})
        where, folder = None, None
        for name in ("created", "updated"):
            for f in res[name]:
                if f["id"] == self.a_contacts:
                    where, folder = name, f
        if self.a_contacts in res["removed"]:
            self.assertIsNone(where)
            where = "removed"
        return res, folder, where

    def bob_sees(self, expect_where, level):
        res, folder, where = self.folder_sync(self.bob, self.bob_token)
        self.bob_token = res["newToken"]
        self.assertEqual(where, expect_where, res)
        if level is not None:
            self.assertEqual(self.level_of(folder), level)
        return folder

    @staticmethod
    def level_of(folder):
        presets = {
            "reviewer": ("see", "all", "none", "none", False),
            "author": ("create", "all", "own", "own", False),
            "editor": ("create", "all", "all", "all", False),
            "owner": ("subfolders", "all", "all", "all", True),
        }
        r = folder["rights"]
        got = (r["folder"], r["read"], r["write"], r["delete"], r["admin"])
        for name, rights in presets.items():
            if rights == got:
                return name
        return repr(got)

    def alice_state(self):
        listing = self.alice.result("Item/list", {"folderId": self.a_contacts})
        ids = [i["id"] for i in listing["items"]]
        got = self.alice.result("Item/get", {"folderId": self.a_contacts,
                                             "ids": ids})
        return sorted((it["id"], it["version"], repr(it["fields"]))
                      for it in got["items"])

    def bob_change(self, changes):
        """Item/sync with one change; returns its result."""
        res = self.bob.result("Item/sync", {"folderId": self.a_contacts,
                                            "sinceToken": None,
                                            "changes": changes})
        self.assertEqual(len(res["results"]), 1)
        return res["results"][0]

    def assertMethodError(self, api, method, args, type_):
        with self.assertRaises(MethodError) as cm:
            api.result(method, args)
        self.assertEqual(cm.exception.error["type"], type_, cm.exception.error)
        return cm.exception.error

    # -- tests

    def test_reviewer_reads_and_changes_nothing(self):
        self.share(self.alice, "bob", "reviewer")
        folder = self.bob_sees("created", "reviewer")
        self.assertEqual(folder["type"], "shared")
        self.assertEqual(folder["displayName"],
                         "Alice Martin %s Contacts" % EN_DASH)
        self.assertEqual(folder["name"], "Contacts")
        self.assertEqual(folder["ownerId"], self.alice_id)
        # reading: list, get, sync
        ids = sorted(it["id"] for it in self.a_items)
        listing = self.bob.result("Item/list", {"folderId": self.a_contacts})
        self.assertEqual(sorted(i["id"] for i in listing["items"]), ids)
        got = self.bob.result("Item/get", {"folderId": self.a_contacts, "ids": ids})
        self.assertEqual(sorted(it["id"] for it in got["items"]), ids)
        res = self.bob.result("Item/sync", {"folderId": self.a_contacts,
                                            "sinceToken": None})
        self.assertEqual(sorted(it["id"] for it in res["changes"]["upserted"]), ids)
        # changing: every change an item error "forbidden", nothing changes
        before = self.alice_state()
        a1 = self.a_items[0]
        for changes in (
                {"create": [{"clientId": "b-1", "fields": {"firstName": "Bob"}}]},
                {"update": [{"id": a1["id"], "baseVersion": a1["version"],
                             "fields": {"firstName": "Changed"}}]},
                {"delete": [{"id": a1["id"], "baseVersion": a1["version"]}]}):
            with self.subTest(changes=sorted(changes)):
                r = self.bob_change(changes)
                self.assertEqual(r["status"], "error", r)
                self.assertEqual(r["error"]["type"], "forbidden", r)
                self.assertEqual(r["error"]["scope"], "item", r)
        self.assertEqual(self.alice_state(), before)
        # alice's tree shows the permission change as an update
        perms = self.alice.result("Folder/getPermissions",
                                  {"folderId": self.a_contacts})
        self.assertEqual([(e["principal"]["type"], e["principal"].get("login"),
                           e["level"]) for e in perms["entries"]],
                         [("user", "alice", "owner"), ("user", "bob", "reviewer")])
        self.assertEqual(perms["entries"][1]["principal"]["displayName"],
                         "Bob Stone")

    def test_author_changes_own_items_only(self):
        self.share(self.alice, "bob", "reviewer")
        self.bob_sees("created", "reviewer")
        self.share(self.alice, "bob", "author")
        self.bob_sees("updated", "author")
        r = self.bob_change({"create": [{"clientId": "b-1",
                                         "fields": {"firstName": "Bob's"}}]})
        self.assertEqual(r["status"], "ok", r)
        mine = r["item"]
        self.assertEqual(mine["createdBy"], self.bob_id)
        r = self.bob_change({"update": [{"id": mine["id"],
                                         "baseVersion": mine["version"],
                                         "fields": {"lastName": "Own"}}]})
        self.assertEqual(r["status"], "ok", r)
        mine = r["item"]
        # alice sees bob's item in her folder
        self.assertIn(mine["id"], [i[0] for i in self.alice_state()])
        before = self.alice_state()
        a1 = self.a_items[0]
        r = self.bob_change({"update": [{"id": a1["id"], "baseVersion": a1["version"],
                                         "fields": {"firstName": "Changed"}}]})
        self.assertEqual(r["error"]["type"], "forbidden", r)
        r = self.bob_change({"delete": [{"id": a1["id"], "baseVersion": a1["version"]}]})
        self.assertEqual(r["error"]["type"], "forbidden", r)
        self.assertEqual(self.alice_state(), before)
        r = self.bob_change({"delete": [{"id": mine["id"],
                                         "baseVersion": mine["version"]}]})
        self.assertEqual(r["status"], "ok", r)
        self.assertEqual(sorted(i[0] for i in self.alice_state()),
                         sorted(it["id"] for it in self.a_items))

    def test_group_grant_and_strongest_wins(self):
        self.share(self.alice, "team", "reviewer", kind="group")
        folder = self.bob_sees("created", "reviewer")
        self.assertEqual(folder["type"], "shared")
        r = self.bob_change({"create": [{"clientId": "b-1",
                                         "fields": {"firstName": "X"}}]})
        self.assertEqual(r["error"]["type"], "forbidden", r)
        # carol is no member: nothing
        res, _, where = self.folder_sync(self.carol, None)
        self.assertIsNone(where)
        # a user grant stronger than the group's wins
        self.share(self.alice, "bob", "author")
        self.bob_sees("updated", "author")
        r = self.bob_change({"create": [{"clientId": "b-1",
                                         "fields": {"firstName": "X"}}]})
        self.assertEqual(r["status"], "ok", r)
        # and a group grant stronger than the user's wins
        self.share(self.alice, "team", "editor", kind="group")
        self.bob_sees("updated", "editor")
        a2 = self.a_items[1]
        r = self.bob_change({"update": [{"id": a2["id"], "baseVersion": a2["version"],
                                         "fields": {"lastName": "Hopper"}}]})
        self.assertEqual(r["status"], "ok", r)
        # the group's grant gone: bob's own grant remains
        self.share(self.alice, "team", None, kind="group")
        self.bob_sees("updated", "author")
        perms = self.alice.result("Folder/getPermissions",
                                  {"folderId": self.a_contacts})
        self.assertEqual([e["principal"]["type"] for e in perms["entries"]],
                         ["user", "user"])
        # a member added later gets the folder through the group
        self.share(self.alice, "team", "reviewer", kind="group")
        token = self.carol.result("Folder/sync", {"sinceToken": None})["newToken"]
        self.srv.cli("group", "member", "add", "team", "carol")
        res, folder, where = self.folder_sync(self.carol, token)
        self.assertEqual(where, "created", res)
        self.assertEqual(self.level_of(folder), "reviewer")

    def test_private_items_stay_private(self):
        res = self.alice.result("Item/sync", {
            "folderId": self.a_contacts, "sinceToken": None,
            "changes": {"create": [{"clientId": "a-p",
                                    "fields": {"firstName": "Secret",
                                               "private": True}}]}})
        secret = res["results"][0]["item"]
        self.share(self.alice, "bob", "editor")
        self.bob_sees("created", "editor")
        public_ids = sorted(it["id"] for it in self.a_items)
        res = self.bob.result("Item/sync", {"folderId": self.a_contacts,
                                            "sinceToken": None})
        self.assertEqual(sorted(it["id"] for it in res["changes"]["upserted"]),
                         public_ids)
        token = res["newToken"]
        listing = self.bob.result("Item/list", {"folderId": self.a_contacts})
        self.assertEqual(sorted(i["id"] for i in listing["items"]), public_ids)
        got = self.bob.result("Item/get", {"folderId": self.a_contacts,
                                           "ids": [secret["id"]]})
        self.assertEqual((got["items"], got["notFound"]), ([], [secret["id"]]))
        # an editor cannot change or delete it either
        r = self.bob_change({"update": [{"id": secret["id"],
                                         "baseVersion": secret["version"],
                                         "fields": {"firstName": "Seen"}}]})
        self.assertEqual(r["status"], "error", r)
        self.assertNotIn("item", r)
        # made private: removed for bob
        a1 = self.a_items[0]
        res = self.alice.result("Item/sync", {
            "folderId": self.a_contacts, "sinceToken": None,
            "changes": {"update": [{"id": a1["id"], "baseVersion": a1["version"],
                                    "fields": {"private": True}}]}})
        a1 = res["results"][0]["item"]
        res = self.bob.result("Item/sync", {"folderId": self.a_contacts,
                                            "sinceToken": token})
        self.assertEqual(res["changes"], {"upserted": [], "removed": [a1["id"]]})
        token = res["newToken"]
        # public again: back for bob
        res = self.alice.result("Item/sync", {
            "folderId": self.a_contacts, "sinceToken": None,
            "changes": {"update": [{"id": a1["id"], "baseVersion": a1["version"],
                                    "fields": {"private": None}}]}})
        res = self.bob.result("Item/sync", {"folderId": self.a_contacts,
                                            "sinceToken": token})
        self.assertEqual([it["id"] for it in res["changes"]["upserted"]], [a1["id"]])
        self.assertEqual(res["changes"]["removed"], [])
        self.assertNotIn("private", res["changes"]["upserted"][0]["fields"])

    def test_private_items_hidden_at_every_level_with_all_rights(self):
        """Whatever bob holds (editor, publishing editor, owner, a custom set
        with everything; directly or through a group), alice's private items
        stay out of his reads, listings and syncs, he can neither change nor
        delete them, and the transitions to and from private show in his
        incremental sync; his own private item stays out of alice's view."""
        everything = {"folder": "subfolders", "read": "all", "write": "all",
                      "delete": "all", "admin": True}
        grants = [("user", "editor"), ("user", "publishing-editor"),
                  ("user", "owner"), ("group", "owner"), ("group", everything)]
        for n, (kind, level) in enumerate(grants):
            with self.subTest(kind=kind, level=level):
                self._private_round(n, kind, level)

    def _private_round(self, n, kind, level):
        principal = ({"type": "user", "login": "bob"} if kind == "user"
                     else {"type": "group", "name": "team"})
        entry = {"principal": principal}
        entry["rights" if isinstance(level, dict) else "level"] = level
        self.alice.result("Folder/setPermissions",
                          {"folderId": self.a_contacts, "set": [entry]})
        res = self.alice.result("Item/sync", {
            "folderId": self.a_contacts, "sinceToken": None,
            "changes": {"create": [{"clientId": "secret-%d" % n,
                                    "fields": {"firstName": "Secret %d" % n,
                                               "private": True}}]}})
        secret = res["results"][0]["item"]
        readable = sorted(it["id"] for it in self.a_items)

        def bob_view():
            listing = self.bob.result("Item/list", {"folderId": self.a_contacts})
            full = self.bob.result("Item/sync", {"folderId": self.a_contacts,
                                                 "sinceToken": None})
            got = self.bob.result("Item/get", {"folderId": self.a_contacts,
                                               "ids": [secret["id"]] + readable})
            return (sorted(i["id"] for i in listing["items"]),
                    sorted(it["id"] for it in full["changes"]["upserted"]),
                    sorted(it["id"] for it in got["items"]), got["notFound"],
                    full["newToken"])

        ids_listed, ids_synced, ids_got, not_found, token = bob_view()
        self.assertEqual(ids_listed, readable)
        self.assertEqual(ids_synced, readable)
        self.assertEqual(ids_got, readable)
        self.assertEqual(not_found, [secret["id"]])
        # neither changed nor deleted, and nothing happened to it
        before = self.alice_state()
        r = self.bob_change({"update": [{"id": secret["id"],
                                         "baseVersion": secret["version"],
                                         "fields": {"firstName": "Seen"}}]})
        self.assertEqual(r["status"], "error", r)
        self.assertNotIn("item", r)
        r = self.bob_change({"delete": [{"id": secret["id"],
                                         "baseVersion": secret["version"]}]})
        self.assertNotIn("item", r)
        self.assertEqual(self.alice_state(), before)
        # a readable item made private leaves bob's view, and comes back
        a1 = self.alice.result("Item/get", {"folderId": self.a_contacts,
                                            "ids": [self.a_items[0]["id"]]})["items"][0]
        res = self.alice.result("Item/sync", {
            "folderId": self.a_contacts, "sinceToken": None,
            "changes": {"update": [{"id": a1["id"], "baseVersion": a1["version"],
                                    "fields": {"private": True}}]}})
        a1 = res["results"][0]["item"]
        res = self.bob.result("Item/sync", {"folderId": self.a_contacts,
                                            "sinceToken": token})
        self.assertEqual(res["changes"]["upserted"], [])
        self.assertIn(a1["id"], res["changes"]["removed"])
        token = res["newToken"]
        ids_listed, ids_synced, ids_got, not_found, _ = bob_view()
        self.assertNotIn(a1["id"], ids_listed + ids_synced + ids_got)
        self.assertEqual(sorted(not_found), sorted([secret["id"], a1["id"]]))
        res = self.alice.result("Item/sync", {
            "folderId": self.a_contacts, "sinceToken": None,
            "changes": {"update": [{"id": a1["id"], "baseVersion": a1["version"],
                                    "fields": {"private": None}}]}})
        res = self.bob.result("Item/sync", {"folderId": self.a_contacts,
                                            "sinceToken": token})
        self.assertEqual([it["id"] for it in res["changes"]["upserted"]], [a1["id"]])
        self.assertEqual(bob_view()[0], readable)
        # bob's own private item: his alone
        res = self.bob.result("Item/sync", {
            "folderId": self.a_contacts, "sinceToken": None,
            "changes": {"create": [{"clientId": "bob-secret-%d" % n,
                                    "fields": {"firstName": "Mine",
                                               "private": True}}]}})
        mine = res["results"][0]["item"]
        self.assertNotIn(mine["id"], [i[0] for i in self.alice_state()])
        got = self.alice.result("Item/get", {"folderId": self.a_contacts,
                                             "ids": [mine["id"]]})
        self.assertEqual(got["notFound"], [mine["id"]])
        self.assertIn(mine["id"], bob_view()[0])
        # clean up for the next round: bob's item and the grant
        self.bob_change({"delete": [{"id": mine["id"], "baseVersion": mine["version"]}]})
        self.alice.result("Folder/setPermissions",
                          {"folderId": self.a_contacts, "remove": [principal]})

    def test_revoke(self):
        self.share(self.alice, "bob", "editor")
        self.bob_sees("created", "editor")
        res = self.bob.result("Item/sync", {"folderId": self.a_contacts,
                                            "sinceToken": None})
        item_token = res["newToken"]
        self.share(self.alice, "bob", None)
        self.bob_sees("removed", None)
        self.bob_sees(None, None)
        for args in ({"folderId": self.a_contacts, "sinceToken": item_token},
                     {"folderId": self.a_contacts}):
            err = self.assertMethodError(self.bob, "Item/sync", args, "forbidden")
            self.assertEqual(err["scope"], "folder")
        self.assertMethodError(self.bob, "Item/list", {"folderId": self.a_contacts},
                               "forbidden")
        # a full listing does not have it
        res, _, where = self.folder_sync(self.bob, None)
        self.assertIsNone(where)
        self.assertEqual(res["removed"], [])

    def test_only_admins_change_permissions(self):
        self.share(self.alice, "bob", "editor")
        before = self.alice.result("Folder/getPermissions",
                                   {"folderId": self.a_contacts})
        for args in ({"folderId": self.a_contacts,
                      "set": [{"principal": {"type": "user", "login": "bob"},
                               "level": "owner"}]},
                     {"folderId": self.a_contacts,
                      "remove": [{"type": "user", "login": "bob"}]}):
            err = self.assertMethodError(self.bob, "Folder/setPermissions", args,
                                         "forbidden")
            self.assertEqual(err["scope"], "folder")
        # carol, who cannot see the folder, cannot read the list either
        self.assertMethodError(self.carol, "Folder/getPermissions",
                               {"folderId": self.a_contacts}, "forbidden")
        # the owner cannot be removed or lowered: she is the last admin
        for args in ({"folderId": self.a_contacts,
                      "remove": [{"type": "user", "login": "alice"}]},
                     {"folderId": self.a_contacts,
                      "set": [{"principal": {"type": "user", "login": "alice"},
                               "level": "reviewer"}]}):
            err = self.assertMethodError(self.alice, "Folder/setPermissions", args,
                                         "lastAdmin")
            self.assertEqual(err["scope"], "folder")
        # unknown principals are named
        err = self.assertMethodError(
            self.alice, "Folder/setPermissions",
            {"folderId": self.a_contacts,
             "set": [{"principal": {"type": "user", "login": "zed"},
                      "level": "reviewer"}]}, "invalidArguments")
        self.assertIn("zed", err["message"])
        self.assertEqual(err["field"], "set[0].principal")
        err = self.assertMethodError(
            self.alice, "Folder/setPermissions",
            {"folderId": self.a_contacts,
             "remove": [{"type": "group", "name": "nosuch"}]}, "invalidArguments")
        self.assertIn("nosuch", err["message"])
        self.assertEqual(self.alice.result("Folder/getPermissions",
                                           {"folderId": self.a_contacts}), before)
        # an admin grant lets bob manage the folder's permissions
        self.share(self.alice, "bob", "owner")
        res = self.share(self.bob, "carol", "reviewer")
        self.assertEqual([e["principal"]["login"] for e in res["entries"]],
                         ["alice", "bob", "carol"])
        self.assertEqual([e["level"] for e in res["entries"]],
                         ["owner", "owner", "reviewer"])
        res, folder, where = self.folder_sync(self.carol, None)
        self.assertEqual(where, "created")
        self.assertEqual(folder["displayName"], "Alice Martin %s Contacts" % EN_DASH)


if __name__ == "__main__":
    unittest.main()
