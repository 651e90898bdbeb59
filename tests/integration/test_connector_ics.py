"""iCalendar import and export through the connector and a real atriumd.

Real-world files (Outlook with a custom time zone, Thunderbird/Exchange
with Microsoft properties and a changed instance, Google, Lotus Notes,
Radicale's overridden series; read from the shared corpus by path) are
imported on one device and synced; the other device receives every field,
icalExtra included; its export, imported again into another folder, gives
the same appointments (the round trip); an unknown property comes out of
the export as it went in; importing a file twice makes no duplicates; a
broken file is refused with its line number and nothing is imported.

Tasks: a file holding events and to-dos puts the events in the calendar
folder and the to-dos in the tasks folder (every field mapped, the rest
in icalExtra); the other device's export of its tasks folder writes the
to-dos, which imported into another tasks folder give the same tasks; a
folder of the wrong module is refused; a broken file among several stops
them all, with its line, and nothing is stored.
"""
import os
import unittest

from harness import TempDirTestCase

PW = "Ics-Round-Trip-2026"
CORPUS = os.environ.get("ATRIUM_ICAL_CORPUS", "/work/shared/corpora/icalendar")
FILES = [
    "ical4j/valid/Standup.ics",                    # Outlook, custom VTIMEZONE, alarm
    "radicale/event_issue2151.ics",                # Thunderbird/Exchange, X-MICROSOFT-*
    "radicale/event_daily_rrule_overridden.ics",   # changed instance
    "radicale/event_full_day_rrule_overridden.ics",
    "icaljs/samples/google_birthday.ics",          # instances without their series
    "ical4j/valid/calconnect7.ics",                # Lotus Notes, attendees
]
ENV = {"TZ": "Europe/Paris"}


class Ics(TempDirTestCase):
    def setUp(self):
        super().setUp()
        missing = [f for f in FILES if not os.path.exists(os.path.join(CORPUS, f))]
        if missing:
            # the shared corpora belong to the checkout: their absence is a failure
            self.fail("iCalendar corpus not found: %s" % missing)
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.d1 = self.connector("desktop")
        self.d2 = self.connector("laptop")
        for d in (self.d1, self.d2):
            d.add_profile("work", self.srv.url, "alice", PW)
            d.run("sync", env=ENV)

    def run1(self, dev, *args, **kw):
        return dev.run(*args, env=ENV, **kw)

    def items(self, dev, folder=None):
        """{uid-and-recurrence: fields} of the appointments of a folder."""
        extra = ["--folder", folder] if folder else []
        seen = {}
        for o in dev.json("calendar", "list", "--from", "1990-01-01", "--to", "2040-12-31",
                          *extra, env=ENV):
            if o["id"] in seen:
                continue
            seen[o["id"]] = dev.json("calendar", "show", o["id"], env=ENV)
        out = {}
        for it in seen.values():
            f = it["fields"]
            rid = [line for line in f.get("icalExtra", "").split("\n")
                   if line.startswith("RECURRENCE-ID")]
            out[(f["uid"], tuple(rid))] = f
        return out, seen

    def test_round_trip_through_server(self):
        for name in FILES:
            cp = self.run1(self.d1, "import", "ics", os.path.join(CORPUS, name))
            self.assertIn("skipped 0", cp.stdout, (name, cp.stdout, cp.stderr))
        self.run1(self.d1, "sync")
        self.run1(self.d2, "sync")
        mine, _ = self.items(self.d1)
        theirs, full = self.items(self.d2)
        self.assertEqual(mine, theirs)
        self.assertGreaterEqual(len(theirs), 9)
        for it in full.values():
            self.assertEqual(it["state"], "synced", it)

        # the Outlook stand-up: a Windows display-name zone became an IANA
        # zone, so the work-day rule runs on Melbourne's days and clock
        standup = [f for f in theirs.values() if f.get("subject") == "Standup"][0]
        self.assertIn(standup["timeZone"], ("Australia/Melbourne", "Australia/Sydney",
                                            "Australia/Canberra", "Australia/ACT",
                                            "Australia/NSW", "Australia/Victoria"))
        self.assertEqual(standup["reminderMinutes"], 5)
        self.assertIn("X-MICROSOFT-CDO-IMPORTANCE:1", standup["icalExtra"])
        occ = self.d2.json("calendar", "list", "--from", "2009-03-13", "--to", "2009-03-17",
                           "--tz", "Australia/Melbourne", env=ENV)
        self.assertEqual([o["localStart"] for o in occ if o["subject"] == "Standup"],
                         ["2009-03-13 09:30", "2009-03-16 09:30", "2009-03-17 09:30"])
        # the Exchange series: its changed instance and Microsoft properties
        teams = [f for f in theirs.values()
                 if f.get("subject", "").startswith("Billings-task-setting")][0]
        self.assertEqual(teams["showAs"], "tentative")
        self.assertEqual(len(teams["overrides"]), 1)
        self.assertIn("X-MICROSOFT-SKYPETEAMSMEETINGURL", teams["icalExtra"])

        # export on the other device, import into another folder: the same
        out = os.path.join(self.tmp, "out.ics")
        cp = self.run1(self.d2, "export", "ics", out)
        self.assertIn("exported %d appointments" % len(theirs), cp.stdout)
        with open(out, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("X-MICROSOFT-SKYPETEAMSMEETINGURL", text)
        self.assertIn("BEGIN:VTIMEZONE", text)
        self.run1(self.d2, "folder", "create", "Calendar/Copy", "--module", "calendar")
        cp = self.run1(self.d2, "import", "ics", out, "--folder", "Calendar/Copy")
        self.assertIn("imported %d appointments" % len(theirs), cp.stdout)
        self.run1(self.d2, "sync")
        self.run1(self.d1, "sync")
        copy, _ = self.items(self.d1, "Calendar/Copy")
        self.assertEqual(copy, theirs)

        # importing the same files again replaces, never duplicates
        for name in FILES:
            self.run1(self.d1, "import", "ics", os.path.join(CORPUS, name))
        again, _ = self.items(self.d1)
        self.assertEqual(again, mine)

    def test_unknown_property_and_edits_survive(self):
        path = os.path.join(self.tmp, "x.ics")
        with open(path, "w", encoding="utf-8") as f:
            f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
                    "BEGIN:VEVENT\r\nUID:x-1\r\nDTSTAMP:20240101T000000Z\r\n"
                    "DTSTART;TZID=Europe/Paris:20240311T140000\r\n"
                    "DTEND;TZID=Europe/Paris:20240311T150000\r\n"
                    "RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Review\r\n"
                    "X-ACME-PROJECT;X-LEVEL=2:Apollo\r\n"
                    "BEGIN:X-ACME-NOTE\r\nX-TEXT:keep me\r\nEND:X-ACME-NOTE\r\n"
                    "END:VEVENT\r\nEND:VCALENDAR\r\n")
        self.run1(self.d1, "import", "ics", path)
        self.run1(self.d1, "sync")
        self.run1(self.d2, "sync")
        (key, fields), = self.items(self.d2)[0].items()
        local = [o["id"] for o in self.d2.json("calendar", "list", "--from", "2024-03-01",
                                               "--to", "2024-03-31", env=ENV)][0]
        # an edit of one occurrence on the other device, synced back
        self.run1(self.d2, "calendar", "edit", local, "--occurrence", "2024-03-18",
                  "--subject", "Review (long)", "--end", "2024-03-18 16:30")
        self.run1(self.d2, "sync")
        self.run1(self.d1, "sync")
        out = os.path.join(self.tmp, "out.ics")
        self.run1(self.d1, "export", "ics", out)
        with open(out, encoding="utf-8", newline="") as f:
            text = f.read()
        self.assertIn("X-ACME-PROJECT;X-LEVEL=2:Apollo\r\n", text)
        self.assertIn("BEGIN:X-ACME-NOTE\r\nX-TEXT:keep me\r\nEND:X-ACME-NOTE\r\n", text)
        self.assertIn("RECURRENCE-ID;TZID=Europe/Paris:20240318T140000\r\n", text)
        self.assertIn("DTEND;TZID=Europe/Paris:20240318T163000\r\n", text)
        self.assertIn("SUMMARY:Review (long)\r\n", text)

    def test_bad_file_refused_with_line(self):
        path = os.path.join(self.tmp, "bad.ics")
        with open(path, "w", encoding="utf-8") as f:
            f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:ok\r\n"
                    "DTSTART:20240101T100000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:bad\r\n"
                    "DTSTART:2024-01-01\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        cp = self.run1(self.d1, "import", "ics", path, check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("bad.ics:9: DTSTART", cp.stderr)
        self.assertIn("nothing was imported", cp.stderr)
        self.assertEqual(self.items(self.d1)[0], {})
        # an event the model refuses is skipped with its line, the others kept
        with open(path, "w", encoding="utf-8") as f:
            f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:ok\r\n"
                    "DTSTART:20240101T100000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:long\r\n"
                    "DTSTART:20240101T100000Z\r\nSUMMARY:" + "x" * 300 +
                    "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        cp = self.run1(self.d1, "import", "ics", path, check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("bad.ics:7: field subject is too long: 300 characters, the limit is 255",
                      cp.stderr)
        self.assertIn("imported 1 appointment, replaced 0, skipped 1 of 2", cp.stdout)

    # ---- tasks (VTODO) -----------------------------------------------------------

    def tasks(self, dev, folder=None):
        """{uid: fields} of the tasks of a folder (default: every task folder)."""
        extra = ["--folder", folder] if folder else []
        items = dev.json("tasks", "list", *extra, env=ENV)
        for it in items:
            self.assertEqual(it["type"], "task", it)
        return {it["fields"]["uid"]: it["fields"] for it in items}

    def test_tasks_round_trip(self):
        path = os.path.join(self.tmp, "mixed.ics")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(MIXED)
        cp = self.run1(self.d1, "import", "ics", path)
        self.assertIn("imported 2 appointments and 3 tasks, replaced 0, skipped 0 of 5",
                      cp.stdout)
        self.run1(self.d1, "sync")
        self.run1(self.d2, "sync")
        mine, theirs = self.tasks(self.d1), self.tasks(self.d2)
        self.assertEqual(sorted(theirs), ["t-report", "t-room", "t-waiting"])
        self.assertEqual(mine, theirs)
        self.assertEqual(len(self.items(self.d2)[0]), 2)   # the events: appointments

        report = theirs["t-report"]
        self.assertEqual(report["subject"], "Quarterly report")
        self.assertEqual(report["start"], "2030-03-04T08:00:00Z")
        self.assertEqual(report["due"], "2030-03-08T16:00:00Z")
        self.assertEqual(report["timeZone"], "Europe/Paris")
        self.assertEqual(report["status"], "inProgress")
        self.assertEqual(report["percentComplete"], 40)
        self.assertEqual(report["priority"], "high")
        self.assertEqual(report["reminder"], "2030-03-08T15:00:00Z")
        self.assertEqual(report["categories"], ["Work", "Finance"])
        self.assertEqual(report["totalWorkMinutes"], 480)
        self.assertEqual(report["companies"], "Acme, Inc.")
        self.assertEqual(report["participants"],
                         [{"type": "external", "address": "ada@example.org",
                           "name": "Ada L", "status": "accepted"}])
        self.assertIn("X-ACME-PROJECT;X-LEVEL=2:Apollo", report["icalExtra"])
        self.assertIn("ACTION:AUDIO", report["icalExtra"])
        waiting = theirs["t-waiting"]
        self.assertEqual(waiting["status"], "waiting")
        self.assertEqual(waiting["due"], "2030-04-01")
        self.assertEqual(waiting["regenerate"], {"every": 2, "unit": "week"})
        room = theirs["t-room"]
        self.assertEqual(room["status"], "completed")
        self.assertEqual(room["percentComplete"], 100)
        self.assertEqual(room["dateCompleted"], "2030-02-01T10:00:00Z")

        # export the tasks folder on the other device: to-dos only
        out = os.path.join(self.tmp, "tasks.ics")
        cp = self.run1(self.d2, "export", "ics", out, "--folder", "Tasks")
        self.assertIn("exported 3 tasks to %s" % out, cp.stdout)
        with open(out, encoding="utf-8", newline="") as f:
            text = f.read()
        self.assertEqual(text.count("BEGIN:VTODO\r\n"), 3)
        self.assertNotIn("BEGIN:VEVENT", text)
        self.assertIn("X-ACME-PROJECT;X-LEVEL=2:Apollo\r\n", text)
        self.assertIn("STATUS:IN-PROCESS\r\nPRIORITY:2\r\n", text)  # the number kept
        self.assertIn("X-ATRIUM-STATUS:WAITING\r\n", text)
        self.assertIn("DUE;TZID=Europe/Paris:20300308T170000\r\n", text)
        self.assertIn("TRIGGER;VALUE=DATE-TIME:20300308T150000Z\r\n", text)
        self.assertIn("BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n", text)
        # ... imported into another tasks folder: the same tasks
        self.run1(self.d2, "folder", "create", "Tasks/Copy", "--module", "tasks")
        cp = self.run1(self.d2, "import", "ics", out, "--tasks-folder", "Tasks/Copy")
        self.assertIn("imported 0 appointments and 3 tasks, replaced 0, skipped 0 of 3",
                      cp.stdout)
        self.run1(self.d2, "sync")
        self.run1(self.d1, "sync")
        self.assertEqual(self.tasks(self.d1, "Tasks/Copy"), theirs)

        # importing again replaces, never duplicates; an edit in the file
        # becomes an edit of the task
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(MIXED.replace("PERCENT-COMPLETE:40", "PERCENT-COMPLETE:60"))
        cp = self.run1(self.d1, "import", "ics", path)
        self.assertIn("imported 0 appointments and 0 tasks, replaced 5", cp.stdout)
        again = self.tasks(self.d1, "Tasks")
        self.assertEqual(sorted(again), ["t-report", "t-room", "t-waiting"])
        self.assertEqual(again["t-report"]["percentComplete"], 60)
        self.run1(self.d1, "sync")
        self.run1(self.d2, "sync")
        self.assertEqual(self.tasks(self.d2, "Tasks")["t-report"]["percentComplete"], 60)

    def test_task_folders_checked(self):
        path = os.path.join(self.tmp, "mixed.ics")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(MIXED)
        cp = self.run1(self.d1, "import", "ics", path, "--folder", "Tasks", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn('--folder "Tasks" is a tasks folder: events go into a calendar '
                      'folder (to-dos: --tasks-folder)', cp.stderr)
        cp = self.run1(self.d1, "import", "ics", path, "--tasks-folder", "Calendar",
                       check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn('--tasks-folder "Calendar" is a calendar folder: to-dos go into a '
                      'tasks folder (events: --folder)', cp.stderr)
        cp = self.run1(self.d1, "export", "ics", os.path.join(self.tmp, "x.ics"),
                       "--folder", "Contacts", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn('--folder "Contacts" is a contacts folder: a calendar or tasks folder',
                      cp.stderr)
        self.assertEqual(self.tasks(self.d1), {})
        self.assertEqual(self.items(self.d1)[0], {})

    def test_bad_task_file_refused_with_line(self):
        good = os.path.join(self.tmp, "good.ics")
        with open(good, "w", encoding="utf-8", newline="") as f:
            f.write(MIXED)
        bad = os.path.join(self.tmp, "bad.ics")
        with open(bad, "w", encoding="utf-8", newline="") as f:
            f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:ok\r\n"
                    "SUMMARY:fine\r\nEND:VTODO\r\nBEGIN:VTODO\r\nUID:bad\r\n"
                    "DUE;VALUE=DATE:2030-04-01\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
        # several files: one bad file, and nothing of any is imported
        cp = self.run1(self.d1, "import", "ics", good, bad, check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("bad.ics:9: DUE", cp.stderr)
        self.assertIn("nothing was imported", cp.stderr)
        self.assertEqual(self.tasks(self.d1), {})
        self.assertEqual(self.items(self.d1)[0], {})
        self.run1(self.d1, "sync")
        self.assertEqual(self.tasks(self.d1), {})
        # a to-do the model refuses is skipped with its line, the others kept
        with open(bad, "w", encoding="utf-8", newline="") as f:
            f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:ok\r\n"
                    "SUMMARY:fine\r\nEND:VTODO\r\nBEGIN:VTODO\r\nUID:long\r\n"
                    "SUMMARY:" + "x" * 300 + "\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
        cp = self.run1(self.d1, "import", "ics", bad, check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("bad.ics:7: field subject is too long: 300 characters, the limit is 255",
                      cp.stderr)
        self.assertIn("imported 0 appointments and 1 task, replaced 0, skipped 1 of 2",
                      cp.stdout)
        self.assertEqual(sorted(self.tasks(self.d1)), ["ok"])


# Two events and three to-dos, as another calendar program writes them.
MIXED = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Tasks//EN\r\n"
    "BEGIN:VEVENT\r\nUID:e-1\r\nDTSTAMP:20300101T000000Z\r\n"
    "DTSTART;TZID=Europe/Paris:20300311T140000\r\n"
    "DTEND;TZID=Europe/Paris:20300311T150000\r\nSUMMARY:Review\r\nEND:VEVENT\r\n"
    "BEGIN:VTODO\r\nUID:t-report\r\nDTSTAMP:20300101T000000Z\r\n"
    "DTSTART;TZID=Europe/Paris:20300304T090000\r\n"
    "DUE;TZID=Europe/Paris:20300308T170000\r\nSUMMARY:Quarterly report\r\n"
    "STATUS:IN-PROCESS\r\nPERCENT-COMPLETE:40\r\nPRIORITY:2\r\n"
    "CATEGORIES:Work,Finance\r\n"
    "ATTENDEE;CN=Ada L;PARTSTAT=ACCEPTED:mailto:ada@example.org\r\n"
    "X-ATRIUM-TOTAL-WORK:480\r\nX-ATRIUM-COMPANIES:Acme\\, Inc.\r\n"
    "X-ACME-PROJECT;X-LEVEL=2:Apollo\r\n"
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;RELATED=END:-PT1H\r\n"
    "DESCRIPTION:Reminder\r\nEND:VALARM\r\n"
    "BEGIN:VALARM\r\nACTION:AUDIO\r\nTRIGGER:-P1D\r\nEND:VALARM\r\n"
    "END:VTODO\r\n"
    "BEGIN:VTODO\r\nUID:t-waiting\r\nDUE;VALUE=DATE:20300401\r\n"
    "SUMMARY:Signature from legal\r\nSTATUS:IN-PROCESS\r\n"
    "X-ATRIUM-STATUS:WAITING\r\nX-ATRIUM-REGENERATE:2W\r\nEND:VTODO\r\n"
    "BEGIN:VEVENT\r\nUID:e-2\r\nDTSTART;VALUE=DATE:20300501\r\n"
    "SUMMARY:Holiday\r\nEND:VEVENT\r\n"
    "BEGIN:VTODO\r\nUID:t-room\r\nSUMMARY:Book the room\r\nSTATUS:COMPLETED\r\n"
    "COMPLETED:20300201T100000Z\r\nEND:VTODO\r\n"
    "END:VCALENDAR\r\n")


if __name__ == "__main__":
    unittest.main()
