"""A sync cut at every step ends like an uninterrupted one.

The connector is made to exit (as after kill -9) after its k-th step, where a
step is a request or a committed local transaction
(ATRIUM_EXIT_AFTER_STEP=k), then synced again normally.  For every k the end
state must equal that of a run without interruption: the same contacts on the
server and on the device, nothing pending, no duplicates, and the same sync
issues (once each).  Each k runs in an account of its own on one server,
through the same scenario: changes on the server by another device, changes
offline on this device (creates, edits of other fields and of the same items,
a delete, an edit of an item deleted on the server), and a window of 3 so the
sync takes several rounds.
"""
import json
import unittest

from harness import TempDirTestCase

PW = "Interrupt-Tests-2026"


def canon(fields_list):
    return sorted(json.dumps(f, sort_keys=True) for f in fields_list)


class Interrupt(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()

    def scenario(self, k):
        """Runs the scenario for account u<k>, cutting the sync at step k
        (0: no cut).  Returns (cut happened, server fields, device items,
        sync issues)."""
        login = "u%d" % k
        self.srv.add_user(login, "User %d" % k, "%s@example.org" % login, PW)
        api = self.srv.api(login, PW)
        api.login()
        folder = [f["id"] for f in api.result("Folder/sync", {})["created"]
                  if f["module"] == "contacts"][0]
        made = api.result("Item/sync", {"folderId": folder, "changes": {"create": [
            {"clientId": "o%d" % i, "fields": {"firstName": "C%d" % i, "lastName": "Other",
                                               "company": "Start"}}
            for i in range(10)]}})["results"]
        ids = [r["id"] for r in made]
        versions = {r["id"]: r["version"] for r in made}

        dev = self.connector("dev%d" % k)
        dev.add_profile("work", self.srv.url, login, PW)
        dev.run("sync", "--window", "3")
        local = {c["serverId"]: c["id"] for c in dev.json("contacts", "list")}

        # the other device: edits, deletes, creates
        api.result("Item/sync", {"folderId": folder, "changes": {
            "update": [{"id": ids[i], "baseVersion": versions[ids[i]],
                        "fields": {"company": "Edited%d" % i}} for i in range(3)],
            "delete": [{"id": ids[i], "baseVersion": versions[ids[i]]} for i in (3, 4)],
            "create": [{"clientId": "o%d" % i, "fields": {"firstName": "C%d" % i,
                                                        "lastName": "Other"}}
                       for i in range(10, 13)]}})
        # this device, offline
        for n in ("L1", "L2", "L3"):
            dev.run("contacts", "add", "--first-name", n, "--last-name", "Local")
        dev.run("contacts", "edit", local[ids[5]], "--job-title", "Edited here")
        dev.run("contacts", "edit", local[ids[0]], "--phone-mobile", "+1 555 0100")
        dev.run("contacts", "delete", local[ids[6]])
        dev.run("contacts", "edit", local[ids[3]], "--job-title", "Too late")

        env = {"ATRIUM_EXIT_AFTER_STEP": str(k)} if k else None
        cut = dev.run("sync", "--window", "3", check=False, env=env)
        self.assertIn(cut.returncode, (0, 75), cut.stderr)
        dev.run("sync", "--window", "3")
        dev.run("sync", "--window", "3")

        listed = [x["id"] for x in api.result("Item/list", {"folderId": folder})["items"]]
        server = api.result("Item/get", {"folderId": folder, "ids": listed})["items"]
        items = dev.json("contacts", "list")
        issues = dev.json("conflicts", "list")
        return (cut.returncode == 75, canon([it["fields"] for it in server]), items,
                sorted((i["reason"], json.dumps(i["fields"], sort_keys=True)) for i in issues))

    def test_cut_at_every_step(self):
        cut, ref_server, ref_items, ref_issues = self.scenario(0)
        self.assertFalse(cut)
        self.assertEqual(len(ref_server), 13 - 2 - 1 + 3)  # 10+3 made, 2+1 deleted, 3 local
        self.assertEqual([r for r, _ in ref_issues], ["deletedOnServer"])
        self.assertEqual(canon([c["fields"] for c in ref_items]), ref_server)
        cuts = 0
        for k in range(1, 200):
            cut, server, items, issues = self.scenario(k)
            where = "cut after step %d" % k
            self.assertEqual(server, ref_server, where)
            self.assertEqual(canon([c["fields"] for c in items]), ref_server, where)
            self.assertTrue(all(c["state"] == "synced" for c in items), where)
            self.assertEqual(len({c["serverId"] for c in items}), len(items), where)
            self.assertEqual(issues, ref_issues, where)
            if not cut:
                break
            cuts += 1
        self.assertGreater(cuts, 10, "the sync should have more than 10 steps")
        print("cut and resumed at %d steps" % cuts)


if __name__ == "__main__":
    unittest.main()
