"""The folder tree over HTTP: Folder/set (docs/protocol.md §6).

Scenario: one atriumd with alice, bob and carol; carol is in the group
"staff". Alice builds a private tree (subfolders, names unique among
siblings, idempotent creates, default folders that stay), shares part of it
and deletes it: every folder of the subtree is in the removed list of her
next Folder/sync and of each grantee's, and its items are gone. Public
folders: any user creates one at the top and is its admin; nesting is
governed by "create subfolders"; a non-admin cannot delete; the last admin
cannot leave. A second server restricts top-level public folders with
public_folder_creators.

Every request and reply is checked against its schema by the harness.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Api, MethodError, TempDirTestCase  # noqa: E402

PASSWORDS = {"alice": "Corr3ct-Horse-9", "bob": "Bl4ck-Kettle-Sings",
             "carol": "Gr33n-Lantern-Walks"}
NAMES = {"alice": "Alice Martin", "bob": "Bob Stone", "carol": "Carol Jones"}


class FolderApi(TempDirTestCase):
    """Helpers: a server with alice, bob and carol (carol in staff)."""

    def start_server(self, config_text=None):
        srv = self.server()
        for login in ("alice", "bob", "carol"):
            srv.add_user(login, NAMES[login], login + "@example.test",
                         PASSWORDS[login])
        srv.cli("group", "add", "staff")
        srv.cli("group", "member", "add", "staff", "carol")
        config = None
        if config_text is not None:
            config = os.path.join(self.tmp, "atriumd.conf")
            with open(config, "w", encoding="utf-8") as f:
                f.write(config_text)
        srv.start(config)
        self.srv = srv
        self.api = {}
        for login in ("alice", "bob", "carol"):
            api = Api(srv.url, login, PASSWORDS[login])
            self.assertEqual(api.login().status, 200)
            self.api[login] = api
        methods = self.api["alice"].session().body["capabilities"][
            "atrium:core"]["methods"]
        self.assertIn("Folder/set", methods)

    # -- helpers

    def fset(self, who, **changes):
        return self.api[who].result("Folder/set", changes)["results"]

    def create(self, who, name, parent=None, module="contacts", public=None,
               client_id=None):
        self.n_creates = getattr(self, "n_creates", 0) + 1
        entry = {"clientId": client_id or "c-%s-%d" % (who, self.n_creates),
                 "parentId": parent, "name": name, "module": module}
        if public is not None:
            entry["public"] = public
        res = self.fset(who, create=[entry])[0]
        return res

    def mk(self, who, name, parent=None, **kw):
        res = self.create(who, name, parent, **kw)
        self.assertEqual(res["status"], "ok", res)
        return res["folder"]

    def tree(self, who, token=None):
        return self.api[who].result("Folder/sync", {"sinceToken": token})

    def visible(self, who):
        return {f["id"]: f for f in self.tree(who)["created"]}

    def default(self, who, module="contacts"):
        return [f for f in self.tree(who)["created"]
                if f["module"] == module and f["isDefault"]][0]["id"]

    def share(self, who, folder, principal, level):
        kind, _, name = principal.partition(":")
        key = "login" if kind == "user" else "name"
        args = {"folderId": folder}
        if level is None:
            args["remove"] = [{"type": kind, key: name}]
        else:
            args["set"] = [{"principal": {"type": kind, key: name}, "level": level}]
        return self.api[who].result("Folder/setPermissions", args)

    def add_item(self, who, folder, cid, name):
        res = self.api[who].result("Item/sync", {
            "folderId": folder, "sinceToken": None,
            "changes": {"create": [{"clientId": cid,
                                    "fields": {"firstName": name}}]}})
        self.assertEqual(res["results"][0]["status"], "ok", res)
        return res["results"][0]["id"]

    def assertRefused(self, res, type_, field=None):
        self.assertEqual(res["status"], "error", res)
        self.assertEqual(res["error"]["type"], type_, res)
        self.assertEqual(res["error"]["scope"], "folder", res)
        if field is not None:
            self.assertEqual(res["error"].get("field"), field, res)



class FoldersTest(FolderApi):

    def setUp(self):
        super().setUp()
        self.start_server()

    def test_private_tree(self):
        contacts = self.default("alice")
        token = self.tree("alice")["newToken"]
        results = self.fset("alice", create=[
            {"clientId": "c1", "parentId": contacts, "name": "Clients",
             "module": "contacts"},
            {"clientId": "c2", "parentId": "#c1", "name": "Europe",
             "module": "contacts"},
            {"clientId": "c3", "parentId": None, "name": "Trips",
             "module": "calendar"}])
        self.assertEqual([r["status"] for r in results], ["ok"] * 3, results)
        clients, europe, trips = (r["folder"] for r in results)
        self.assertEqual(europe["parentId"], clients["id"])
        self.assertEqual((trips["parentId"], trips["type"], trips["module"]),
                         (None, "private", "calendar"))
        res = self.tree("alice", token)
        self.assertEqual(sorted(f["id"] for f in res["created"]),
                         sorted([clients["id"], europe["id"], trips["id"]]))
        # replay: the same folder, nothing new
        again = self.create("alice", "Clients", contacts, client_id="c1")
        self.assertTrue(again["replayed"])
        self.assertEqual(again["id"], clients["id"])
        self.assertEqual(self.tree("alice", res["newToken"])["created"], [])
        # unique among siblings, ignoring case; elsewhere fine
        self.assertRefused(self.create("alice", "clients", contacts),
                           "alreadyExists", "name")
        self.mk("alice", "Clients", europe["id"])
        self.assertRefused(self.create("alice", "x" * 256, contacts),
                           "invalidArguments", "name")
        self.assertRefused(self.create("alice", "tab\there", contacts),
                           "invalidArguments", "name")
        self.assertRefused(self.create("alice", "Dates", contacts, module="tasks"),
                           "invalidArguments", "module")
        # rename, move, cycle
        res = self.fset("alice", update=[{"id": europe["id"], "name": "EU"}])[0]
        self.assertEqual(res["folder"]["name"], "EU")
        self.assertGreater(res["folder"]["version"], europe["version"])
        res = self.fset("alice", update=[{"id": clients["id"],
                                          "parentId": europe["id"]}])[0]
        self.assertRefused(res, "invalidArguments", "parentId")
        res = self.fset("alice", update=[{"id": europe["id"], "parentId": None}])[0]
        self.assertEqual(res["status"], "ok", res)
        self.assertIsNone(res["folder"]["parentId"])
        # default folders stay
        for changes in ({"delete": [{"id": contacts}]},
                        {"update": [{"id": contacts, "name": "Addresses"}]}):
            self.assertRefused(self.fset("alice", **changes)[0], "defaultFolder", "id")
        # malformed calls are refused as a whole
        with self.assertRaises(MethodError) as cm:
            self.api["alice"].result(
                "Folder/set", {"create": [{"clientId": "z", "name": "x",
                                           "module": "contacts", "colour": "red"}]},
                validate_request=False)
        self.assertEqual(cm.exception.error["type"], "invalidArguments")
        self.assertEqual(cm.exception.error["field"], "create[0]")

    def test_delete_subtree_for_owner_and_grantees(self):
        contacts = self.default("alice")
        a = self.mk("alice", "A", contacts)["id"]
        self.share("alice", a, "user:bob", "editor")
        self.share("alice", a, "group:staff", "reviewer")
        b = self.mk("alice", "B", a)["id"]
        c = self.mk("alice", "C", b)["id"]
        for folder, cid in ((a, "i-a"), (b, "i-b"), (c, "i-c")):
            self.add_item("alice", folder, cid, "Someone")
        self.add_item("bob", b, "i-bob", "Bob's")
        # bob and carol (through staff) see the subtree, inherited grants
        for who in ("bob", "carol"):
            seen = self.visible(who)
            self.assertTrue({a, b, c} <= set(seen), (who, seen.keys()))
            self.assertEqual(seen[b]["type"], "shared")
        tokens = {who: self.tree(who)["newToken"] for who in ("alice", "bob", "carol")}
        item_token = self.api["bob"].result(
            "Item/sync", {"folderId": b, "sinceToken": None})["newToken"]
        # a grantee without admin cannot delete: nothing changes
        self.assertRefused(self.fset("bob", delete=[{"id": a}])[0], "forbidden", "id")
        self.assertEqual(len(self.api["alice"].result(
            "Item/list", {"folderId": b})["items"]), 2)
        res = self.fset("alice", delete=[{"id": a}])[0]
        self.assertEqual(res["status"], "ok", res)
        self.assertEqual(sorted(res["removed"]), sorted([a, b, c]))
        for who, token in tokens.items():
            tree = self.tree(who, token)
            self.assertEqual(sorted(tree["removed"]), sorted([a, b, c]), (who, tree))
            self.assertEqual(tree["created"] + tree["updated"], [], who)
            self.assertFalse({a, b, c} & set(self.visible(who)), who)
        for who, args in (("bob", {"folderId": b, "sinceToken": item_token}),
                          ("alice", {"folderId": c})):
            with self.assertRaises(MethodError) as cm:
                self.api[who].result("Item/sync", args)
            self.assertEqual(cm.exception.error["type"], "notFound")
        self.assertRefused(self.fset("alice", delete=[{"id": a}])[0], "notFound", "id")

    def test_public_folders(self):
        # a normal user creates a top-level public folder and is its admin
        proj = self.mk("bob", "Projects", public=True)
        self.assertEqual((proj["type"], proj["ownerId"], proj["parentId"]),
                         ("public", None, None))
        self.assertTrue(proj["rights"]["admin"])
        perms = self.api["bob"].result("Folder/getPermissions",
                                       {"folderId": proj["id"]})["entries"]
        self.assertEqual([(e["principal"]["login"], e["level"]) for e in perms],
                         [("bob", "owner")])
        self.assertNotIn(proj["id"], self.visible("alice"))
        # nesting follows "create subfolders"
        self.share("bob", proj["id"], "user:alice", "author")
        self.assertRefused(self.create("alice", "Alpha", proj["id"]), "forbidden",
                           "parentId")
        self.share("bob", proj["id"], "user:alice", "publishing-author")
        self.share("bob", proj["id"], "user:carol", "reviewer")
        alpha = self.mk("alice", "Alpha", proj["id"])
        self.assertEqual(alpha["type"], "public")
        self.assertEqual(self.visible("carol")[alpha["id"]]["parentId"], proj["id"])
        # non-admins cannot delete or rename it
        token = self.tree("carol")["newToken"]
        for who in ("alice", "carol"):
            self.assertRefused(self.fset(who, delete=[{"id": proj["id"]}])[0],
                               "forbidden", "id")
        self.assertRefused(self.fset("alice", update=[{"id": proj["id"],
                                                       "name": "Mine"}])[0],
                           "forbidden", "id")
        self.assertEqual(self.tree("carol", token)["removed"], [])
        # the last admin cannot leave
        with self.assertRaises(MethodError) as cm:
            self.share("bob", proj["id"], "user:bob", None)
        self.assertEqual(cm.exception.error["type"], "lastAdmin")
        # bob (admin) deletes it: Alpha goes too, for carol as well
        res = self.fset("bob", delete=[{"id": proj["id"]}])[0]
        self.assertEqual(sorted(res["removed"]), sorted([proj["id"], alpha["id"]]))
        self.assertEqual(sorted(self.tree("carol", token)["removed"]),
                         sorted([proj["id"], alpha["id"]]))


    def test_everyone(self):
        """The built-in group "everyone" holds every user, also users created
        after the grant: a public folder shared with it is seen by all."""
        company = self.mk("alice", "Company", public=True)
        token = {who: self.tree(who)["newToken"] for who in ("bob", "carol")}
        self.assertNotIn(company["id"], self.visible("bob"))
        self.share("alice", company["id"], "group:everyone", "reviewer")
        self.add_item("alice", company["id"], "memo-1", "Memo")
        for who in ("bob", "carol"):
            created = [f["id"] for f in self.tree(who, token[who])["created"]]
            self.assertIn(company["id"], created)
            self.assertEqual(self.visible(who)[company["id"]]["rights"]["read"], "all")
        self.srv.add_user("dave", "Dave Later", "dave@example.org", PASSWORDS["bob"])
        dave = Api(self.srv.url, "dave", PASSWORDS["bob"])
        self.assertEqual(dave.login().status, 200)
        self.api["dave"] = dave
        self.assertIn(company["id"], self.visible("dave"))
        listed = dave.result("Item/list", {"folderId": company["id"]})["items"]
        self.assertEqual(len(listed), 1)
        # a reviewer reads but does not write
        res = dave.result("Item/sync", {"folderId": company["id"], "changes": {
            "create": [{"clientId": "d1", "fields": {"firstName": "No"}}]}})
        self.assertEqual(res["results"][0]["error"]["type"], "forbidden")
        # nobody can join or leave "everyone" by hand
        cp = self.srv.cli("group", "member", "add", "everyone", "bob", check=False)
        self.assertNotEqual(cp.returncode, 0)
        cp = self.srv.cli("group", "add", "everyone", check=False)
        self.assertNotEqual(cp.returncode, 0)
        # withdrawn: gone for everybody
        token = self.tree("bob")["newToken"]
        self.share("alice", company["id"], "group:everyone", None)
        self.assertIn(company["id"], self.tree("bob", token)["removed"])
        self.assertNotIn(company["id"], self.visible("dave"))


class RestrictedPublicTest(FolderApi):
    """public_folder_creators = @staff: only carol (in staff) creates at the
    top of the public tree; below, the parent's rights decide."""

    def setUp(self):
        super().setUp()
        self.start_server("public_folder_creators = @staff\n")

    def test_only_named_creators(self):
        for who in ("alice", "bob"):
            self.assertRefused(self.create(who, "Company", public=True), "forbidden",
                               "public")
        # private folders are not concerned
        self.mk("alice", "Company", public=False)
        company = self.mk("carol", "Company", public=True)
        self.share("carol", company["id"], "user:bob", "publishing-author")
        self.mk("bob", "Team", company["id"])
        # a member added later may create too
        self.srv.cli("group", "member", "add", "staff", "bob")
        self.mk("bob", "Other", public=True)


if __name__ == "__main__":
    unittest.main()
