"""Invitations, resources and conflicts end to end, through the connector:
alice, bob and carol (carol invited through the group team) on their own
devices, a room (an atriumd resource) and an external address whose mail
goes to an SMTP sink, all against a real atriumd.

- alice invites bob, the group team (carol), an external address and the
  room; after a sync bob and carol find the invitation (`invite list`); bob
  accepts with a comment, carol answers tentative and proposes another time;
  alice sees both (`calendar show`, `invite proposals`) and accepts carol's
  proposal (`invite accept-proposal`): after everyone syncs the appointment
  has moved for all and every answer is back to none.  Deleting it removes
  the copies; the external address got an iMIP REQUEST and then a CANCEL.
  The commands refuse what makes no sense (answering one's own appointment,
  accepting a proposal nobody made, a participant who is not one).
- A person conflict: bob is busy then; alice's appointment is refused with
  appointmentConflict, `atrium status` names bob and the time; `calendar
  edit ID --ignore-conflicts` alone sends it again, and it is written; the
  flag went with that change only (the next move is refused again).
- A resource double booking is refused even with --ignore-conflicts;
  another time is accepted; free/busy shows the room like a person.
- An appointment made offline invites its participants exactly once even
  when the sync is cut right after a request and run again: one copy for
  bob, one REQUEST for the external address.
"""
import json
import time
import unittest

from harness import SmtpSink, TempDirTestCase
from test_connector_calendar import Device as CalendarDevice

PW = "Invitations-Sync-2026"


class Device(CalendarDevice):
    """A connector in the Europe/Paris zone with the invite commands."""

    def sync(self):
        return self.run("sync")

    def show(self, ref):
        return self.json("calendar", "show", ref)

    def fields(self, ref):
        return self.show(ref)["fields"]

    def invitations(self):
        return self.json("invite", "list")

    def all(self):
        return self.json("calendar", "list", "--from", "2031-01-01", "--to", "2031-12-31")

    def by_subject(self, subject):
        return [o for o in self.all() if o["subject"] == subject]

    def fails(self, *args):
        cp = self.run(*args, check=False)
        if cp.returncode == 0:
            raise AssertionError("atrium %s succeeded:\n%s" % (" ".join(args), cp.stdout))
        return cp.stderr


def participant(fields, login):
    found = [p for p in fields.get("participants", []) if p.get("login") == login]
    if len(found) != 1:
        raise AssertionError("%s: %r" % (login, fields.get("participants")))
    return found[0]


class Invitations(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.sink = SmtpSink(self.tmp + "/smtp").start()
        self.addCleanup(self.sink.stop)
        self.srv = self.server()
        self.srv.start({"smtp_url": self.sink.url, "mail_from": "atrium@example.org"})
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.srv.add_user("bob", "Bob Dupont", "bob@example.org", PW)
        self.srv.add_user("carol", "Carol Weiss", "carol@example.org", PW)
        self.srv.cli("group", "add", "team")
        self.srv.cli("group", "member", "add", "team", "carol")
        self.srv.cli("resource", "add", "room-1", "--email", "room-1@example.org",
                     "--kind", "room", "--name", "Room One")
        self.a = Device(self.connector("alice"))
        self.b = Device(self.connector("bob"))
        self.c = Device(self.connector("carol"))
        for d, login in ((self.a, "alice"), (self.b, "bob"), (self.c, "carol")):
            d.c.add_profile("work", self.srv.url, login, PW)
            d.sync()

    # -- mail -----------------------------------------------------------------

    def mails_to(self, address):
        return [m for m in self.sink.messages()
                if address in str(m.get("X-RcptTo", "")).lower()]

    @staticmethod
    def ical_method(msg):
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                text = part.get_content()
                if isinstance(text, bytes):
                    text = text.decode("utf-8", "replace")
                for line in text.splitlines():
                    if line.upper().startswith("METHOD:"):
                        return line.split(":", 1)[1].strip().upper()
        return None

    def wait_methods(self, address, expected, timeout=20):
        """The iMIP methods mailed to address once at least len(expected)
        arrived; then checks no more come within a second."""
        deadline = time.monotonic() + timeout
        while True:
            got = [self.ical_method(m) for m in self.mails_to(address)]
            if len(got) >= len(expected) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        time.sleep(1)
        got = [self.ical_method(m) for m in self.mails_to(address)]
        self.assertEqual(got, expected, "mail to %s" % address)

    # -- scenarios --------------------------------------------------------------

    def test_invite_answer_propose_move_cancel(self):
        lid = self.a.add("--subject", "Design review", "--location", "Room One",
                         "--start", "2031-03-18 10:00", "--end", "2031-03-18 11:00",
                         "--participant", "bob", "--participant", "group:team",
                         "--participant", "ada@example.org", "--resource", "room-1")
        mine = self.a.fields(lid)
        self.assertEqual(mine["participants"], [
            {"type": "user", "login": "bob"}, {"type": "group", "login": "team"},
            {"type": "external", "address": "ada@example.org"},
            {"type": "resource", "login": "room-1"}])
        self.a.sync()
        item = self.a.show(lid)
        self.assertEqual(item["state"], "synced", item)
        self.assertIsNone(item["error"])
        f = item["fields"]
        self.assertEqual(f["organizer"]["login"], "alice")
        # the group became its member; every internal participant has a copy
        self.assertEqual(sorted((p["type"], p.get("login") or p.get("address"))
                                for p in f["participants"]),
                         [("external", "ada@example.org"), ("resource", "room-1"),
                          ("user", "bob"), ("user", "carol")])
        for login in ("bob", "carol", "room-1"):
            self.assertIn("appointmentId", participant(f, login))
        self.assertEqual(participant(f, "room-1").get("status"), "accepted")

        # bob and carol find the invitation
        self.b.sync()
        self.c.sync()
        inv = {}
        for dev, login in ((self.b, "bob"), (self.c, "carol")):
            got = dev.invitations()
            self.assertEqual(len(got), 1, got)
            self.assertEqual(got[0]["subject"], "Design review")
            self.assertEqual(got[0]["localStart"], "2031-03-18 10:00")
            self.assertEqual(got[0]["invitation"]["login"], "alice")
            self.assertEqual(got[0]["fields"].get("response"), "none")
            inv[login] = got[0]["id"]
            text = dev.run("invite", "list").stdout
            self.assertIn("Design review", text)
            self.assertIn("alice", text)

        # answers: bob accepts with a comment, carol proposes another time
        self.b.run("invite", "respond", inv["bob"], "accept", "--comment", "I'll be there")
        self.c.run("invite", "respond", inv["carol"], "tentative", "--propose",
                   "2031-03-18 14:00", "2031-03-18 15:00")
        self.assertEqual(self.b.invitations(), [])
        cf = self.c.fields(inv["carol"])
        self.assertEqual((cf["response"], cf["proposedStart"], cf["proposedEnd"]),
                         ("tentative", "2031-03-18T13:00:00Z", "2031-03-18T14:00:00Z"))
        self.b.sync()
        self.c.sync()
        self.assertEqual(self.b.show(inv["bob"])["state"], "synced")
        self.assertEqual(self.c.show(inv["carol"])["state"], "synced")

        self.a.sync()
        f = self.a.fields(lid)
        bob = participant(f, "bob")
        self.assertEqual((bob.get("status"), bob.get("comment")), ("accepted", "I'll be there"))
        carol = participant(f, "carol")
        self.assertEqual(carol.get("status"), "tentative")
        self.assertEqual((carol.get("proposedStart"), carol.get("proposedEnd")),
                         ("2031-03-18T13:00:00Z", "2031-03-18T14:00:00Z"))
        props = self.a.json("invite", "proposals", lid)
        self.assertEqual([(p["login"], p["localStart"], p["localEnd"]) for p in props],
                         [("carol", "2031-03-18 14:00", "2031-03-18 15:00")])
        self.assertIn("carol", self.a.run("invite", "proposals", lid).stdout)

        # what makes no sense is refused, and changes nothing
        self.assertIn("not an invitation", self.a.fails("invite", "respond", lid, "accept"))
        self.assertIn("proposed no other time",
                      self.a.fails("invite", "accept-proposal", lid, "bob"))
        self.assertIn("not a participant",
                      self.a.fails("invite", "accept-proposal", lid, "zed"))
        self.assertIn("only the organizer",
                      self.c.fails("invite", "accept-proposal", inv["carol"], "carol"))
        self.assertIn("end must be after", self.b.fails(
            "invite", "respond", inv["bob"], "accept", "--propose", "2031-03-18 15:00",
            "2031-03-18 14:00"))
        self.assertEqual(self.a.show(lid)["state"], "synced")

        # alice moves it to carol's proposal; everyone answers again
        self.a.run("invite", "accept-proposal", lid, "carol")
        f = self.a.fields(lid)
        self.assertEqual((f["start"], f["end"]), ("2031-03-18T13:00:00Z", "2031-03-18T14:00:00Z"))
        self.a.sync()
        self.b.sync()
        self.c.sync()
        self.a.sync()
        f = self.a.fields(lid)
        self.assertEqual((f["start"], f["end"]), ("2031-03-18T13:00:00Z", "2031-03-18T14:00:00Z"))
        for login in ("bob", "carol"):
            p = participant(f, login)
            self.assertIn(p.get("status", "none"), ("none",), p)
            self.assertNotIn("proposedStart", p)
        self.assertEqual(self.a.json("invite", "proposals", lid), [])
        for dev, login in ((self.b, "bob"), (self.c, "carol")):
            got = dev.invitations()
            self.assertEqual([(o["id"], o["localStart"], o["localEnd"]) for o in got],
                             [(inv[login], "2031-03-18 14:00", "2031-03-18 15:00")])
            copy = dev.fields(inv[login])
            self.assertEqual(copy.get("response"), "none")
            self.assertNotIn("proposedStart", copy)

        # the external address was invited (and told of the new time)
        deadline = time.monotonic() + 20
        while not self.mails_to("ada@example.org"):
            self.assertLess(time.monotonic(), deadline, "no mail for ada@example.org")
            time.sleep(0.1)
        self.assertEqual(set(self.ical_method(m) for m in self.mails_to("ada@example.org")),
                         {"REQUEST"})

        # alice cancels: the copies go, the external address gets a CANCEL
        self.a.run("calendar", "delete", lid)
        self.a.sync()
        self.b.sync()
        self.c.sync()
        self.assertEqual(self.a.by_subject("Design review"), [])
        self.assertEqual(self.b.by_subject("Design review"), [])
        self.assertEqual(self.c.by_subject("Design review"), [])
        deadline = time.monotonic() + 20
        while "CANCEL" not in [self.ical_method(m) for m in self.mails_to("ada@example.org")]:
            self.assertLess(time.monotonic(), deadline, "no CANCEL for ada@example.org")
            time.sleep(0.1)
        methods = [self.ical_method(m) for m in self.mails_to("ada@example.org")]
        self.assertEqual(methods.count("CANCEL"), 1, methods)
        self.assertEqual(methods[-1], "CANCEL", methods)
        self.assertGreaterEqual(methods.count("REQUEST"), 1, methods)

    def test_person_conflict_and_ignore_conflicts(self):
        self.b.add("--subject", "Dentist", "--start", "2031-03-20 10:00",
                   "--end", "2031-03-20 11:00")
        self.b.sync()
        lid = self.a.add("--subject", "Planning", "--start", "2031-03-20 10:30",
                         "--end", "2031-03-20 11:30", "--participant", "bob")
        out = self.a.run("sync")
        self.assertIn("refused", out.stderr)
        item = self.a.show(lid)
        self.assertEqual(item["error"]["type"], "appointmentConflict", item)
        conflicts = item["error"]["conflicts"]
        self.assertEqual([(c["principal"], c["type"], c["start"], c["end"], c["showAs"])
                          for c in conflicts],
                         [("bob", "user", "2031-03-20T09:00:00Z", "2031-03-20T10:00:00Z",
                           "busy")])
        # alice may not read bob's calendar: no subject
        self.assertNotIn("subject", conflicts[0])
        st = self.a.json("status")
        errs = [e for e in st["errors"] if e.get("itemId") == lid]
        self.assertEqual(len(errs), 1, st)
        self.assertEqual(errs[0]["type"], "appointmentConflict")
        self.assertEqual(errs[0]["conflicts"][0]["principal"], "bob")
        text = self.a.run("status").stdout
        self.assertIn("bob (person): busy 2031-03-20 10:00 – 2031-03-20 11:00", text)
        self.assertIn("--ignore-conflicts", text)
        # a sync without a change does not send it again
        self.a.sync()
        self.assertEqual(self.a.show(lid)["error"]["type"], "appointmentConflict")
        self.b.sync()
        self.assertEqual(self.b.invitations(), [])

        # the flag alone sends it again, and the server writes it
        self.a.run("calendar", "edit", lid, "--ignore-conflicts")
        self.assertTrue(self.a.show(lid).get("ignoreConflicts"))
        self.assertIsNone(self.a.show(lid)["error"])
        out = self.a.run("sync")
        self.assertNotIn("refused", out.stderr)
        item = self.a.show(lid)
        self.assertEqual(item["state"], "synced", item)
        self.assertIsNone(item["error"])
        self.assertNotIn("ignoreConflicts", item)
        self.assertEqual(self.a.json("status")["errors"], [])
        self.b.sync()
        self.assertEqual([o["subject"] for o in self.b.invitations()], ["Planning"])

        # the flag went with that change only: a new time still meets bob's
        self.a.run("calendar", "edit", lid, "--start", "2031-03-20 10:15")
        self.a.sync()
        item = self.a.show(lid)
        self.assertEqual(item["error"]["type"], "appointmentConflict", item)
        self.assertEqual(item["state"], "modified")
        # and with the flag it goes through
        self.a.run("calendar", "edit", lid, "--ignore-conflicts")
        self.a.sync()
        item = self.a.show(lid)
        self.assertEqual((item["state"], item["error"]), ("synced", None), item)
        self.assertEqual(item["fields"]["start"], "2031-03-20T09:15:00Z")

        # nothing pending: the flag alone has nothing to go with
        self.assertIn("no change", self.a.fails("calendar", "edit", lid, "--ignore-conflicts"))

    def test_resource_double_booking(self):
        self.a.add("--subject", "Room A", "--start", "2031-03-21 09:00",
                   "--end", "2031-03-21 10:00", "--resource", "room-1")
        self.a.sync()
        self.assertEqual(self.a.json("status")["errors"], [])
        lid = self.b.add("--subject", "Room B", "--start", "2031-03-21 09:30",
                         "--end", "2031-03-21 10:30", "--resource", "room-1",
                         "--ignore-conflicts")
        self.assertTrue(self.b.show(lid).get("ignoreConflicts"))
        self.b.sync()
        item = self.b.show(lid)
        self.assertEqual(item["error"]["type"], "appointmentConflict", item)
        self.assertEqual([(c["principal"], c["type"], c["start"], c["end"])
                          for c in item["error"]["conflicts"]],
                         [("room-1", "resource", "2031-03-21T08:00:00Z",
                           "2031-03-21T09:00:00Z")])
        self.assertIn("room-1 (resource): booked", self.b.run("status").stdout)
        # ignoreConflicts never double-books a resource
        self.b.run("calendar", "edit", lid, "--ignore-conflicts")
        self.b.sync()
        item = self.b.show(lid)
        self.assertEqual(item["error"]["type"], "appointmentConflict", item)
        self.assertEqual(item["state"], "created")
        # another time is free
        self.b.run("calendar", "edit", lid, "--start", "2031-03-21 10:00")
        self.b.sync()
        item = self.b.show(lid)
        self.assertEqual((item["state"], item["error"]), ("synced", None), item)
        self.assertEqual(participant(item["fields"], "room-1").get("status"), "accepted")

        # free/busy shows the room like a person
        fb = self.c.json("freebusy", "room-1", "--from", "2031-03-21", "--to", "2031-03-21")
        self.assertEqual(len(fb), 1, fb)
        self.assertEqual((fb[0]["principal"], fb[0].get("type")), ("room-1", "resource"))
        self.assertEqual([(b["start"], b["end"]) for b in fb[0]["busy"]],
                         [("2031-03-21T08:00:00Z", "2031-03-21T10:00:00Z")])
        grid = self.c.run("freebusy", "room-1", "carol", "--from", "2031-03-21",
                          "--to", "2031-03-21").stdout
        rows = [line for line in grid.splitlines() if line.startswith("room-1")]
        self.assertEqual(len(rows), 1, grid)
        self.assertIn("(resource)", rows[0])
        # 09:00 to 11:00 Paris: four busy half hours
        self.assertEqual(rows[0][-48:], "." * 18 + "#" * 4 + "." * 26)

    def test_outsider_added_by_edit_is_invited(self):
        """A plain appointment that later gets an outside participant through
        `calendar edit` becomes alice's meeting: the outsider gets a REQUEST,
        and one CANCEL when alice removes them again."""
        lid = self.a.add("--subject", "Supplier call", "--start", "2031-05-06 15:00",
                         "--end", "2031-05-06 15:30")
        self.a.sync()
        self.assertNotIn("organizer", self.a.fields(lid))
        self.a.run("calendar", "edit", lid, "--participant", "vendor@example.net")
        self.a.sync()
        self.assertEqual(self.a.fields(lid)["organizer"]["login"], "alice")
        self.wait_methods("vendor@example.net", ["REQUEST"])
        self.a.run("calendar", "edit", lid, "--participant", "")
        self.a.sync()
        self.wait_methods("vendor@example.net", ["REQUEST", "CANCEL"])

    def test_offline_create_invites_once_when_replayed(self):
        cuts = 0
        made = []
        for k in range(1, 10):
            subject = "Replay %d" % k
            ext = "ext-%d@example.org" % k
            hour = 8 + k
            self.a.add("--subject", subject, "--start", "2031-04-01 %02d:00" % hour,
                       "--end", "2031-04-01 %02d:30" % hour, "--participant", "bob",
                       "--participant", ext)
            made.append((subject, ext))
            cut = self.a.run("sync", check=False, env={"ATRIUM_EXIT_AFTER_REQUEST": str(k)})
            self.assertIn(cut.returncode, (0, 75), cut.stderr)
            self.a.sync()
            self.a.sync()
            self.assertEqual(self.a.json("status")["errors"], [], "cut at request %d" % k)
            got = self.a.by_subject(subject)
            self.assertEqual(len(got), 1, got)
            self.assertEqual(got[0]["state"], "synced")
            self.wait_methods(ext, ["REQUEST"])
            if cut.returncode == 0:
                break
            cuts += 1
        self.assertGreaterEqual(cuts, 3)
        self.b.sync()
        for subject, ext in made:
            self.assertEqual(len(self.b.by_subject(subject)), 1, subject)
            self.assertEqual(len(self.mails_to(ext)), 1, ext)
        self.assertEqual(sorted(o["subject"] for o in self.b.invitations()),
                         sorted(s for s, _ in made))


if __name__ == "__main__":
    unittest.main()
