"""Tasks end to end: two devices of alice, one of bob and one of carol (in
group team), syncing through a real atriumd, with the connector's tasks and
task commands.

A task made with every option on one device reaches the server and the
other device with every field.  `tasks done` makes status, % complete and
date completed coherent offline, and the server keeps them so; % complete
50 on a completed task reopens it.  Completing a task of a series leaves it
completed without its rule, and the server (never the connector) makes the
next one: the next work day for an every-work-day series (Friday -> Monday),
a week after the completion for "regenerate 1w".  The key case: both
devices complete the same occurrence offline, then sync: exactly one next
task exists, on the server and on both devices, whichever conflict policy
the second device syncs with.  Delegation to a user and a group: each
assignee gets a copy, answers it (accept/decline with a comment) and
reports progress, which the delegator sees; a withdrawn assignee loses the
copy.  `tasks list --status open` leaves out completed tasks, sorted by due
date then subject, and IDs may be given by a prefix.
"""
import datetime
import time
import unittest

from harness import TempDirTestCase
from test_connector_calendar import Device as CalendarDevice

PW = "Tasks-Sync-2026"
WORKDAYS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"


class Device(CalendarDevice):
    """A connector whose commands run in the Europe/Paris zone, with the
    task commands."""

    def sync(self, *args):
        return self.run("sync", *args)

    def add(self, *args):
        cp = self.run("tasks", "add", *args)
        return cp.stdout.strip().splitlines()[-1]

    def tasks(self, *args):
        return self.json("tasks", "list", *args)

    def show(self, ref):
        return self.json("tasks", "show", ref)

    def fields(self, ref):
        return self.show(ref)["fields"]

    def by_server_id(self):
        out = {}
        for t in self.tasks():
            if t["state"] != "synced":
                raise AssertionError("not synced: %r" % (t,))
            out[t["serverId"]] = t["fields"]
        return out

    def local_id(self, server_id):
        for t in self.tasks():
            if t["serverId"] == server_id:
                return t["id"]
        raise AssertionError("server id %s not on the device" % server_id)


class Tasks(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.srv.add_user("bob", "Bob Dupont", "bob@example.org", PW)
        self.srv.add_user("carol", "Carol Weiss", "carol@example.org", PW)
        self.srv.cli("group", "add", "team")
        self.srv.cli("group", "member", "add", "team", "carol")
        self.d1 = Device(self.connector("alice-desktop"))
        self.d2 = Device(self.connector("alice-laptop"))
        self.b = Device(self.connector("bob"))
        self.c = Device(self.connector("carol"))
        for d, login in ((self.d1, "alice"), (self.d2, "alice"), (self.b, "bob"),
                         (self.c, "carol")):
            d.c.add_profile("work", self.srv.url, login, PW)
            d.sync()
        self.api = self.srv.api("alice", PW)
        self.api.login()
        folders = self.api.result("Folder/sync", {})["created"]
        self.folder = [f["id"] for f in folders
                       if f["module"] == "tasks" and f["isDefault"]][0]

    # -- helpers ------------------------------------------------------------

    def server_items(self):
        ids = [x["id"] for x in self.api.result("Item/list", {"folderId": self.folder})["items"]]
        if not ids:
            return {}
        items = self.api.result("Item/get", {"folderId": self.folder, "ids": ids})["items"]
        for it in items:
            self.assertEqual(it["type"], "task")
        return {it["id"]: it["fields"] for it in items}

    def sync_alice(self):
        self.d1.sync()
        self.d2.sync()
        self.d1.sync()

    def assert_converged(self):
        srv = self.server_items()
        self.assertEqual(self.d1.by_server_id(), srv)
        self.assertEqual(self.d2.by_server_id(), srv)
        return srv

    def complete_series(self, fields):
        """(completed, open) of a series' items, asserting there is exactly
        one of each and nothing else."""
        done = [f for f in fields if f.get("status") == "completed"]
        rest = [f for f in fields if f.get("status") != "completed"]
        self.assertEqual((len(done), len(rest)), (1, 1), fields)
        return done[0], rest[0]

    # -- scenarios ----------------------------------------------------------

    def test_every_field_reaches_the_other_device(self):
        lid = self.d1.add("--subject", "Quarterly report", "--start", "2024-03-18",
                          "--due", "2024-03-22", "--priority", "high",
                          "--status", "waiting", "--percent", "30",
                          "--reminder", "2024-03-21 09:00", "--tz", "Europe/Paris",
                          "--notes", "line 1\nline 2", "--category", "Finance",
                          "--category", "Q1", "--private", "--contacts", "Ada Lovelace",
                          "--total-work-minutes", "480", "--actual-work-minutes", "90",
                          "--companies", "ACME", "--mileage", "42 km",
                          "--billing-information", "PO-7", "--rrule",
                          "FREQ=MONTHLY;BYMONTHDAY=22;COUNT=3")
        self.sync_alice()
        sid = self.d1.show(lid)["serverId"]
        want = {
            "subject": "Quarterly report", "start": "2024-03-18", "due": "2024-03-22",
            "priority": "high", "status": "waiting", "percentComplete": 30,
            "reminder": "2024-03-21T08:00:00Z", "timeZone": "Europe/Paris",
            "notes": "line 1\nline 2", "categories": ["Finance", "Q1"], "private": True,
            "contacts": ["Ada Lovelace"], "totalWorkMinutes": 480, "actualWorkMinutes": 90,
            "companies": "ACME", "mileage": "42 km", "billingInformation": "PO-7",
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=22;COUNT=3",
        }
        srv = self.server_items()[sid]
        uid = srv.pop("uid")
        self.assertTrue(uid.endswith("@atrium"), uid)
        self.assertEqual(srv, want)
        other = self.d2.fields(self.d2.local_id(sid))
        self.assertEqual(other.pop("uid"), uid)
        self.assertEqual(other, want)
        # the text view of the other device shows every field readably
        text = self.d2.run("tasks", "show", self.d2.local_id(sid)).stdout
        for piece in ("Quarterly report", "2024-03-22", "2024-03-21 09:00", "waiting", "30 %",
                      "Finance, Q1", "Ada Lovelace", "480", "ACME", "42 km", "PO-7",
                      "FREQ=MONTHLY"):
            self.assertIn(piece, text)
        # an empty value removes a field; the other device sees it gone
        self.d2.run("tasks", "edit", self.d2.local_id(sid), "--mileage", "", "--notes", "",
                    "--priority", "low")
        self.sync_alice()
        srv = self.assert_converged()[sid]
        self.assertNotIn("mileage", srv)
        self.assertNotIn("notes", srv)
        self.assertEqual(srv["priority"], "low")
        # local checks name the option
        cp = self.d1.run("tasks", "add", "--subject", "x", "--percent", "150", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("--percent", cp.stderr)
        cp = self.d1.run("tasks", "add", "--subject", "x", "--priority", "urgent", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("--priority", cp.stderr)
        cp = self.d1.run("tasks", "add", "--subject", "x", "--due", "next week", check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("--due", cp.stderr)
        cp = self.d1.run("tasks", "add", "--subject", "x", "--every-workday",
                         "--regenerate", "1w", check=False)
        self.assertEqual(cp.returncode, 2)
        self.assertEqual(len(self.server_items()), 1)

    def test_done_is_coherent_offline_and_after_sync(self):
        lid = self.d1.add("--subject", "Call the bank", "--due", "2024-05-02",
                          "--status", "inProgress", "--percent", "40")
        self.sync_alice()
        before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self.d1.run("tasks", "done", lid)
        f = self.d1.fields(lid)
        self.assertEqual((f["status"], f["percentComplete"]), ("completed", 100))
        done_at = datetime.datetime.strptime(f["dateCompleted"], "%Y-%m-%dT%H:%M:%SZ")
        done_at = done_at.replace(tzinfo=datetime.timezone.utc)
        self.assertLessEqual(abs((done_at - before).total_seconds()), 120)
        self.sync_alice()
        srv = self.assert_converged()
        (sid, s), = srv.items()
        self.assertEqual((s["status"], s["percentComplete"], s["dateCompleted"]),
                         ("completed", 100, f["dateCompleted"]))
        # 50 % on a completed task reopens it, here and on the server
        self.d2.run("tasks", "edit", self.d2.local_id(sid), "--percent", "50")
        f = self.d2.fields(self.d2.local_id(sid))
        self.assertEqual((f["status"], f["percentComplete"]), ("inProgress", 50))
        self.assertNotIn("dateCompleted", f)
        self.sync_alice()
        s = self.assert_converged()[sid]
        self.assertEqual((s["status"], s["percentComplete"]), ("inProgress", 50))
        self.assertNotIn("dateCompleted", s)
        # status completed by edit is the same as done
        self.d1.run("tasks", "edit", lid, "--status", "completed")
        f = self.d1.fields(lid)
        self.assertEqual(f["percentComplete"], 100)
        self.assertIn("dateCompleted", f)

    def test_every_workday_series_friday_to_monday(self):
        lid = self.d1.add("--subject", "Stand-up notes", "--due", "2024-03-22",
                          "--every-workday")
        self.assertEqual(self.d1.fields(lid)["rrule"], WORKDAYS)
        self.sync_alice()
        out = self.d1.run("tasks", "done", lid)
        self.assertIn("next", out.stdout)
        # the connector makes no next task itself
        self.assertEqual(len(self.d1.tasks()), 1)
        self.sync_alice()
        srv = self.assert_converged()
        done, nxt = self.complete_series(list(srv.values()))
        self.assertNotIn("rrule", done)
        self.assertEqual(done["due"], "2024-03-22")
        self.assertEqual((nxt["due"], nxt["rrule"], nxt["status"]),
                         ("2024-03-25", WORKDAYS, "notStarted"))
        self.assertEqual(nxt["subject"], "Stand-up notes")
        self.assertNotIn("dateCompleted", nxt)
        # completing the same task again makes nothing more
        self.d1.run("tasks", "edit", lid, "--status", "completed")
        self.sync_alice()
        self.assertEqual(len(self.assert_converged()), 2)

    def test_regenerate_one_week_after_completion(self):
        lid = self.d1.add("--subject", "Water the plants", "--due", "2024-03-20",
                          "--regenerate", "1w")
        self.assertEqual(self.d1.fields(lid)["regenerate"], {"every": 1, "unit": "week"})
        self.assertIn("every 1 week", self.d1.run("tasks", "show", lid).stdout)
        self.sync_alice()
        self.d1.run("tasks", "done", lid)
        self.sync_alice()
        done, nxt = self.complete_series(list(self.assert_converged().values()))
        self.assertNotIn("regenerate", done)
        completed_on = datetime.date.fromisoformat(done["dateCompleted"][:10])
        self.assertEqual(nxt["due"], (completed_on + datetime.timedelta(days=7)).isoformat())
        self.assertEqual(nxt["regenerate"], {"every": 1, "unit": "week"})

    def _complete_on_both_devices_offline(self, policy):
        lid = self.d1.add("--subject", "Weekly backup check", "--due", "2024-03-22",
                          "--every-workday")
        self.sync_alice()
        sid = self.d1.show(lid)["serverId"]
        l2 = self.d2.local_id(sid)
        # both offline: each completes the same occurrence, a second apart
        self.d1.run("tasks", "done", lid)
        time.sleep(1.1)
        self.d2.run("tasks", "done", l2)
        at1 = self.d1.fields(lid)["dateCompleted"]
        at2 = self.d2.fields(l2)["dateCompleted"]
        self.assertNotEqual(at1, at2)
        self.d1.sync()
        self.d2.sync("--policy", policy)
        self.d1.sync()
        self.d2.sync()
        srv = self.assert_converged()
        done, nxt = self.complete_series(list(srv.values()))
        self.assertEqual(srv[sid], done)
        self.assertEqual((nxt["due"], nxt["rrule"]), ("2024-03-25", WORKDAYS))
        self.assertEqual(len(self.d1.tasks("--status", "open")), 1)
        self.assertEqual(len(self.d2.tasks("--status", "open")), 1)
        # the two completions differ only in their date; the policy picks
        # one and the other is kept in the second device's Sync Issues
        won, lost = (at1, at2) if policy == "server" else (at2, at1)
        self.assertEqual(done["dateCompleted"], won)
        self.assertEqual(self.d1.json("conflicts", "list"), [])
        self.assertEqual([(i["reason"], i["fields"]) for i in self.d2.json("conflicts", "list")],
                         [("conflict", {"dateCompleted": lost})])
        return done

    def test_both_devices_complete_offline_server_policy(self):
        done = self._complete_on_both_devices_offline("server")
        self.assertEqual((done["status"], done["percentComplete"]), ("completed", 100))

    def test_both_devices_complete_offline_client_policy(self):
        done = self._complete_on_both_devices_offline("client")
        self.assertEqual((done["status"], done["percentComplete"]), ("completed", 100))

    def test_delegation_answers_progress_and_withdraw(self):
        lid = self.d1.add("--subject", "Prepare the offsite", "--due", "2024-06-14",
                          "--notes", "Venue and agenda")
        cp = self.d1.run("task", "respond", lid, "accept", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("no delegator", cp.stderr)
        self.d1.run("task", "delegate", lid, "bob", "@team")
        self.assertEqual(self.d1.fields(lid)["participants"],
                         [{"type": "user", "login": "bob"},
                          {"type": "group", "login": "team"}])
        self.sync_alice()
        sid = self.d1.show(lid)["serverId"]
        parts = self.server_items()[sid]["participants"]
        self.assertEqual(sorted(p["login"] for p in parts), ["bob", "carol"])
        self.assertTrue(all(p["type"] == "user" and p.get("taskId") for p in parts), parts)
        # each assignee finds a copy naming the delegator
        copies = {}
        for dev in (self.b, self.c):
            dev.sync()
            (t,) = dev.tasks()
            self.assertEqual(t["fields"]["subject"], "Prepare the offsite")
            self.assertEqual(t["fields"]["due"], "2024-06-14")
            self.assertEqual(t["fields"]["delegator"]["login"], "alice")
            self.assertEqual(t["fields"].get("response", "none"), "none")
            copies[dev] = t["id"]
        self.assertIn("[from alice]", self.b.run("tasks", "list").stdout)
        # an assignee cannot pass the task on
        cp = self.b.run("task", "delegate", copies[self.b], "carol", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("alice", cp.stderr)
        # answers and progress
        self.b.run("task", "respond", copies[self.b], "accept", "--comment", "On it")
        self.b.run("tasks", "edit", copies[self.b], "--status", "inProgress", "--percent", "40")
        self.c.run("task", "respond", copies[self.c], "decline", "--comment", "No time")
        f = self.b.fields(copies[self.b])
        self.assertEqual((f["response"], f["responseComment"]), ("accepted", "On it"))
        self.b.sync()
        self.c.sync()
        self.sync_alice()
        parts = {p["login"]: p for p in self.d1.fields(lid)["participants"]}
        self.assertEqual((parts["bob"]["status"], parts["bob"]["comment"]),
                         ("accepted", "On it"))
        self.assertEqual((parts["bob"]["taskStatus"], parts["bob"]["percentComplete"]),
                         ("inProgress", 40))
        self.assertEqual((parts["carol"]["status"], parts["carol"]["comment"]),
                         ("declined", "No time"))
        text = self.d2.run("tasks", "show", self.d2.local_id(sid)).stdout
        self.assertIn('accepted: "On it"', text)
        self.assertIn("progress inProgress, 40 %", text)
        self.assertIn('declined: "No time"', text)
        self.assertIn("[delegated to 2]", self.d1.run("tasks", "list").stdout)
        # a change of the delegator reaches the copies
        self.d1.run("tasks", "edit", lid, "--due", "2024-06-21")
        self.sync_alice()
        self.b.sync()
        self.assertEqual(self.b.fields(copies[self.b])["due"], "2024-06-21")
        # withdraw bob: his copy goes, carol keeps hers
        self.d1.run("task", "withdraw", lid, "bob")
        self.assertEqual([p["login"] for p in self.d1.fields(lid)["participants"]], ["carol"])
        self.sync_alice()
        self.b.sync()
        self.c.sync()
        self.assertEqual(self.b.tasks(), [])
        self.assertEqual(len(self.c.tasks()), 1)
        cp = self.d1.run("task", "withdraw", lid, "bob", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("not an assignee", cp.stderr)
        # withdraw without names: everyone
        self.d1.run("task", "withdraw", lid)
        self.assertNotIn("participants", self.d1.fields(lid))
        self.sync_alice()
        self.c.sync()
        self.assertEqual(self.c.tasks(), [])
        self.assert_converged()

    def test_list_open_sorted_and_id_prefixes(self):
        a = self.d1.add("--subject", "Beta", "--due", "2024-04-02")
        self.d1.add("--subject", "Alpha", "--due", "2024-04-02")
        self.d1.add("--subject", "Early", "--due", "2024-04-01 18:00")
        self.d1.add("--subject", "No date")
        done = self.d1.add("--subject", "Finished", "--due", "2024-03-01")
        self.d1.add("--subject", "Waiting", "--due", "2024-05-01", "--status", "waiting")
        self.d1.run("tasks", "done", done)
        self.sync_alice()
        for dev in (self.d1, self.d2):
            self.assertEqual([t["fields"]["subject"] for t in dev.tasks("--status", "open")],
                             ["Early", "Alpha", "Beta", "Waiting", "No date"])
            self.assertEqual([t["fields"]["subject"] for t in dev.tasks()],
                             ["Finished", "Early", "Alpha", "Beta", "Waiting", "No date"])
            self.assertEqual([t["fields"]["subject"]
                              for t in dev.tasks("--status", "waiting")], ["Waiting"])
        text = self.d1.run("tasks", "list", "--status", "open").stdout.splitlines()
        self.assertEqual(len(text), 6)  # a header and five tasks
        self.assertTrue(text[3].startswith(a[:8]), text)
        row = [line for line in text if "Early" in line][0]
        self.assertIn("2024-04-01 18:00", row)
        self.assertIn("notStarted", row)
        # a prefix names a task; the server id too
        self.assertEqual(self.d1.show(a[:6])["id"], a)
        sid = self.d1.show(a)["serverId"]
        self.assertEqual(self.d1.show(sid)["id"], a)
        cp = self.d1.run("tasks", "show", "zzzzzz", check=False)
        self.assertEqual(cp.returncode, 1)
        # delete
        self.d1.run("tasks", "delete", a[:8])
        self.sync_alice()
        self.assertEqual(len(self.assert_converged()), 5)
        cp = self.d1.run("tasks", "list", "--status", "later", check=False)
        self.assertEqual(cp.returncode, 2)


if __name__ == "__main__":
    unittest.main()
