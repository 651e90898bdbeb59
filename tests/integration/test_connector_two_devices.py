"""Two devices of alice and one of bob, syncing through a real atriumd.

Create, edit and delete on each device; after syncing both, each device's
store is identical to the server.  Concurrent edits of different fields of
one contact both survive; of the same field, the `server` policy keeps the
server's value and the `client` policy the client's.  The loser is kept as a
sync issue.
"""
import unittest

from harness import TempDirTestCase

PW = "Two-Devices-2026"


class TwoDevices(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.srv.add_user("bob", "Bob Dupont", "bob@example.org", PW)
        self.d1 = self.connector("alice-desktop")
        self.d2 = self.connector("alice-laptop")
        self.b = self.connector("bob")
        for c, login in ((self.d1, "alice"), (self.d2, "alice"), (self.b, "bob")):
            c.add_profile("work", self.srv.url, login, PW)
            c.run("sync")
        self.api = self.srv.api("alice", PW)
        self.api.login()
        folders = self.api.result("Folder/sync", {})["created"]
        self.contacts = [f["id"] for f in folders
                         if f["module"] == "contacts" and f["isDefault"]][0]

    # -- helpers ----------------------------------------------------------
    def server_items(self):
        ids = [x["id"] for x in self.api.result("Item/list", {"folderId": self.contacts})["items"]]
        items = self.api.result("Item/get", {"folderId": self.contacts, "ids": ids})["items"]
        return {it["id"]: it["fields"] for it in items}

    def device_items(self, dev):
        out = {}
        for it in dev.json("contacts", "list"):
            self.assertEqual(it["state"], "synced", it)
            out[it["serverId"]] = it["fields"]
        return out

    def add(self, dev, *args):
        cp = dev.run("contacts", "add", *args)
        local_id = cp.stdout.strip().splitlines()[-1]
        self.assertTrue(local_id)
        return local_id

    def server_id(self, dev, local_id):
        return dev.json("contacts", "show", local_id)["serverId"]

    def local_id(self, dev, server_id):
        for it in dev.json("contacts", "list"):
            if it["serverId"] == server_id:
                return it["id"]
        self.fail("server id %s not on device" % server_id)

    # -- scenarios ----------------------------------------------------------
    def test_create_edit_delete_converge(self):
        a = self.add(self.d1, "--first-name", "Ada", "--last-name", "Lovelace",
                     "--email1", "ada@example.org")
        b = self.add(self.d1, "--first-name", "Grace", "--last-name", "Hopper")
        c = self.add(self.d2, "--first-name", "Jean", "--last-name", "Bartik",
                     "--categories", "ENIAC,Programmers", "--birthday", "1924-12-27")
        self.d1.run("sync")
        self.d2.run("sync")
        self.d1.run("sync")
        ada = self.server_id(self.d1, a)
        grace = self.server_id(self.d1, b)
        jean = self.server_id(self.d2, c)
        # edits and deletes on both devices, on items made by the other one
        self.d2.run("contacts", "edit", self.local_id(self.d2, ada), "--job-title", "Countess")
        self.d2.run("contacts", "delete", self.local_id(self.d2, grace))
        self.d1.run("contacts", "edit", self.local_id(self.d1, jean), "--company", "ENIAC",
                    "--birthday", "")
        self.d1.run("sync")
        self.d2.run("sync")
        self.d1.run("sync")
        srv = self.server_items()
        self.assertEqual(set(srv), {ada, jean})
        self.assertEqual(srv[ada]["jobTitle"], "Countess")
        self.assertEqual(srv[jean]["company"], "ENIAC")
        self.assertNotIn("birthday", srv[jean])
        self.assertEqual(srv[jean]["categories"], ["ENIAC", "Programmers"])
        self.assertEqual(self.device_items(self.d1), srv)
        self.assertEqual(self.device_items(self.d2), srv)
        # bob's device holds nothing of alice's
        self.b.run("sync")
        self.assertEqual(self.b.json("contacts", "list"), [])

    def _conflict_setup(self):
        lid = self.add(self.d1, "--first-name", "Ada", "--last-name", "Lovelace",
                       "--company", "Engines")
        self.d1.run("sync")
        self.d2.run("sync")
        sid = self.server_id(self.d1, lid)
        return sid, lid, self.local_id(self.d2, sid)

    def test_different_fields_both_survive(self):
        sid, l1, l2 = self._conflict_setup()
        self.d1.run("contacts", "edit", l1, "--job-title", "Countess")
        self.d2.run("contacts", "edit", l2, "--phone-mobile", "+44 7700 900123")
        self.d1.run("sync")
        self.d2.run("sync")
        self.d1.run("sync")
        srv = self.server_items()[sid]
        self.assertEqual(srv["jobTitle"], "Countess")
        self.assertEqual(srv["phoneMobile"], "+44 7700 900123")
        self.assertEqual(self.device_items(self.d1), self.device_items(self.d2))

    def test_same_field_server_policy(self):
        sid, l1, l2 = self._conflict_setup()
        self.d1.run("contacts", "edit", l1, "--company", "First Inc")
        self.d2.run("contacts", "edit", l2, "--company", "Second Ltd")
        self.d1.run("sync")
        self.d2.run("sync", "--policy", "server")
        self.d1.run("sync")
        self.assertEqual(self.server_items()[sid]["company"], "First Inc")
        issues = self.d2.json("conflicts", "list")
        self.assertEqual([(i["reason"], i["fields"]) for i in issues],
                         [("conflict", {"company": "Second Ltd"})])
        self.assertEqual(self.device_items(self.d2)[sid]["company"], "First Inc")
        self.assertEqual(self.device_items(self.d1), self.device_items(self.d2))

    def test_same_field_client_policy(self):
        sid, l1, l2 = self._conflict_setup()
        self.d1.run("contacts", "edit", l1, "--company", "First Inc")
        self.d2.run("contacts", "edit", l2, "--company", "Second Ltd")
        self.d1.run("sync")
        self.d2.run("sync", "--policy", "client")
        self.d1.run("sync")
        self.assertEqual(self.server_items()[sid]["company"], "Second Ltd")
        # the server's value lost: it is kept on the device that overrode it
        issues = self.d2.json("conflicts", "list")
        self.assertEqual([(i["reason"], i["fields"]) for i in issues],
                         [("conflict", {"company": "First Inc"})])
        self.assertEqual(self.device_items(self.d1)[sid]["company"], "Second Ltd")
        self.assertEqual(self.device_items(self.d1), self.device_items(self.d2))


if __name__ == "__main__":
    unittest.main()
