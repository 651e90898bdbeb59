"""`atrium freebusy` against a real atriumd.

alice books her week with `atrium calendar add` on her device (a busy
meeting, a tentative one, a free lunch, a private appointment and a weekly
series) and syncs; bob, on his own device, asks when alice and carol are
busy: the grid has one line per person and day in half-hour slots of bob's
zone (--tz), with the strongest show-as of each slot; --json gives the
server's intervals; --details lists only what bob may read (nothing of
alice's private appointment, ever). An unknown login is reported and makes
the command fail; bad arguments are usage errors.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TempDirTestCase  # noqa: E402

PW = "Schedule-View-2026"
TZ = "Europe/Paris"


class ConnectorFreeBusy(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        for login, name in (("alice", "Alice Martin"), ("bob", "Bob Stone"),
                            ("carol", "Carol Petit")):
            self.srv.add_user(login, name, login + "@example.org", PW)
        self.srv.start()
        self.a = self.connector("alice")
        self.b = self.connector("bob")
        self.a.add_profile("work", self.srv.url, "alice", PW)
        self.b.add_profile("work", self.srv.url, "bob", PW)
        add = lambda *args: self.a.run("calendar", "add", "--tz", TZ, *args)  # noqa: E731
        # Monday 2026-03-02, Paris (UTC+1)
        add("--subject", "Budget", "--start", "2026-03-02 09:00", "--end", "2026-03-02 10:30")
        add("--subject", "Maybe", "--start", "2026-03-02 10:00", "--end", "2026-03-02 11:00",
            "--show-as", "tentative")
        add("--subject", "Lunch", "--start", "2026-03-02 12:00", "--end", "2026-03-02 13:00",
            "--show-as", "free")
        add("--subject", "Dentist", "--start", "2026-03-02 15:00", "--end", "2026-03-02 16:00",
            "--private", "--show-as", "away")
        add("--subject", "Standup", "--start", "2026-03-02 08:30", "--end", "2026-03-02 08:45",
            "--rrule", "FREQ=DAILY;COUNT=5")
        self.a.run("sync")

    def grid_rows(self, out):
        """{(day, login): the 48 slot characters} of the text grid."""
        rows = {}
        day = None
        for line in out.splitlines():
            if line[:4].isdigit():
                day = line[:10]
            elif line.strip():
                rows[(day, line.split(" ", 1)[0])] = line[-48:]
        return rows

    def test_grid(self):
        out = self.b.run("freebusy", "alice", "carol", "--from", "2026-03-02",
                         "--to", "2026-03-03", "--tz", TZ).stdout
        rows = self.grid_rows(out)
        self.assertEqual(sorted(rows), [("2026-03-02", "alice"), ("2026-03-02", "carol"),
                                        ("2026-03-03", "alice"), ("2026-03-03", "carol")], out)
        mon = rows[("2026-03-02", "alice")]
        self.assertEqual(len(mon), 48, out)

        def slot(hh, mm):
            return mon[hh * 2 + mm // 30]
        self.assertEqual(slot(8, 0), ".")
        self.assertEqual(slot(8, 30), "#")      # standup 08:30-08:45
        self.assertEqual(slot(9, 0), "#")
        self.assertEqual(slot(10, 0), "#")      # busy beats tentative
        self.assertEqual(slot(10, 30), "t")     # only the tentative one
        self.assertEqual(slot(12, 0), ".")      # free lunch left out
        self.assertEqual(slot(15, 0), "O")      # private, still out of office
        self.assertEqual(slot(15, 30), "O")
        self.assertEqual(slot(16, 0), ".")
        tue = rows[("2026-03-03", "alice")]
        self.assertEqual(tue.count("#"), 1, out)  # the series' next standup
        self.assertEqual(tue[17], "#", out)
        self.assertEqual(set(rows[("2026-03-02", "carol")]), {"."}, out)
        self.assertNotIn("Dentist", out)

    def test_json_and_details(self):
        entries = self.b.json("freebusy", "alice", "--from", "2026-03-02T00:00",
                              "--to", "2026-03-02T23:59", "--tz", TZ)
        self.assertEqual(len(entries), 1)
        busy = entries[0]["busy"]
        self.assertEqual(busy[0], {"start": "2026-03-02T07:30:00Z",
                                   "end": "2026-03-02T07:45:00Z", "showAs": "busy"})
        self.assertIn({"start": "2026-03-02T14:00:00Z", "end": "2026-03-02T15:00:00Z",
                       "showAs": "outOfOffice"}, busy)
        # bob has no right on alice's calendar: details list nothing
        out = self.b.run("freebusy", "alice", "--from", "2026-03-02", "--to", "2026-03-02",
                         "--tz", TZ, "--details").stdout
        self.assertNotIn("Budget", out)
        self.assertNotIn("Dentist", out)
        # alice asking about herself sees her own appointments, private too
        out = self.a.run("freebusy", "alice", "--from", "2026-03-02", "--to", "2026-03-02",
                         "--tz", TZ, "--details").stdout
        self.assertIn("Budget", out)
        self.assertIn("Dentist", out)
        self.assertNotIn("Lunch", out)   # free appointments are not busy time

    def test_errors(self):
        cp = self.b.run("freebusy", "alice", "ghost", "--from", "2026-03-02",
                        "--to", "2026-03-02", "--tz", TZ, check=False)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("ghost", cp.stderr)
        self.assertIn("alice", cp.stdout)   # the others are still shown
        for args in (["alice", "--from", "2026-03-02"],
                     ["--from", "2026-03-02", "--to", "2026-03-03"],
                     ["alice", "--from", "2026-03-05", "--to", "2026-03-02"],
                     ["alice", "--from", "yesterday", "--to", "2026-03-02"],
                     ["alice", "--from", "2026-03-02", "--to", "2026-03-02", "--tz", "Nowhere"]):
            cp = self.b.run("freebusy", *args, check=False)
            self.assertNotEqual(cp.returncode, 0, args)
            self.assertIn("atrium:", cp.stderr, args)


if __name__ == "__main__":
    unittest.main()
