"""Appointments end to end: two devices of alice and one of bob, syncing
through a real atriumd, with the calendar commands of the connector.

A weekly series made on one device reaches the other and the server with
every field; both devices list the same occurrences, computed offline,
across the change to summer time in Europe/Paris (hand-computed instants);
one occurrence moved on one device and another deleted on the other merge;
"this and following" splits the series into two items; all-day and
floating appointments keep their kind; a rule that can never occur is
refused by the connector, and by the server when the connector's check is
skipped; a private appointment stays invisible to a user who may read the
calendar.
"""
import unittest

from harness import TempDirTestCase

PW = "Calendar-Sync-2026"
PARIS = {"TZ": "Europe/Paris"}


class Device:
    """A connector whose commands run in the Europe/Paris zone."""

    def __init__(self, conn):
        self.c = conn

    def run(self, *args, **kw):
        env = dict(PARIS)
        env.update(kw.pop("env", {}))
        return self.c.run(*args, env=env, **kw)

    def json(self, *args, **kw):
        env = dict(PARIS)
        env.update(kw.pop("env", {}))
        return self.c.json(*args, env=env, **kw)

    def add(self, *args, **kw):
        cp = self.run("calendar", "add", *args, **kw)
        return cp.stdout.strip().splitlines()[-1]

    def occurrences(self, start, end, *extra):
        return [(o["localStart"], o["localEnd"], o["subject"])
                for o in self.json("calendar", "list", "--from", start, "--to", end, *extra)]

    def server_id(self, local_id):
        return self.json("calendar", "show", local_id)["serverId"]

    def local_id(self, server_id):
        for o in self.json("calendar", "list", "--from", "2024-01-01", "--to", "2025-12-31"):
            if o["serverId"] == server_id:
                return o["id"]
        raise AssertionError("server id %s not on the device" % server_id)


class Calendar(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.srv.add_user("bob", "Bob Dupont", "bob@example.org", PW)
        self.srv.cli("resource", "add", "room-1", "--email", "room-1@example.org")
        self.d1 = Device(self.connector("alice-desktop"))
        self.d2 = Device(self.connector("alice-laptop"))
        self.b = Device(self.connector("bob"))
        for d, login in ((self.d1, "alice"), (self.d2, "alice"), (self.b, "bob")):
            d.c.add_profile("work", self.srv.url, login, PW)
            d.run("sync")
        self.api = self.srv.api("alice", PW)
        self.api.login()
        folders = self.api.result("Folder/sync", {})["created"]
        self.calendar = [f["id"] for f in folders
                         if f["module"] == "calendar" and f["isDefault"]][0]

    def server_items(self):
        ids = [x["id"] for x in self.api.result("Item/list", {"folderId": self.calendar})["items"]]
        items = self.api.result("Item/get", {"folderId": self.calendar, "ids": ids})["items"]
        for it in items:
            self.assertEqual(it["type"], "appointment")
        return {it["id"]: it["fields"] for it in items}

    def device_items(self, dev):
        out = {}
        for o in dev.json("calendar", "list", "--from", "2000-01-01", "--to", "2030-12-31"):
            self.assertEqual(o["state"], "synced", o)
            full = dev.json("calendar", "show", o["id"])
            out[full["serverId"]] = full["fields"]
        return out

    def sync_all(self):
        self.d1.run("sync")
        self.d2.run("sync")
        self.d1.run("sync")

    # -- scenarios ----------------------------------------------------------

    def test_series_with_every_field_across_dst(self):
        lid = self.d1.add("--subject", "Standup", "--location", "Room 1",
                          "--start", "2024-03-19 09:00", "--end", "2024-03-19 09:15",
                          "--rrule", "FREQ=WEEKLY;BYDAY=TU;COUNT=4",
                          "--participant", "bob", "--participant", "ada@example.org",
                          "--participant", "resource:room-1",
                          "--show-as", "away", "--reminder", "10", "--label", "must-attend",
                          "--categories", "Team, Daily", "--notes", "line 1\nline 2")
        self.sync_all()
        sid = self.d1.server_id(lid)
        srv = self.server_items()[sid]
        self.assertEqual(srv["start"], "2024-03-19T08:00:00Z")
        self.assertEqual(srv["end"], "2024-03-19T08:15:00Z")
        self.assertEqual(srv["timeZone"], "Europe/Paris")
        self.assertEqual(srv["rrule"], "FREQ=WEEKLY;BYDAY=TU;COUNT=4")
        self.assertEqual(srv["showAs"], "outOfOffice")
        self.assertEqual(srv["label"], "mustAttend")
        self.assertEqual(srv["reminderMinutes"], 10)
        self.assertEqual(srv["categories"], ["Team", "Daily"])
        self.assertEqual(srv["notes"], "line 1\nline 2")
        # the server tracks each participant: bob's copy (not answered yet),
        # the room booked at once; alice is the organizer
        parts = srv["participants"]
        self.assertEqual([(p["type"], p.get("login", p.get("address")), p.get("status"))
                          for p in parts],
                         [("user", "bob", "none"), ("external", "ada@example.org", None),
                          ("resource", "room-1", "accepted")])
        self.assertTrue(parts[0]["appointmentId"])
        self.assertTrue(parts[2]["appointmentId"])
        self.assertEqual(srv["organizer"]["login"], "alice")
        self.assertTrue(srv["uid"])
        self.assertEqual(self.device_items(self.d1), self.server_items())
        self.assertEqual(self.device_items(self.d2), self.server_items())
        # summer time from 31 March: 09:00 Paris is 08:00Z, then 07:00Z
        occ = self.d2.json("calendar", "list", "--from", "2024-03-01", "--to", "2024-04-30")
        self.assertEqual([(o["start"], o["localStart"]) for o in occ], [
            ("2024-03-19T08:00:00Z", "2024-03-19 09:00"),
            ("2024-03-26T08:00:00Z", "2024-03-26 09:00"),
            ("2024-04-02T07:00:00Z", "2024-04-02 09:00"),
            ("2024-04-09T07:00:00Z", "2024-04-09 09:00")])
        self.assertEqual([o["recurrenceId"] for o in occ],
                         [o["start"] for o in occ])
        # the same series seen from New York: 04:00, then 03:00 (US summer
        # time began 10 March), then 03:00
        occ = self.d2.json("calendar", "list", "--from", "2024-03-01", "--to", "2024-04-30",
                           "--tz", "America/New_York")
        self.assertEqual([o["localStart"] for o in occ],
                         ["2024-03-19 04:00", "2024-03-26 04:00", "2024-04-02 03:00",
                          "2024-04-09 03:00"])
        # bob's device holds his invitation: a copy in his own calendar
        self.b.run("sync")
        self.assertEqual([o[2] for o in self.b.occurrences("2024-01-01", "2024-12-31")],
                         ["Standup"] * 4)

    def test_exceptions_merge_and_split(self):
        lid = self.d1.add("--subject", "Weekly", "--start", "2024-03-19 09:00",
                          "--end", "2024-03-19 10:00", "--rrule", "FREQ=WEEKLY;BYDAY=TU;COUNT=6")
        self.sync_all()
        sid = self.d1.server_id(lid)
        l2 = self.d2.local_id(sid)
        # offline on both devices: move one occurrence here, delete one there
        self.d1.run("calendar", "edit", lid, "--occurrence", "2024-04-02",
                    "--start", "2024-04-03 14:00", "--subject", "Moved")
        self.d2.run("calendar", "delete", l2, "--occurrence", "2024-04-09")
        self.sync_all()
        want = [("2024-03-19 09:00", "2024-03-19 10:00", "Weekly"),
                ("2024-03-26 09:00", "2024-03-26 10:00", "Weekly"),
                ("2024-04-03 14:00", "2024-04-03 15:00", "Moved"),
                ("2024-04-16 09:00", "2024-04-16 10:00", "Weekly"),
                ("2024-04-23 09:00", "2024-04-23 10:00", "Weekly")]
        self.assertEqual(self.d1.occurrences("2024-03-01", "2024-05-31"), want)
        self.assertEqual(self.d2.occurrences("2024-03-01", "2024-05-31"), want)
        srv = self.server_items()[sid]
        self.assertEqual(srv["exdates"], ["2024-04-09T07:00:00Z"])
        self.assertEqual(srv["overrides"], [{
            "recurrenceId": "2024-04-02T07:00:00Z", "subject": "Moved",
            "start": "2024-04-03T12:00:00Z", "end": "2024-04-03T13:00:00Z"}])
        # this and following, from 16 April: a new series in another room
        cp = self.d2.run("calendar", "edit", l2, "--this-and-following", "2024-04-16",
                         "--location", "Room 2", "--start", "2024-04-16 11:00",
                         "--end", "2024-04-16 11:30")
        new_local = cp.stdout.strip()
        self.assertTrue(new_local)
        self.sync_all()
        srv = self.server_items()
        self.assertEqual(len(srv), 2)
        old = srv[sid]
        self.assertEqual(old["rrule"], "FREQ=WEEKLY;BYDAY=TU;UNTIL=20240416T065959Z")
        new = [f for i, f in srv.items() if i != sid][0]
        self.assertEqual(new["rrule"], "FREQ=WEEKLY;BYDAY=TU;COUNT=2")
        self.assertEqual(new["start"], "2024-04-16T09:00:00Z")
        self.assertEqual(new["location"], "Room 2")
        self.assertNotEqual(new["uid"], old["uid"])
        want = want[:3] + [("2024-04-16 11:00", "2024-04-16 11:30", "Weekly"),
                           ("2024-04-23 11:00", "2024-04-23 11:30", "Weekly")]
        self.assertEqual(self.d1.occurrences("2024-03-01", "2024-05-31"), want)
        self.assertEqual(self.d2.occurrences("2024-03-01", "2024-05-31"), want)
        self.assertEqual(self.device_items(self.d1), self.device_items(self.d2))

    def test_all_day_and_workdays(self):
        self.d1.add("--subject", "Holiday", "--start", "2024-05-01", "--end", "2024-05-03")
        self.d1.add("--subject", "Sync", "--start", "2024-10-24 09:00", "--end",
                    "2024-10-24 09:30", "--rrule", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=4")
        self.sync_all()
        srv = sorted(self.server_items().values(), key=lambda f: f["subject"])
        self.assertEqual((srv[0]["start"], srv[0]["end"], srv[0]["allDay"]),
                         ("2024-05-01", "2024-05-04", True))
        self.assertNotIn("timeZone", srv[0])
        # all-day: the same days wherever they are listed
        for tz in ("Europe/Paris", "Pacific/Auckland", "America/Los_Angeles"):
            self.assertEqual(self.d2.occurrences("2024-05-01", "2024-05-31", "--tz", tz),
                             [("2024-05-01", "2024-05-03", "Holiday")])
        # every work day across the end of summer time (27 October)
        occ = self.d2.json("calendar", "list", "--from", "2024-10-01", "--to", "2024-10-31")
        self.assertEqual([(o["start"], o["localStart"]) for o in occ], [
            ("2024-10-24T07:00:00Z", "2024-10-24 09:00"),
            ("2024-10-25T07:00:00Z", "2024-10-25 09:00"),
            ("2024-10-28T08:00:00Z", "2024-10-28 09:00"),
            ("2024-10-29T08:00:00Z", "2024-10-29 09:00")])

    def test_rules_refused_locally_and_by_server(self):
        cp = self.d1.run("calendar", "add", "--subject", "Never", "--start", "2024-03-07 09:00",
                         "--rrule", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("--rrule", cp.stderr)
        self.assertIn("no occurrence", cp.stderr)
        cp = self.d1.run("calendar", "add", "--subject", "Bad", "--start", "2024-03-07 09:00",
                         "--rrule", "FREQ=WEEKLY;BYDAY=XY", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("BYDAY", cp.stderr)
        cp = self.d1.run("calendar", "add", "--subject", "Backwards",
                         "--start", "2024-03-07 10:00", "--end", "2024-03-07 09:00", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("--end", cp.stderr)
        # the server's own check
        skip = {"ATRIUM_SKIP_LOCAL_VALIDATION": "1"}
        lid = self.d1.add("--subject", "Never", "--start", "2024-03-07 09:00",
                          "--rrule", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", env=skip)
        self.d1.run("sync")
        item = self.d1.json("calendar", "show", lid)
        self.assertIsNone(item["serverId"])
        self.assertEqual(item["error"]["type"], "invalidField")
        self.assertEqual(item["error"]["field"], "rrule")
        self.assertEqual(self.server_items(), {})
        cp = self.d1.run("calendar", "list", "--from", "2024-03-01", "--to", "2024-03-31",
                         check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn(lid, cp.stderr)

    def test_private_appointment_hidden_from_reader(self):
        self.d1.add("--subject", "Doctor", "--start", "2024-06-03 10:00", "--private")
        self.d1.add("--subject", "Team lunch", "--start", "2024-06-03 12:00")
        self.d1.run("sync")
        self.api.result("Folder/setPermissions", {
            "folderId": self.calendar,
            "set": [{"principal": {"type": "user", "login": "bob"}, "level": "reviewer"}]})
        self.b.run("sync")
        shared = "Alice Martin – Calendar"
        self.assertEqual(self.b.occurrences("2024-06-01", "2024-06-30", "--folder", shared),
                         [("2024-06-03 12:00", "2024-06-03 13:00", "Team lunch")])


if __name__ == "__main__":
    unittest.main()
