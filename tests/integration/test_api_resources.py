"""Resources (docs/protocol.md "Invitations, resources and conflicts"): a
room made with `atriumd resource add` is listed, cannot log in, takes a
booking (its copy accepted, the organizer's entry accepted), refuses a
double booking with the conflicting booking listed — ignoreConflicts does
not help, an adjacent booking is fine, a reschedule onto a booking is
refused — and answers free/busy as a resource. Every reply is checked
against its schema by the harness.
"""
import unittest
import uuid

from harness import CommandError, TempDirTestCase

PW = "Resource-Passphrase-2026"


class Resources(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.api, self.cal = {}, {}
        for login, name in [("alice", "Alice Martin"), ("bob", "Bob Dupont")]:
            self.srv.add_user(login, name, "%s@example.org" % login, PW)
            api = self.srv.api(login, PW)
            api.login()
            self.api[login] = api
            self.cal[login] = [f["id"] for f in api.result("Folder/sync", {})["created"]
                               if f["module"] == "calendar" and f["isDefault"]][0]
        out = self.srv.cli("resource", "add", "room-1", "--email", "room1@example.org",
                           "--kind", "room", "--name", "Room One").stdout
        self.assertIn("added resource room-1 (room, room1@example.org)", out)
        self.srv.cli("resource", "add", "beamer", "--email", "beamer@example.org",
                     "--kind", "equipment")

    def write(self, login, fields=None, update=None, ignore=False):
        if update is not None:
            ch = {"update": [{"id": update["id"], "baseVersion": update["version"],
                              "fields": fields}]}
            key = "update"
        else:
            ch = {"create": [{"clientId": "c-" + uuid.uuid4().hex, "fields": fields}]}
            key = "create"
        if ignore:
            ch[key][0]["ignoreConflicts"] = True
        return self.api[login].result("Item/sync", {
            "folderId": self.cal[login], "changes": ch})["results"][0]

    def booking(self, login, start, end, subject):
        return {"subject": subject, "start": start, "end": end,
                "participants": [{"type": "resource", "login": "room-1"}]}

    def test_admin_commands(self):
        out = self.srv.cli("resource", "list").stdout
        lines = out.splitlines()
        self.assertEqual(len(lines), 3, out)
        self.assertTrue(lines[1].startswith("beamer") and "equipment" in lines[1], out)
        self.assertTrue(lines[2].startswith("room-1") and "room" in lines[2]
                        and "Room One" in lines[2], out)
        # users are not resources and resources are not users
        self.assertNotIn("room-1", self.srv.cli("user", "list").stdout)
        with self.assertRaises(CommandError):
            self.srv.cli("resource", "add", "room-2", "--email", "r2@example.org",
                         "--kind", "kitchen")
        with self.assertRaises(CommandError):
            self.srv.cli("resource", "add", "room-1", "--email", "other@example.org")
        with self.assertRaises(CommandError):
            self.srv.cli("user", "passwd", "room-1", "--password-stdin", input=PW + "\n")
        # a resource cannot log in, whatever it is sent
        for pw in ("", "!", PW):
            reply = self.srv.api("room-1", pw or "x").login()
            self.assertEqual(reply.status, 401, reply.body)

    def test_booking_and_double_booking(self):
        r = self.write("alice", self.booking("alice", "2026-04-01T09:00:00Z",
                                             "2026-04-01T10:00:00Z", "Board"))
        self.assertEqual(r["status"], "ok", r)
        board = r["item"]
        entry = board["fields"]["participants"][0]
        self.assertEqual(entry["status"], "accepted")
        self.assertTrue(entry["appointmentId"])
        fb = self.api["bob"].result("Calendar/getFreeBusy", {
            "principals": ["room-1", "beamer"], "from": "2026-04-01T00:00:00Z",
            "to": "2026-04-02T00:00:00Z"})["freeBusy"]
        self.assertEqual(fb[0], {"principal": "room-1", "name": "Room One",
                                 "type": "resource", "busy": [
                                     {"start": "2026-04-01T09:00:00Z",
                                      "end": "2026-04-01T10:00:00Z", "showAs": "busy"}]})
        self.assertEqual((fb[1]["type"], fb[1]["busy"]), ("resource", []))

        # bob cannot take the room then, not even with ignoreConflicts
        for ignore in (False, True):
            r = self.write("bob", self.booking("bob", "2026-04-01T09:30:00Z",
                                               "2026-04-01T10:30:00Z", "Sales"),
                           ignore=ignore)
            self.assertEqual(r["status"], "error", r)
            self.assertEqual(r["error"]["type"], "appointmentConflict")
            self.assertEqual(r["error"]["conflicts"], [
                {"principal": "room-1", "type": "resource", "start": "2026-04-01T09:00:00Z",
                 "end": "2026-04-01T10:00:00Z", "showAs": "busy"}])
            self.assertIn("room-1", r["error"]["message"])
        # right after it is free
        r = self.write("bob", self.booking("bob", "2026-04-01T10:00:00Z",
                                           "2026-04-01T11:00:00Z", "Sales"))
        self.assertEqual(r["status"], "ok", r)
        sales = r["item"]
        # adding the room to an existing appointment is checked too
        r = self.write("bob", {"subject": "Coffee", "start": "2026-04-01T10:30:00Z",
                               "end": "2026-04-01T10:45:00Z"})
        self.assertEqual(r["status"], "ok", r)
        r = self.write("bob", {"participants": [{"type": "resource", "login": "room-1"}]},
                       update=r["item"])
        self.assertEqual(r["error"]["type"], "appointmentConflict", r)
        # moving the board meeting onto the sales meeting is refused
        r = self.write("alice", {"start": "2026-04-01T10:30:00Z",
                                 "end": "2026-04-01T11:30:00Z"}, update=board, ignore=True)
        self.assertEqual(r["error"]["type"], "appointmentConflict", r)
        self.assertEqual([(c["principal"], c["start"]) for c in r["error"]["conflicts"]],
                         [("room-1", "2026-04-01T10:00:00Z")])
        # elsewhere it moves, and the room follows
        r = self.write("alice", {"start": "2026-04-01T14:00:00Z",
                                 "end": "2026-04-01T15:00:00Z"}, update=board)
        self.assertEqual(r["status"], "ok", r)
        self.assertEqual(r["item"]["fields"]["participants"][0]["status"], "accepted")
        # cancelled bookings free the room
        r = self.api["bob"].result("Item/sync", {"folderId": self.cal["bob"], "changes": {
            "delete": [{"id": sales["id"], "baseVersion": sales["version"]}]}})
        self.assertEqual(r["results"][0]["status"], "ok")
        fb = self.api["alice"].result("Calendar/getFreeBusy", {
            "principals": ["room-1"], "from": "2026-04-01T00:00:00Z",
            "to": "2026-04-02T00:00:00Z"})["freeBusy"][0]
        self.assertEqual(fb["busy"], [{"start": "2026-04-01T14:00:00Z",
                                       "end": "2026-04-01T15:00:00Z", "showAs": "busy"}])
        # a user is no resource and a resource no user
        for p in ({"type": "resource", "login": "bob"}, {"type": "user", "login": "room-1"},
                  {"type": "resource", "login": "room-9"}):
            r = self.write("alice", {"start": "2026-04-02T09:00:00Z",
                                     "end": "2026-04-02T10:00:00Z", "participants": [p]})
            self.assertEqual((r["error"]["type"], r["error"]["field"]),
                             ("invalidField", "participants[0].login"), r)


if __name__ == "__main__":
    unittest.main()
