"""Item/move (docs/protocol.md §6): a recurring series with a deleted and a
changed occurrence moves to another calendar keeping its id, fields and
field versions; the source folder's sync lists it removed and the target's
changed at one modseq; rights are those of deleting in the source and
creating in the target; modules must match; a delegated task keeps its
copies when moved. Every reply is checked against its schema.
"""
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import MethodError, TempDirTestCase  # noqa: E402

PW = "Move-Series-2026"

SERIES = {
    "subject": "Weekly review", "start": "2026-03-02T08:00:00Z", "end": "2026-03-02T09:00:00Z",
    "timeZone": "Europe/Paris", "rrule": "FREQ=WEEKLY;COUNT=10",
    "exdates": ["2026-03-09T08:00:00Z"],
    "overrides": [{"recurrenceId": "2026-03-16T08:00:00Z", "subject": "Review (moved)",
                   "start": "2026-03-17T08:00:00Z", "end": "2026-03-17T09:00:00Z"}],
}


class Move(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        for login, name in (("alice", "Alice Martin"), ("bob", "Bob Stone")):
            self.srv.add_user(login, name, login + "@example.test", PW)
        self.srv.start()
        self.api, self.default = {}, {}
        for login in ("alice", "bob"):
            self.api[login] = self.srv.api(login, PW)
            self.api[login].login()
            folders = self.api[login].result("Folder/sync", {})["created"]
            self.default[login] = {f["module"]: f["id"] for f in folders if f["isDefault"]}

    def make_folder(self, login, name, module, parent):
        res = self.api[login].result("Folder/set", {"create": [
            {"clientId": "f-" + uuid.uuid4().hex, "parentId": parent, "name": name,
             "module": module}]})
        self.assertEqual(res["results"][0]["status"], "ok", res)
        return res["results"][0]["folder"]["id"]

    def create(self, login, folder, fields, type_=None):
        change = {"clientId": "c-" + uuid.uuid4().hex, "fields": fields}
        if type_:
            change["type"] = type_
        res = self.api[login].result("Item/sync", {"folderId": folder, "sinceToken": None,
                                                   "changes": {"create": [change]}})
        self.assertEqual(res["results"][0]["status"], "ok", res)
        return res["results"][0]["item"]

    def sync(self, login, folder, token):
        return self.api[login].result("Item/sync", {"folderId": folder, "sinceToken": token})

    def move(self, login, src, dst, ids, **kw):
        return self.api[login].result("Item/move", {"fromFolderId": src, "toFolderId": dst,
                                                    "ids": ids}, **kw)

    def test_series_moves_whole(self):
        cal = self.default["alice"]["calendar"]
        travel = self.make_folder("alice", "Travel", "calendar", cal)
        item = self.create("alice", cal, SERIES)
        t_src = self.sync("alice", cal, None)["newToken"]
        t_dst = self.sync("alice", travel, None)["newToken"]
        before = self.api["alice"].result("Item/get", {"folderId": cal, "ids": [item["id"]]})
        res = self.move("alice", cal, travel, [item["id"]])
        self.assertEqual(res["results"][0]["status"], "ok", res)
        version = res["results"][0]["version"]
        self.assertGreater(version, item["version"])
        src = self.sync("alice", cal, t_src)
        dst = self.sync("alice", travel, t_dst)
        self.assertEqual(src["changes"]["removed"], [item["id"]])
        self.assertEqual(src["changes"]["upserted"], [])
        moved = dst["changes"]["upserted"]
        self.assertEqual([m["id"] for m in moved], [item["id"]])
        self.assertEqual(moved[0]["fields"], before["items"][0]["fields"])
        self.assertEqual(moved[0]["folderId"], travel)
        self.assertEqual(moved[0]["version"], version)
        got = self.api["alice"].result("Item/get", {"folderId": cal, "ids": [item["id"]]})
        self.assertEqual(got["notFound"], [item["id"]])
        # a later edit in the new folder merges on the kept field versions
        res = self.api["alice"].result("Item/sync", {
            "folderId": travel, "sinceToken": None,
            "changes": {"update": [{"id": item["id"], "baseVersion": item["version"],
                                    "fields": {"location": "Room 4"}}]}})
        r = res["results"][0]
        self.assertEqual(r["status"], "ok", r)
        self.assertNotIn("conflict", r)
        self.assertEqual(r["item"]["fields"]["overrides"], SERIES["overrides"])
        # and back: the target's tombstone is cleared, the source has it again
        res = self.move("alice", travel, cal, [item["id"]])
        self.assertEqual(res["results"][0]["status"], "ok")
        src = self.sync("alice", cal, src["newToken"])
        self.assertEqual([m["id"] for m in src["changes"]["upserted"]], [item["id"]])
        self.assertEqual(src["changes"]["removed"], [])

    def test_rights_and_modules(self):
        cal = self.default["alice"]["calendar"]
        item = self.create("alice", cal, SERIES)
        # bob's own calendar is no calendar of alice's: bob cannot see hers
        with self.assertRaises(MethodError) as cm:
            self.move("bob", cal, self.default["bob"]["calendar"], [item["id"]])
        self.assertIn(cm.exception.error["type"], ("notFound", "forbidden"))
        # alice cannot create in bob's calendar: nothing moves
        self.api["bob"].result("Folder/setPermissions", {
            "folderId": self.default["bob"]["calendar"],
            "set": [{"principal": {"type": "user", "login": "alice"}, "level": "reviewer"}]})
        with self.assertRaises(MethodError) as cm:
            self.move("alice", cal, self.default["bob"]["calendar"], [item["id"]])
        self.assertEqual((cm.exception.error["type"], cm.exception.error.get("field")),
                         ("forbidden", "toFolderId"))
        self.assertEqual(self.api["alice"].result(
            "Item/get", {"folderId": cal, "ids": [item["id"]]})["notFound"], [])
        # an author of bob's calendar may move into it; bob as a mere author of
        # alice's calendar cannot take alice's items out of it
        self.api["bob"].result("Folder/setPermissions", {
            "folderId": self.default["bob"]["calendar"],
            "set": [{"principal": {"type": "user", "login": "alice"}, "level": "author"}]})
        self.api["alice"].result("Folder/setPermissions", {
            "folderId": cal,
            "set": [{"principal": {"type": "user", "login": "bob"}, "level": "author"}]})
        res = self.move("bob", cal, self.default["bob"]["calendar"], [item["id"], "0" * 24])
        self.assertEqual([(r["status"], r["error"]["type"]) for r in res["results"]],
                         [("error", "forbidden"), ("error", "notFound")])
        # modules must match
        with self.assertRaises(MethodError) as cm:
            self.move("alice", cal, self.default["alice"]["contacts"], [item["id"]])
        self.assertEqual(cm.exception.error.get("field"), "toFolderId")
        with self.assertRaises(MethodError):
            self.move("alice", cal, cal, [item["id"]])

    def test_delegated_task_keeps_its_copy(self):
        tasks = self.default["alice"]["tasks"]
        later = self.make_folder("alice", "Later", "tasks", tasks)
        t = self.create("alice", tasks, {"subject": "Report", "due": "2026-04-01",
                                         "participants": [{"type": "user", "login": "bob"}]},
                        type_="task")
        res = self.move("alice", tasks, later, [t["id"]])
        self.assertEqual(res["results"][0]["status"], "ok")
        bob_tasks = self.default["bob"]["tasks"]
        copy = self.sync("bob", bob_tasks, None)["changes"]["upserted"][0]
        self.assertEqual(copy["fields"]["delegator"]["taskId"], t["id"])
        res = self.api["bob"].result("Item/sync", {
            "folderId": bob_tasks, "sinceToken": None,
            "changes": {"update": [{"id": copy["id"], "baseVersion": copy["version"],
                                    "fields": {"response": "accepted"}}]}})
        self.assertEqual(res["results"][0]["status"], "ok", res)
        moved = self.api["alice"].result("Item/get", {"folderId": later, "ids": [t["id"]]})
        self.assertEqual(moved["items"][0]["fields"]["participants"][0]["status"], "accepted")


if __name__ == "__main__":
    unittest.main()
