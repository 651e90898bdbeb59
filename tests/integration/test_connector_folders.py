"""The folder commands of the connector against a real atriumd.

alice has two devices, bob one, and carol is in the group "team".
`atrium folders` shows the private, shared ("Owner – Folder") and public
branches; `folder create/rename/move/delete` made on one device reach the
other after a sync; `folder grant/revoke/permissions` change and show the
permissions (levels by name, by number, custom sets, groups); item commands
take --folder PATH (own, shared and public paths, or an id); deleting a
shared subtree with items drops it from the grantee's connector.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Api, TempDirTestCase  # noqa: E402

PW = "Folder-Tree-2026"
EN_DASH = "\u2013"


class ConnectorFolders(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.srv.add_user("bob", "Bob Stone", "bob@example.org", PW)
        self.srv.add_user("carol", "Carol Jones", "carol@example.org", PW)
        self.srv.cli("group", "add", "team")
        self.srv.cli("group", "member", "add", "team", "carol")
        self.srv.start()
        api = Api(self.srv.url, "alice", PW)
        api.login()
        methods = api.session().body["capabilities"]["atrium:core"]["methods"]
        self.assertIn("Folder/set", methods)
        self.d1 = self.connector("alice-desktop")
        self.d2 = self.connector("alice-laptop")
        self.b = self.connector("bob")
        self.c = self.connector("carol")
        for dev, login in ((self.d1, "alice"), (self.d2, "alice"), (self.b, "bob"),
                           (self.c, "carol")):
            dev.add_profile("work", self.srv.url, login, PW)
            dev.run("sync")

    # -- helpers ------------------------------------------------------------
    def folders(self, dev):
        return {f["path"]: f for f in dev.json("folders")}

    def create(self, dev, path, *args):
        cp = dev.run("folder", "create", path, *args)
        self.assertIn("created folder", cp.stdout)
        return self.folders(dev)

    def add(self, dev, *args):
        cp = dev.run("contacts", "add", *args)
        return cp.stdout.strip().splitlines()[-1]

    def names(self, dev, *args):
        return sorted(it["fields"].get("firstName") for it in
                      dev.json("contacts", "list", *args))

    # -- scenarios -------------------------------------------------------------
    def test_three_branches(self):
        self.create(self.d1, "Contacts/Clients")
        self.create(self.d1, "Projects", "--module", "contacts", "--public")
        self.b.run("folder", "grant", "Contacts", "alice", "reviewer")
        self.d1.run("sync")
        tree = self.folders(self.d1)
        shared = "Bob Stone %s Contacts" % EN_DASH
        for path, branch in (("Contacts", "private"), ("Contacts/Clients", "private"),
                             ("Calendar", "private"), ("Tasks", "private"),
                             (shared, "shared"), ("Public/Projects", "public")):
            self.assertIn(path, tree, sorted(tree))
            self.assertEqual(tree[path]["branch"], branch, path)
        self.assertEqual(tree[shared]["level"], "reviewer")
        self.assertEqual(tree["Public/Projects"]["level"], "owner")
        self.assertEqual(tree["Contacts/Clients"]["parentId"], tree["Contacts"]["id"])
        self.assertEqual(tree["Contacts/Clients"]["module"], "contacts")
        self.assertEqual(tree["Contacts"]["items"], 0)
        text = self.d1.run("folders").stdout
        for heading in ("Private folders", "Shared with you", "Public folders"):
            self.assertIn(heading, text)
        self.assertIn(shared, text)
        self.assertLess(text.index("Private folders"), text.index("Clients"))
        self.assertLess(text.index("Shared with you"), text.index(shared))
        self.assertLess(text.index("Public folders"), text.index("Projects"))
        # the other device learns it all with its next sync
        self.d2.run("sync")
        self.assertEqual(sorted(self.folders(self.d2)), sorted(tree))

    def test_create_rename_move_delete_reach_other_device(self):
        self.create(self.d1, "Contacts/Clients")
        self.create(self.d1, "Contacts/Clients/Europe")
        self.create(self.d1, "Public/Shared Notes", "--module", "tasks")
        self.d1.run("contacts", "add", "--folder", "Contacts/Clients/Europe",
                    "--first-name", "Ada")
        self.d1.run("sync")
        self.d2.run("sync")
        tree = self.folders(self.d2)
        self.assertIn("Contacts/Clients/Europe", tree)
        self.assertEqual(tree["Public/Shared Notes"]["module"], "tasks")
        self.assertEqual(self.names(self.d2, "--folder", "Contacts/Clients/Europe"),
                         ["Ada"])
        # refusals: a name taken, a default folder, a cycle
        cp = self.d1.run("folder", "create", "Contacts/clients", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("exists", cp.stderr)
        cp = self.d1.run("folder", "delete", "Contacts", "--yes", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("default folder", cp.stderr)
        cp = self.d1.run("folder", "move", "Contacts/Clients", "Contacts/Clients/Europe",
                         check=False)
        self.assertEqual(cp.returncode, 1)
        # without a terminal a delete wants --yes
        cp = self.d1.run("folder", "delete", "Contacts/Clients", input="", check=False)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("--yes", cp.stderr)
        # rename and move
        cp = self.d1.run("folder", "rename", "Contacts/Clients/Europe", "EU")
        self.assertIn("Contacts/Clients/EU", cp.stdout)
        self.d1.run("folder", "move", "Contacts/Clients/EU", "/")
        self.d2.run("sync")
        tree = self.folders(self.d2)
        self.assertIn("EU", tree)
        self.assertNotIn("Contacts/Clients/Europe", tree)
        self.assertIsNone(tree["EU"]["parentId"])
        self.assertEqual(self.names(self.d2, "--folder", "EU"), ["Ada"])
        self.d1.run("folder", "move", "EU", "Contacts/Clients")
        self.d2.run("sync")
        self.assertIn("Contacts/Clients/EU", self.folders(self.d2))
        # delete the subtree: gone from both devices, items with it
        eu_id = self.folders(self.d2)["Contacts/Clients/EU"]["id"]
        cp = self.d1.run("folder", "delete", "Contacts/Clients", "--yes")
        self.assertIn("2 folders", cp.stdout)
        self.assertNotIn("Contacts/Clients", self.folders(self.d1))
        self.d2.run("sync")
        tree = self.folders(self.d2)
        self.assertFalse([p for p in tree if p.startswith("Contacts/")], sorted(tree))
        cp = self.d2.run("contacts", "list", "--folder", eu_id, check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(self.d2.json("conflicts", "list"), [])

    def test_grant_and_revoke(self):
        cp = self.d1.run("folder", "grant", "Contacts", "bob", "author")
        self.assertIn("bob", cp.stdout)
        self.assertIn("author", cp.stdout)
        self.b.run("sync")
        shared = "Alice Martin %s Contacts" % EN_DASH
        self.assertEqual(self.folders(self.b)[shared]["level"], "author")
        # numbers, groups and custom sets
        self.d1.run("folder", "grant", "Contacts", "bob", "6")
        self.d1.run("folder", "grant", "Contacts", "@team", "reviewer")
        self.d1.run("folder", "grant", "Calendar", "bob",
                    "custom:folder=see,read=all,admin=no")
        perms = self.d1.json("folder", "permissions", "Contacts")
        self.assertEqual([(e["principal"]["type"], e["principal"].get("login") or
                           e["principal"].get("name"), e["level"]) for e in perms],
                         [("user", "alice", "owner"), ("user", "bob", "editor"),
                          ("group", "team", "reviewer")])
        cal = self.d1.json("folder", "permissions", "Calendar")
        self.assertEqual(cal[1]["rights"], {"folder": "see", "read": "all",
                                            "write": "none", "delete": "none",
                                            "admin": False})
        self.assertEqual(cal[1]["level"], "reviewer")  # the same rights as the preset
        self.d1.run("folder", "grant", "Calendar", "bob",
                    "custom:folder=create,read=own,write=own")
        self.assertEqual(self.d1.json("folder", "permissions", "Calendar")[1]["level"],
                         "custom")
        text = self.d1.run("folder", "permissions", "Calendar").stdout
        self.assertIn("custom:folder=create,read=own,write=own,delete=none,admin=no", text)
        self.c.run("sync")
        self.assertEqual(self.folders(self.c)[shared]["level"], "reviewer")
        # bad levels are usage errors; a grantee without admin cannot grant
        cp = self.d1.run("folder", "grant", "Contacts", "bob", "boss", check=False)
        self.assertEqual(cp.returncode, 2)
        cp = self.d1.run("folder", "grant", "Contacts", "bob", "custom:read=some",
                         check=False)
        self.assertEqual(cp.returncode, 2)
        cp = self.b.run("folder", "grant", shared, "carol", "owner", check=False)
        self.assertEqual(cp.returncode, 1)
        # the owner cannot be lowered
        cp = self.d1.run("folder", "revoke", "Contacts", "alice", check=False)
        self.assertEqual(cp.returncode, 1)
        # revoke: gone from bob's connector after his sync; carol keeps hers
        self.d1.run("folder", "revoke", "Contacts", "bob")
        self.b.run("sync")
        self.assertNotIn(shared, self.folders(self.b))
        self.c.run("sync")
        self.assertIn(shared, self.folders(self.c))

    def test_folder_option_takes_paths(self):
        self.create(self.d1, "Contacts/Clients")
        self.add(self.d1, "--folder", "Contacts/Clients", "--first-name", "Ada")
        self.add(self.d1, "--first-name", "Grace")
        self.assertEqual(self.names(self.d1, "--folder", "Contacts/Clients"), ["Ada"])
        self.assertEqual(self.names(self.d1), ["Grace"])
        clients = self.folders(self.d1)["Contacts/Clients"]["id"]
        self.assertEqual(self.names(self.d1, "--folder", clients), ["Ada"])
        self.assertEqual(self.names(self.d1, "--folder", "/Contacts/Clients"), ["Ada"])
        cp = self.d1.run("contacts", "list", "--folder", "Contacts/Nope", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("no folder", cp.stderr)
        self.d1.run("sync")
        self.d2.run("sync")
        self.assertEqual(self.names(self.d2, "--folder", "Contacts/Clients"), ["Ada"])
        self.assertEqual(self.folders(self.d2)["Contacts/Clients"]["items"], 1)
        # a shared folder by its "Owner - Folder" path (ASCII hyphen accepted)
        self.b.run("folder", "grant", "Contacts", "alice", "author")
        self.d1.run("sync")
        self.add(self.d1, "--folder", "Bob Stone - Contacts", "--first-name", "Linus")
        self.d1.run("sync")
        self.b.run("sync")
        self.assertEqual(self.names(self.b), ["Linus"])
        # a public folder, and a subfolder of a shared one
        self.create(self.d1, "Public/Projects", "--module", "contacts")
        self.add(self.d1, "--folder", "Public/Projects", "--first-name", "Margaret")
        self.d1.run("sync")
        self.assertEqual(self.names(self.d1, "--folder", "Public/Projects"), ["Margaret"])
        self.b.run("folder", "grant", "Contacts", "alice", "publishing-author")
        self.d1.run("sync")
        shared = "Bob Stone %s Contacts" % EN_DASH
        self.create(self.d1, shared + "/From Alice")
        self.add(self.d1, "--folder", shared + "/From Alice", "--first-name", "Barbara")
        self.d1.run("sync")
        self.b.run("sync")
        self.assertEqual(self.names(self.b, "--folder", "Contacts/From Alice"), ["Barbara"])

    def test_deleted_shared_subtree_leaves_grantee(self):
        self.create(self.d1, "Contacts/Team")
        self.d1.run("folder", "grant", "Contacts/Team", "bob", "editor")
        self.create(self.d1, "Contacts/Team/Berlin")
        self.add(self.d1, "--folder", "Contacts/Team", "--first-name", "Ada")
        self.add(self.d1, "--folder", "Contacts/Team/Berlin", "--first-name", "Grace")
        self.d1.run("sync")
        self.b.run("sync")
        root = "Alice Martin %s Team" % EN_DASH
        tree = self.folders(self.b)
        self.assertEqual(tree[root]["branch"], "shared")
        self.assertEqual(tree[root + "/Berlin"]["level"], "editor")
        self.assertEqual(self.names(self.b, "--folder", root + "/Berlin"), ["Grace"])
        ids = [tree[root]["id"], tree[root + "/Berlin"]["id"]]
        # bob (no admin) cannot delete it
        cp = self.b.run("folder", "delete", root, "--yes", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("admin", cp.stderr)
        self.d1.run("folder", "delete", "Contacts/Team", "--yes")
        self.b.run("sync")
        tree = self.folders(self.b)
        self.assertFalse(set(ids) & {f["id"] for f in tree.values()}, sorted(tree))
        for fid in ids:
            cp = self.b.run("contacts", "list", "--folder", fid, check=False)
            self.assertEqual(cp.returncode, 1)
        self.assertEqual(self.b.json("conflicts", "list"), [])


if __name__ == "__main__":
    unittest.main()
