"""Appointments through the API (docs/protocol.md §5 "Appointment fields"):
the session publishes their limits; Item/sync stores them in calendar
folders of every type (private, shared, public) and refuses them elsewhere;
offsets become UTC instants; per-item errors name the field (also inside
participants and overrides); a patch whose merge breaks the item (an end
before the stored start) is refused whole; private appointments are hidden
from other readers. Every reply is checked against its schema by the
harness.
"""
import unittest
import uuid

from harness import TempDirTestCase

PW = "Appointments-2026"


class Appointments(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.srv.add_user("bob", "Bob Dupont", "bob@example.org", PW)
        self.alice = self.srv.api("alice", PW)
        self.alice.login()
        self.bob = self.srv.api("bob", PW)
        self.bob.login()
        folders = self.alice.result("Folder/sync", {})["created"]
        self.calendar = [f["id"] for f in folders
                         if f["module"] == "calendar" and f["isDefault"]][0]
        self.contacts = [f["id"] for f in folders
                         if f["module"] == "contacts" and f["isDefault"]][0]

    def sync(self, api, folder, create=(), update=(), token=None):
        changes = {}
        if create:
            changes["create"] = [{"clientId": "c-" + uuid.uuid4().hex, "fields": f}
                                 for f in create]
        if update:
            changes["update"] = list(update)
        args = {"folderId": folder, "sinceToken": token}
        if changes:
            args["changes"] = changes
        return api.result("Item/sync", args)

    def create1(self, fields, folder=None, api=None):
        res = self.sync(api or self.alice, folder or self.calendar, create=[fields])
        return res["results"][0]

    def test_session_limits(self):
        limits = self.alice.session().body["limits"]["fields"]["appointment"]
        self.assertEqual(limits["start"], {"type": "datetime", "required": True})
        self.assertEqual(limits["showAs"]["values"],
                         ["free", "tentative", "busy", "outOfOffice"])
        self.assertEqual(limits["reminderMinutes"],
                         {"type": "integer", "minimum": 0, "maximum": 525600})
        self.assertEqual(limits["participants"]["maxItems"], 512)
        self.assertEqual(limits["participants"]["members"]["status"]["values"],
                         ["none", "accepted", "declined", "tentative"])
        self.assertEqual(limits["timeZone"], {"type": "timeZone", "maxLength": 64})
        self.assertTrue(limits["overrides"]["members"]["recurrenceId"]["required"])

    def test_store_normalise_and_folders(self):
        r = self.create1({"subject": "Kick-off", "start": "2024-03-07T09:00:00+01:00",
                          "end": "2024-03-07T10:30:00+01:00", "timeZone": "Europe/Paris",
                          "rrule": "FREQ=MONTHLY;BYDAY=1TH;COUNT=3",
                          "participants": [{"type": "user", "login": "bob",
                                            "status": "tentative", "comment": "maybe"}],
                          "organizer": {"login": "alice", "name": "Alice Martin"}})
        self.assertEqual(r["status"], "ok", r)
        item = r["item"]
        self.assertEqual(item["type"], "appointment")
        self.assertEqual(item["fields"]["start"], "2024-03-07T08:00:00Z")
        self.assertEqual(item["fields"]["end"], "2024-03-07T09:30:00Z")
        got = self.alice.result("Item/get", {"folderId": self.calendar, "ids": [item["id"]]})
        self.assertEqual(got["items"][0]["fields"], item["fields"])
        # a contact cannot go into a calendar, an appointment not into contacts
        res = self.alice.result("Item/sync", {
            "folderId": self.calendar, "sinceToken": None,
            "changes": {"create": [{"clientId": "c-x", "type": "contact",
                                    "fields": {"firstName": "Ada"}}]}})
        self.assertEqual(res["results"][0]["error"]["type"], "invalidArguments")
        r = self.create1({"start": "2024-03-07T08:00:00Z", "end": "2024-03-07T09:00:00Z"},
                         folder=self.contacts)
        self.assertEqual(r["error"]["type"], "unknownField")
        # a public calendar folder, and alice's calendar shared with bob
        res = self.alice.result("Folder/set", {"create": [{
            "clientId": "pub", "parentId": None, "name": "Events", "module": "calendar",
            "public": True}]})["results"][0]
        self.assertEqual(res["status"], "ok", res)
        r = self.create1({"subject": "Fair", "start": "2024-09-01", "end": "2024-09-02",
                          "allDay": True}, folder=res["folder"]["id"])
        self.assertEqual(r["status"], "ok", r)
        self.alice.result("Folder/setPermissions", {
            "folderId": self.calendar,
            "set": [{"principal": {"type": "user", "login": "bob"}, "level": "author"}]})
        shared = [f for f in self.bob.result("Folder/sync", {})["created"]
                  if f["id"] == self.calendar][0]
        self.assertEqual(shared["type"], "shared")
        r = self.create1({"subject": "Bob's", "start": "2024-09-02T10:00:00",
                          "end": "2024-09-02T11:00:00"}, api=self.bob)
        self.assertEqual(r["status"], "ok", r)
        self.assertEqual(r["item"]["fields"]["start"], "2024-09-02T10:00:00")

    def test_errors_name_the_field(self):
        base = {"start": "2024-03-07T08:00:00Z", "end": "2024-03-07T09:00:00Z"}
        cases = [
            ({"end": "2024-03-07T07:00:00Z"}, "invalidField", "end"),
            ({"timeZone": "Europe/Atlantis"}, "invalidField", "timeZone"),
            ({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "invalidField", "rrule"),
            ({"rrule": "FREQ=DAILY;BYHOUR=25"}, "invalidField", "rrule"),
            ({"showAs": "away"}, "invalidField", "showAs"),
            ({"reminderMinutes": -5}, "invalidField", "reminderMinutes"),
            ({"subject": "x" * 256}, "fieldTooLong", "subject"),
            ({"participants": [{"type": "external", "login": "bob"}]}, "invalidField",
             "participants[0]"),
            ({"participants": [{"type": "user", "login": "bob", "status": "yes"}]},
             "invalidField", "participants[0].status"),
            ({"rrule": "FREQ=DAILY", "overrides": [{"recurrenceId": "2024-03-08T08:00:00Z",
                                                    "end": "2024-03-08T07:00:00Z"}]},
             "invalidField", "overrides[0].end"),
            ({"allDay": True}, "invalidField", "allDay"),
            ({"start": "2024-03-07T08:00:00.5Z"}, "invalidField", "start"),
        ]
        for extra, code, field in cases:
            fields = dict(base)
            fields.update(extra)
            r = self.create1(fields)
            self.assertEqual(r["status"], "error", (extra, r))
            self.assertEqual((r["error"]["type"], r["error"]["field"]), (code, field),
                             (extra, r["error"]))
        # a missing start
        r = self.create1({"subject": "no time"})
        self.assertEqual((r["error"]["type"], r["error"]["field"]), ("invalidField", "start"))

    def test_merged_patch_checked_whole(self):
        r = self.create1({"subject": "Review", "start": "2024-03-07T08:00:00Z",
                          "end": "2024-03-07T09:00:00Z"})
        item = r["item"]
        # only the end, and before the stored start: refused, nothing changed
        res = self.sync(self.alice, self.calendar, update=[{
            "id": item["id"], "baseVersion": item["version"],
            "fields": {"end": "2024-03-07T07:00:00Z"}}])
        r2 = res["results"][0]
        self.assertEqual(r2["status"], "error", r2)
        self.assertEqual((r2["error"]["type"], r2["error"]["field"]), ("invalidField", "end"))
        got = self.alice.result("Item/get", {"folderId": self.calendar, "ids": [item["id"]]})
        self.assertEqual(got["items"][0]["fields"]["end"], "2024-03-07T09:00:00Z")
        # a required field cannot be removed; others can
        res = self.sync(self.alice, self.calendar, update=[{
            "id": item["id"], "baseVersion": item["version"], "fields": {"start": None}}])
        self.assertEqual(res["results"][0]["error"]["field"], "start")
        res = self.sync(self.alice, self.calendar, update=[{
            "id": item["id"], "baseVersion": item["version"],
            "fields": {"subject": None, "rrule": "FREQ=DAILY;COUNT=2",
                       "exdates": ["2024-03-08T08:00:00Z"]}}])
        self.assertEqual(res["results"][0]["status"], "ok", res)
        self.assertNotIn("subject", res["results"][0]["item"]["fields"])

    def test_private_hidden_from_reader(self):
        r1 = self.create1({"subject": "Doctor", "private": True,
                           "start": "2024-06-03T08:00:00Z", "end": "2024-06-03T09:00:00Z"})
        r2 = self.create1({"subject": "Lunch", "start": "2024-06-03T10:00:00Z",
                           "end": "2024-06-03T11:00:00Z"})
        self.alice.result("Folder/setPermissions", {
            "folderId": self.calendar,
            "set": [{"principal": {"type": "user", "login": "bob"}, "level": "editor"}]})
        res = self.sync(self.bob, self.calendar)
        seen = {it["id"] for it in res["changes"]["upserted"]}
        self.assertEqual(seen, {r2["id"]})
        got = self.bob.result("Item/get", {"folderId": self.calendar,
                                           "ids": [r1["id"], r2["id"]]})
        self.assertEqual(got["notFound"], [r1["id"]])
        # nor can an editor change it
        res = self.sync(self.bob, self.calendar, update=[{
            "id": r1["id"], "baseVersion": r1["version"], "fields": {"subject": "Mine"}}])
        self.assertEqual(res["results"][0]["status"], "error")


if __name__ == "__main__":
    unittest.main()
