"""Free/busy through the API (docs/protocol.md §6 Calendar/getFreeBusy):
merged busy intervals of several users with their show-as, recurrences
expanded across a daylight-saving change with a deleted and a moved
occurrence, free appointments left out, private appointments busy without
details, details only where the asker may read, unknown logins answered
with an error, and the argument limits. Every reply is checked against its
schema by the harness.
"""
import unittest
import uuid

from harness import MethodError, TempDirTestCase

PW = "FreeBusy-2026-pw"


class FreeBusy(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.apis = {}
        self.calendars = {}
        for login, name in (("alice", "Alice Martin"), ("bob", "Bob Dupont"),
                            ("carol", "Carol Petit")):
            self.srv.add_user(login, name, login + "@example.org", PW)
            api = self.srv.api(login, PW)
            api.login()
            self.apis[login] = api
            folders = api.result("Folder/sync", {})["created"]
            self.calendars[login] = [f["id"] for f in folders
                                     if f["module"] == "calendar" and f["isDefault"]][0]

    def create(self, login, *fields_list, folder=None):
        res = self.apis[login].result("Item/sync", {
            "folderId": folder or self.calendars[login], "sinceToken": None,
            "changes": {"create": [{"clientId": "c-" + uuid.uuid4().hex, "fields": f}
                                   for f in fields_list]}})
        for r in res["results"]:
            self.assertEqual(r["status"], "ok", r)
        return [r["id"] for r in res["results"]]

    def fb(self, asker, principals, start, end, **extra):
        args = {"principals": principals, "from": start, "to": end}
        args.update(extra)
        return self.apis[asker].result("Calendar/getFreeBusy", args)

    def by_principal(self, res):
        return {e["principal"]: e for e in res["freeBusy"]}

    def test_merged_intervals_and_show_as(self):
        self.create("alice",
                    {"subject": "Standup", "start": "2026-03-02T09:00:00Z",
                     "end": "2026-03-02T10:00:00Z"},
                    # overlaps and extends the first: one busy interval 9-11
                    {"subject": "Review", "start": "2026-03-02T09:30:00Z",
                     "end": "2026-03-02T11:00:00Z", "showAs": "busy"},
                    # tentative 10:30-12:00: busy wins until 11, tentative after
                    {"subject": "Maybe", "start": "2026-03-02T10:30:00Z",
                     "end": "2026-03-02T12:00:00Z", "showAs": "tentative"},
                    # free: left out entirely
                    {"subject": "Lunch", "start": "2026-03-02T12:00:00Z",
                     "end": "2026-03-02T13:00:00Z", "showAs": "free"},
                    # out of office inside a busy one: it wins there
                    {"subject": "Workshop", "start": "2026-03-02T14:00:00Z",
                     "end": "2026-03-02T17:00:00Z"},
                    {"subject": "Doctor", "start": "2026-03-02T15:00:00Z",
                     "end": "2026-03-02T16:00:00Z", "showAs": "outOfOffice"},
                    # outside the range
                    {"subject": "Later", "start": "2026-03-09T09:00:00Z",
                     "end": "2026-03-09T10:00:00Z"})
        self.create("bob", {"subject": "Bob's call", "start": "2026-03-02T07:30:00Z",
                            "end": "2026-03-02T08:30:00Z", "showAs": "tentative"})
        res = self.fb("carol", ["alice", "bob"], "2026-03-02T00:00:00Z",
                      "2026-03-03T00:00:00Z")
        self.assertEqual(res["from"], "2026-03-02T00:00:00Z")
        e = self.by_principal(res)
        self.assertEqual(e["alice"]["name"], "Alice Martin")
        self.assertEqual(e["alice"]["busy"], [
            {"start": "2026-03-02T09:00:00Z", "end": "2026-03-02T11:00:00Z", "showAs": "busy"},
            {"start": "2026-03-02T11:00:00Z", "end": "2026-03-02T12:00:00Z",
             "showAs": "tentative"},
            {"start": "2026-03-02T14:00:00Z", "end": "2026-03-02T15:00:00Z", "showAs": "busy"},
            {"start": "2026-03-02T15:00:00Z", "end": "2026-03-02T16:00:00Z",
             "showAs": "outOfOffice"},
            {"start": "2026-03-02T16:00:00Z", "end": "2026-03-02T17:00:00Z", "showAs": "busy"},
        ])
        self.assertEqual(e["bob"]["busy"], [
            {"start": "2026-03-02T07:30:00Z", "end": "2026-03-02T08:30:00Z",
             "showAs": "tentative"}])
        self.assertNotIn("items", e["alice"])
        # clipped to the range
        res = self.fb("carol", ["alice"], "2026-03-02T09:30:00Z", "2026-03-02T10:00:00Z")
        self.assertEqual(res["freeBusy"][0]["busy"], [
            {"start": "2026-03-02T09:30:00Z", "end": "2026-03-02T10:00:00Z", "showAs": "busy"}])

    def test_recurring_across_dst_with_exceptions(self):
        # 09:00 Paris every Monday: 08:00Z in winter, 07:00Z after 29 March 2026
        self.create("alice", {
            "subject": "Weekly", "start": "2026-03-16T08:00:00Z", "end": "2026-03-16T09:00:00Z",
            "timeZone": "Europe/Paris", "rrule": "FREQ=WEEKLY;BYDAY=MO",
            "exdates": ["2026-03-23T08:00:00Z"],
            "overrides": [{"recurrenceId": "2026-04-06T07:00:00Z",
                           "start": "2026-04-06T12:00:00Z", "end": "2026-04-06T13:00:00Z",
                           "showAs": "tentative"}]})
        res = self.fb("bob", ["alice"], "2026-03-16T00:00:00Z", "2026-04-14T00:00:00Z")
        self.assertEqual(res["freeBusy"][0]["busy"], [
            {"start": "2026-03-16T08:00:00Z", "end": "2026-03-16T09:00:00Z", "showAs": "busy"},
            # 23 March deleted
            {"start": "2026-03-30T07:00:00Z", "end": "2026-03-30T08:00:00Z", "showAs": "busy"},
            {"start": "2026-04-06T12:00:00Z", "end": "2026-04-06T13:00:00Z",
             "showAs": "tentative"},
            {"start": "2026-04-13T07:00:00Z", "end": "2026-04-13T08:00:00Z", "showAs": "busy"},
        ])

    def test_all_day_read_in_time_zone(self):
        self.create("alice", {"subject": "Holiday", "start": "2026-05-01", "end": "2026-05-02",
                              "allDay": True, "showAs": "outOfOffice"})
        res = self.fb("bob", ["alice"], "2026-04-30T00:00:00Z", "2026-05-03T00:00:00Z",
                      timeZone="Europe/Paris")
        self.assertEqual(res["freeBusy"][0]["busy"], [
            {"start": "2026-04-30T22:00:00Z", "end": "2026-05-01T22:00:00Z",
             "showAs": "outOfOffice"}])
        res = self.fb("bob", ["alice"], "2026-04-30T00:00:00Z", "2026-05-03T00:00:00Z")
        self.assertEqual(res["freeBusy"][0]["busy"][0]["start"], "2026-05-01T00:00:00Z")

    def test_private_and_details(self):
        self.create("alice",
                    {"subject": "Secret interview", "location": "Room 9",
                     "start": "2026-06-01T10:00:00Z", "end": "2026-06-01T11:00:00Z",
                     "private": True},
                    {"subject": "Team lunch", "location": "Canteen",
                     "start": "2026-06-01T12:00:00Z", "end": "2026-06-01T13:00:00Z"})
        span = ("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z")
        # without a grant, bob gets busy time only: never a subject
        res = self.fb("bob", ["alice"], *span, details=True)
        entry = res["freeBusy"][0]
        self.assertEqual([b["start"] for b in entry["busy"]],
                         ["2026-06-01T10:00:00Z", "2026-06-01T12:00:00Z"])
        self.assertEqual(entry["items"], [])
        self.assertNotIn("Secret", str(res))
        # a reviewer of alice's calendar reads the team lunch, not the private one
        self.apis["alice"].result("Folder/setPermissions", {
            "folderId": self.calendars["alice"],
            "set": [{"principal": {"type": "user", "login": "bob"}, "level": "reviewer"}]})
        entry = self.fb("bob", ["alice"], *span, details=True)["freeBusy"][0]
        self.assertEqual(len(entry["busy"]), 2)
        self.assertEqual([(i["subject"], i["location"]) for i in entry["items"]],
                         [("Team lunch", "Canteen")])
        self.assertNotIn("Secret", str(entry))
        # the creator sees her own private appointment in the details
        entry = self.fb("alice", ["alice"], *span, details=True)["freeBusy"][0]
        subjects = [i.get("subject") for i in entry["items"]]
        self.assertEqual(subjects, ["Secret interview", "Team lunch"])
        self.assertTrue(entry["items"][0]["private"])

    def test_other_calendar_folders_count_and_unknown_login(self):
        res = self.apis["alice"].result("Folder/set", {"create": [
            {"clientId": "f1", "parentId": None, "module": "calendar", "name": "Travel"}]})
        self.assertEqual(res["results"][0]["status"], "ok", res)
        travel = res["results"][0]["folder"]["id"]
        self.create("alice", {"subject": "Flight", "start": "2026-07-01T06:00:00Z",
                              "end": "2026-07-01T08:00:00Z"}, folder=travel)
        res = self.fb("bob", ["alice", "nobody"], "2026-07-01T00:00:00Z",
                      "2026-07-02T00:00:00Z")
        e = self.by_principal(res)
        self.assertEqual(len(e["alice"]["busy"]), 1)
        self.assertEqual(e["nobody"]["error"]["type"], "notFound")
        self.assertNotIn("busy", e["nobody"])

    def test_argument_errors(self):
        cases = [
            ({"principals": [], "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"},
             "principals"),
            ({"principals": ["alice"], "from": "2026-01-01", "to": "2026-01-02T00:00:00Z"},
             "from"),
            ({"principals": ["alice"], "from": "2026-01-02T00:00:00Z",
              "to": "2026-01-01T00:00:00Z"}, "to"),
            ({"principals": ["alice"], "from": "2026-01-01T00:00:00Z",
              "to": "2027-06-01T00:00:00Z"}, "to"),
            ({"principals": ["alice"], "from": "2026-01-01T00:00:00Z",
              "to": "2026-01-02T00:00:00Z", "timeZone": "Mars/Olympus"}, "timeZone"),
        ]
        for args, field in cases:
            with self.assertRaises(MethodError, msg=str(args)) as cm:
                self.apis["bob"].result("Calendar/getFreeBusy", args,
                                        validate_request=False)
            self.assertEqual(cm.exception.error["type"], "invalidArguments", args)
            self.assertEqual(cm.exception.error.get("field"), field, args)


if __name__ == "__main__":
    unittest.main()
