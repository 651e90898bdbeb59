"""`atrium move`: a whole recurring series moves to another calendar on one
device and arrives there on the other, with the same server id, its
exceptions, no duplicate and no Sync Issue; an appointment made offline and
never synced moves locally and is created in its new folder; a move to a
folder of another kind is refused before anything is sent.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TempDirTestCase  # noqa: E402

PW = "Move-Series-2026"
ENV = {"TZ": "Europe/Paris"}


class ConnectorMove(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.add_user("alice", "Alice Martin", "alice@example.test", PW)
        self.srv.start()
        self.d1 = self.connector("desk")
        self.d2 = self.connector("laptop")
        for d in (self.d1, self.d2):
            d.add_profile("work", self.srv.url, "alice", PW)
            d.run("sync")
        self.d1.run("folder", "create", "Calendar/Travel")

    def everything(self, dev):
        """{serverId: (folderId, subject)} of every appointment on a device."""
        occ = dev.json("calendar", "list", "--from", "2026-01-01", "--to", "2026-12-31",
                       env=ENV)
        occ += dev.json("calendar", "list", "--from", "2026-01-01", "--to", "2026-12-31",
                        "--folder", "Calendar/Travel", env=ENV)
        return occ

    def test_series_moves_between_devices(self):
        out = self.d1.run("calendar", "add", "--subject", "Weekly review", "--start",
                          "2026-03-02 09:00", "--end", "2026-03-02 10:00",
                          "--rrule", "FREQ=WEEKLY;COUNT=6", env=ENV).stdout
        local = out.strip().splitlines()[-1]
        self.d1.run("calendar", "delete", local, "--occurrence", "2026-03-09", env=ENV)
        self.d1.run("sync")
        self.d2.run("sync")
        sid = self.d1.json("calendar", "show", local, env=ENV)["serverId"]

        cp = self.d1.run("move", sid, "--to", "Calendar/Travel")
        self.assertIn("moved Weekly review to", cp.stdout)
        # at once in the new folder locally, all five occurrences
        moved = self.d1.json("calendar", "list", "--from", "2026-03-01", "--to", "2026-04-30",
                             "--folder", "Calendar/Travel", env=ENV)
        self.assertEqual(len(moved), 5)
        self.assertEqual({o["serverId"] for o in moved}, {sid})
        self.assertEqual(self.d1.json("calendar", "list", "--from", "2026-03-01",
                                      "--to", "2026-04-30", env=ENV), [])
        for dev in (self.d1, self.d2):
            dev.run("sync")
            occ = self.everything(dev)
            self.assertEqual({o["serverId"] for o in occ}, {sid})
            self.assertEqual(len(occ), 5, occ)
            travel = dev.json("calendar", "list", "--from", "2026-03-01", "--to", "2026-04-30",
                              "--folder", "Calendar/Travel", env=ENV)
            self.assertEqual(len(travel), 5)
            self.assertEqual(dev.json("conflicts", "list"), [])
            self.assertEqual(dev.json("status")["pending"], 0)

    def test_unsynced_item_moves_locally(self):
        self.d1.run("sync")
        out = self.d1.run("calendar", "add", "--subject", "Offline", "--start",
                          "2026-05-04 14:00", "--end", "2026-05-04 15:00", env=ENV).stdout
        local = out.strip().splitlines()[-1]
        self.d1.run("move", local, "--to", "Calendar/Travel")
        self.d1.run("sync")
        self.d2.run("sync")
        travel = self.d2.json("calendar", "list", "--from", "2026-05-01", "--to", "2026-05-31",
                              "--folder", "Calendar/Travel", env=ENV)
        self.assertEqual([o["subject"] for o in travel], ["Offline"])
        self.assertEqual(self.d2.json("calendar", "list", "--from", "2026-05-01",
                                      "--to", "2026-05-31", env=ENV), [])

    def test_wrong_kind_of_folder(self):
        out = self.d1.run("calendar", "add", "--subject", "Stay", "--start",
                          "2026-05-04 14:00", "--end", "2026-05-04 15:00", env=ENV).stdout
        local = out.strip().splitlines()[-1]
        cp = self.d1.run("move", local, "--to", "Contacts", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("cannot hold", cp.stderr)
        cp = self.d1.run("move", local, check=False)
        self.assertEqual(cp.returncode, 2)


if __name__ == "__main__":
    unittest.main()
