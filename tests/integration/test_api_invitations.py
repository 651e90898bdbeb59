"""Invitations through the API (docs/protocol.md "Invitations, resources and
conflicts"), against a real atriumd whose clock is a file and whose mail
goes to an SMTP sink.

A whole meeting: the organizer invites two users and an external address;
the users find copies in their calendars and get notices, the external
address gets an iCalendar REQUEST (parsed here, strictly: nesting, METHOD,
one VEVENT with UID, DTSTART, ORGANIZER, ATTENDEE;PARTSTAT); accepting,
tentatively accepting with a proposed time, and declining reach the
organizer's appointment and the other copies; attendees cannot change the
organizer's fields; accepting the proposal (the organizer writing the new
times) is a reschedule that resets every answer; cancelling deletes the
copies and sends CANCEL. A private meeting is hidden from a reviewer of the
organizer's calendar and visible in the participants' own calendars.
People's conflicts are refused with the bookings in the way listed (the
subject only where the writer may read it) and written with
ignoreConflicts. Every reply is checked against its schema by the harness.
"""
import os
import unittest
import uuid

from harness import SmtpSink, TempDirTestCase

PW = "Invite-Passphrase-2026"
NOW = "2026-03-02T08:00:00Z"


def unfold(text):
    """iCalendar content lines, folded lines joined (the mail transfer
    encoding may have turned CRLF into LF)."""
    lines = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw.startswith((" ", "\t")):
            assert lines, "a continuation line first"
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def parse_ical(text):
    """A small strict reader: a tree of components, each
    {"name", "props": [(NAME, {PARAM: value}, value)], "subs": [...]}."""
    root = {"name": None, "props": [], "subs": []}
    stack = [root]
    for line in unfold(text):
        name_part, sep, value = line.partition(":")
        assert sep, "no colon in %r" % line
        # parameters may hold quoted colons; the checks here need none
        pieces = name_part.split(";")
        name = pieces[0].upper()
        params = {}
        for p in pieces[1:]:
            k, eq, v = p.partition("=")
            assert eq, "bad parameter %r in %r" % (p, line)
            params[k.upper()] = v.strip('"')
        if name == "BEGIN":
            comp = {"name": value.upper(), "props": [], "subs": []}
            stack[-1]["subs"].append(comp)
            stack.append(comp)
        elif name == "END":
            assert len(stack) > 1 and stack[-1]["name"] == value.upper(), \
                "END:%s does not close %s" % (value, stack[-1]["name"])
            stack.pop()
        else:
            assert len(stack) > 1, "property %s outside a component" % name
            stack[-1]["props"].append((name, params, value))
    assert len(stack) == 1, "unclosed %s" % stack[-1]["name"]
    assert [c["name"] for c in root["subs"]] == ["VCALENDAR"], root["subs"]
    return root["subs"][0]


def props(comp, name):
    return [p for p in comp["props"] if p[0] == name]


def one(comp, name):
    found = props(comp, name)
    assert len(found) == 1, "%s: %d times" % (name, len(found))
    return found[0]


class Invitations(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.clock = os.path.join(self.tmp, "clock")
        with open(self.clock, "w") as f:
            f.write(NOW + "\n")
        self.sink = SmtpSink(os.path.join(self.tmp, "smtp")).start()
        self.addCleanup(self.sink.stop)
        self.srv = self.server()
        self.srv.start({"clock_file": self.clock, "smtp_url": self.sink.url,
                        "mail_from": "atrium@example.org"})
        self.api = {}
        self.cal = {}
        for login, name in [("alice", "Alice Martin"), ("bob", "Bob Dupont"),
                            ("carol", "Carol Kim"), ("dave", "Dave Roe")]:
            self.srv.add_user(login, name, "%s@example.org" % login, PW)
            api = self.srv.api(login, PW)
            api.login()
            self.api[login] = api
            folders = api.result("Folder/sync", {})["created"]
            self.cal[login] = [f["id"] for f in folders
                               if f["module"] == "calendar" and f["isDefault"]][0]
        self.seen = 0

    # -- helpers

    def sync(self, login, create=(), update=(), delete=(), folder=None, ignore=False):
        changes = {}
        if create:
            changes["create"] = [{"clientId": "c-" + uuid.uuid4().hex, "fields": c}
                                 for c in create]
            if ignore:
                for c in changes["create"]:
                    c["ignoreConflicts"] = True
        if update:
            changes["update"] = [{"id": i, "baseVersion": b, "fields": f}
                                 for i, b, f in update]
            if ignore:
                for c in changes["update"]:
                    c["ignoreConflicts"] = True
        if delete:
            changes["delete"] = [{"id": i, "baseVersion": b} for i, b in delete]
        args = {"folderId": folder or self.cal[login], "sinceToken": None,
                "windowSize": 512}
        if changes:
            args["changes"] = changes
        return self.api[login].result("Item/sync", args)

    def create(self, login, fields, **kw):
        return self.sync(login, create=[fields], **kw)["results"][0]

    def update(self, login, item, fields, **kw):
        return self.sync(login, update=[(item["id"], item["version"], fields)],
                         **kw)["results"][0]

    def items(self, login, folder=None):
        return {i["id"]: i for i in self.sync(login, folder=folder)["changes"]["upserted"]}

    def get(self, login, item_id):
        got = self.api[login].result("Item/get", {"folderId": self.cal[login],
                                                  "ids": [item_id]})
        return got["items"][0] if got["items"] else None

    def entry(self, item, login):
        found = [p for p in item["fields"]["participants"] if p.get("login") == login]
        self.assertEqual(len(found), 1, item["fields"]["participants"])
        return found[0]

    def copy_of(self, login, orig_id):
        found = [i for i in self.items(login).values()
                 if i["fields"].get("invitation", {}).get("appointmentId") == orig_id]
        return found[0] if found else None

    def new_mails(self, count):
        msgs = self.sink.wait_for(self.seen + count)
        new = msgs[self.seen:self.seen + count]
        self.seen += count
        return sorted(new, key=lambda m: (m["To"], str(m["Subject"])))

    def no_more_mail(self):
        import time
        time.sleep(1.5)
        self.assertEqual(len(self.sink.messages()), self.seen,
                         [str(m["Subject"]) for m in self.sink.messages()[self.seen:]])

    def calendar_part(self, msg, method):
        parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
        self.assertEqual(len(parts), 1)
        self.assertEqual(parts[0].get_param("method"), method)
        text = parts[0].get_payload(decode=True).decode("utf-8")
        cal = parse_ical(text)
        self.assertEqual(one(cal, "METHOD")[2], method)
        events = [c for c in cal["subs"] if c["name"] == "VEVENT"]
        self.assertEqual(len(events), 1)
        ev = events[0]
        for name in ("UID", "DTSTART", "DTSTAMP", "ORGANIZER", "SEQUENCE"):
            one(ev, name)
        return ev

    # -- the whole cycle

    def test_meeting_cycle(self):
        r = self.create("alice", {
            "subject": "Planning", "location": "Room 4", "notes": "bring numbers",
            "start": "2026-03-10T09:00:00Z", "end": "2026-03-10T10:00:00Z",
            "participants": [
                {"type": "user", "login": "bob", "status": "accepted"},
                {"type": "user", "login": "carol"},
                {"type": "external", "address": "ext@example.net", "name": "Ext Person"}]})
        self.assertEqual(r["status"], "ok", r)
        orig = r["item"]
        f = orig["fields"]
        self.assertEqual(f["organizer"], {"login": "alice", "name": "Alice Martin",
                                          "address": "alice@example.org"})
        self.assertTrue(f["uid"])
        bob_e, carol_e = self.entry(orig, "bob"), self.entry(orig, "carol")
        # a client's status of a user participant is not taken
        self.assertEqual(bob_e["status"], "none")
        self.assertEqual(carol_e["status"], "none")
        self.assertNotIn("appointmentId", f["participants"][2])

        bob_copy = self.copy_of("bob", orig["id"])
        carol_copy = self.copy_of("carol", orig["id"])
        self.assertEqual(bob_copy["id"], bob_e["appointmentId"])
        self.assertEqual(carol_copy["id"], carol_e["appointmentId"])
        self.assertEqual(bob_copy["fields"]["invitation"],
                         {"appointmentId": orig["id"], "login": "alice"})
        self.assertEqual(bob_copy["fields"]["response"], "none")
        for k in ("subject", "location", "notes", "start", "end", "uid", "organizer",
                  "participants"):
            self.assertEqual(bob_copy["fields"][k], f[k], k)
        self.assertIsNone(self.copy_of("dave", orig["id"]))

        mails = self.new_mails(3)
        self.assertEqual([(m["To"], str(m["Subject"])) for m in mails], [
            ("Bob Dupont <bob@example.org>", "Invitation: Planning"),
            ("Carol Kim <carol@example.org>", "Invitation: Planning"),
            ("Ext Person <ext@example.net>", "Invitation: Planning")])
        self.assertIn("atrium invite respond %s" % bob_copy["id"],
                      mails[0].get_body(("plain",)).get_content())
        ev = self.calendar_part(mails[2], "REQUEST")
        self.assertEqual(one(ev, "UID")[2], f["uid"])
        self.assertEqual(one(ev, "SEQUENCE")[2], "0")
        self.assertEqual(one(ev, "DTSTART")[2], "20260310T090000Z")
        self.assertEqual(one(ev, "SUMMARY")[2], "Planning")
        self.assertEqual(one(ev, "ORGANIZER")[2].lower(), "mailto:alice@example.org")
        att = {a[2].lower(): a[1] for a in props(ev, "ATTENDEE")}
        self.assertEqual(sorted(att), ["mailto:bob@example.org", "mailto:carol@example.org",
                                       "mailto:ext@example.net"])
        for params in att.values():
            self.assertEqual(params["PARTSTAT"], "NEEDS-ACTION")
            self.assertEqual(params["RSVP"], "TRUE")

        # bob accepts with a comment
        r = self.update("bob", bob_copy, {"response": "accepted",
                                          "responseComment": "will be there"})
        self.assertEqual(r["status"], "ok", r)
        orig = self.get("alice", orig["id"])
        self.assertEqual(self.entry(orig, "bob")["status"], "accepted")
        self.assertEqual(self.entry(orig, "bob")["comment"], "will be there")
        carol_copy = self.copy_of("carol", orig["id"])
        self.assertEqual(self.entry(carol_copy, "bob")["status"], "accepted")
        self.assertEqual(self.entry(r["item"], "bob")["status"], "accepted")
        m = self.new_mails(1)[0]
        self.assertEqual((m["To"], str(m["Subject"])),
                         ("Alice Martin <alice@example.org>", "Accepted: Planning"))
        self.assertIn("will be there", m.get_body(("plain",)).get_content())

        # an attendee cannot change the organizer's fields, nor forge a status
        bob_copy = r["item"]
        r = self.update("bob", bob_copy, {"subject": "Mine now"})
        self.assertEqual(r["status"], "error")
        self.assertEqual((r["error"]["type"], r["error"]["field"]), ("invalidField", "subject"))
        self.assertIn("only the organizer", r["error"]["message"])
        r = self.update("bob", bob_copy, {"reminderMinutes": 30, "showAs": "tentative"})
        self.assertEqual(r["status"], "ok", r)
        r = self.update("alice", orig, {"participants": [
            dict(p, status="declined") if p.get("login") == "carol" else p
            for p in orig["fields"]["participants"]]})
        self.assertEqual(r["status"], "ok", r)
        self.assertEqual(self.entry(r["item"], "carol")["status"], "none")
        orig = r["item"]

        # carol: tentative, proposing 11:00-12:00
        r = self.update("carol", carol_copy, {
            "response": "tentative", "proposedStart": "2026-03-10T11:00:00Z",
            "proposedEnd": "2026-03-10T12:00:00Z"})
        self.assertEqual(r["status"], "ok", r)
        orig = self.get("alice", orig["id"])
        ce = self.entry(orig, "carol")
        self.assertEqual((ce["status"], ce["proposedStart"], ce["proposedEnd"]),
                         ("tentative", "2026-03-10T11:00:00Z", "2026-03-10T12:00:00Z"))
        m = self.new_mails(1)[0]
        self.assertEqual(str(m["Subject"]), "Tentative: Planning")
        self.assertIn("2026-03-10T11:00:00Z", m.get_body(("plain",)).get_content())
        # a proposal must be whole
        r = self.update("carol", r["item"], {"proposedStart": None})
        self.assertEqual(r["status"], "error")
        self.assertEqual(r["error"]["field"], "proposedStart")

        # accepting the proposal: the organizer writes the new times
        r = self.update("alice", orig, {"start": ce["proposedStart"],
                                        "end": ce["proposedEnd"]})
        self.assertEqual(r["status"], "ok", r)
        orig = r["item"]
        self.assertEqual(orig["fields"]["sequence"], 1)
        for login in ("bob", "carol"):
            e = self.entry(orig, login)
            self.assertEqual(e["status"], "none", e)
            self.assertNotIn("proposedStart", e)
            self.assertNotIn("comment", e)
            c = self.copy_of(login, orig["id"])
            self.assertEqual(c["fields"]["start"], "2026-03-10T11:00:00Z")
            self.assertEqual(c["fields"]["response"], "none")
            self.assertEqual(c["fields"]["sequence"], 1)
            self.assertNotIn("proposedStart", c["fields"])
        # bob's own reminder stays his
        self.assertEqual(self.copy_of("bob", orig["id"])["fields"]["reminderMinutes"], 30)
        mails = self.new_mails(3)
        self.assertEqual([(m["To"], str(m["Subject"])) for m in mails], [
            ("Bob Dupont <bob@example.org>", "Updated: Planning"),
            ("Carol Kim <carol@example.org>", "Updated: Planning"),
            ("Ext Person <ext@example.net>", "Updated: Planning")])
        ev = self.calendar_part(mails[2], "REQUEST")
        self.assertEqual(one(ev, "SEQUENCE")[2], "1")
        self.assertEqual(one(ev, "DTSTART")[2], "20260310T110000Z")

        # bob declines by deleting his copy
        bob_copy = self.copy_of("bob", orig["id"])
        r = self.sync("bob", delete=[(bob_copy["id"], bob_copy["version"])])["results"][0]
        self.assertEqual(r["status"], "ok", r)
        orig = self.get("alice", orig["id"])
        be = self.entry(orig, "bob")
        self.assertEqual(be["status"], "declined")
        self.assertNotIn("appointmentId", be)
        self.assertEqual(self.entry(self.copy_of("carol", orig["id"]), "bob")["status"],
                         "declined")
        self.assertEqual(str(self.new_mails(1)[0]["Subject"]), "Declined: Planning")

        # cancel: the copies go, carol and the external address are told
        r = self.sync("alice", delete=[(orig["id"], orig["version"])])["results"][0]
        self.assertEqual(r["status"], "ok", r)
        self.assertIsNone(self.copy_of("carol", orig["id"]))
        mails = self.new_mails(2)
        self.assertEqual([(m["To"], str(m["Subject"])) for m in mails], [
            ("Carol Kim <carol@example.org>", "Cancelled: Planning"),
            ("Ext Person <ext@example.net>", "Cancelled: Planning")])
        ev = self.calendar_part(mails[1], "CANCEL")
        self.assertEqual(one(ev, "UID")[2], orig["fields"]["uid"])
        self.assertEqual(one(ev, "SEQUENCE")[2], "2")
        self.assertEqual(one(ev, "STATUS")[2], "CANCELLED")
        self.no_more_mail()

    def test_removed_participant_and_groups(self):
        self.srv.cli("group", "add", "team")
        for login in ("carol", "dave"):
            self.srv.cli("group", "member", "add", "team", login)
        r = self.create("alice", {
            "subject": "Team", "start": "2026-03-11T09:00:00Z", "end": "2026-03-11T10:00:00Z",
            "participants": [{"type": "group", "login": "team"},
                             {"type": "external", "address": "ext@example.net"}]})
        self.assertEqual(r["status"], "ok", r)
        orig = r["item"]
        self.assertEqual(sorted((p["type"], p.get("login")) for p in orig["fields"]["participants"]),
                         [("external", None), ("user", "carol"), ("user", "dave")])
        self.new_mails(3)
        # dave and the external address are taken off
        r = self.update("alice", orig, {"participants": [
            p for p in orig["fields"]["participants"] if p.get("login") == "carol"]})
        self.assertEqual(r["status"], "ok", r)
        self.assertIsNone(self.copy_of("dave", orig["id"]))
        self.assertIsNotNone(self.copy_of("carol", orig["id"]))
        mails = self.new_mails(2)
        self.assertEqual([(m["To"], str(m["Subject"])) for m in mails], [
            ("Dave Roe <dave@example.org>", "Cancelled: Team"),
            ("ext@example.net", "Cancelled: Team")])
        self.calendar_part(mails[1], "CANCEL")
        # unknown users and the whole organisation are refused
        for parts, field in [([{"type": "user", "login": "nobody"}], "participants[0].login"),
                             ([{"type": "group", "login": "everyone"}],
                              "participants[0].login")]:
            r = self.create("alice", {"start": "2026-03-12T09:00:00Z",
                                      "end": "2026-03-12T10:00:00Z", "participants": parts})
            self.assertEqual((r["error"]["type"], r["error"]["field"]), ("invalidField", field))
        # the server's client ids cannot be used by clients
        res = self.api["alice"].result("Item/sync", {
            "folderId": self.cal["alice"], "changes": {"create": [{
                "clientId": "atrium-invite:x:y",
                "fields": {"start": "2026-03-12T09:00:00Z", "end": "2026-03-12T10:00:00Z"}}]}})
        self.assertEqual(res["results"][0]["error"]["type"], "invalidArguments")

    def test_private_meeting(self):
        self.api["alice"].result("Folder/setPermissions", {
            "folderId": self.cal["alice"],
            "set": [{"principal": {"type": "user", "login": "dave"}, "level": "reviewer"}]})
        r = self.create("alice", {"subject": "Salary talk", "private": True,
                                  "start": "2026-03-12T14:00:00Z",
                                  "end": "2026-03-12T15:00:00Z",
                                  "participants": [{"type": "user", "login": "bob"}]})
        self.assertEqual(r["status"], "ok", r)
        pub = self.create("alice", {"subject": "Open day", "start": "2026-03-13T14:00:00Z",
                                    "end": "2026-03-13T15:00:00Z"})
        seen = {i["fields"].get("subject")
                for i in self.items("dave", folder=self.cal["alice"]).values()}
        self.assertEqual(seen, {"Open day"})
        copy = self.copy_of("bob", r["item"]["id"])
        self.assertEqual(copy["fields"]["subject"], "Salary talk")
        self.assertTrue(copy["fields"]["private"])
        self.assertIsNotNone(self.get("alice", r["item"]["id"]))
        self.assertTrue(pub["status"] == "ok")

    # -- conflicts of people

    def test_person_conflicts(self):
        r = self.create("bob", {"subject": "Dentist", "start": "2026-03-16T09:00:00Z",
                                "end": "2026-03-16T10:00:00Z"})
        self.assertEqual(r["status"], "ok", r)
        r = self.create("carol", {"subject": "Gym", "start": "2026-03-16T10:15:00Z",
                                  "end": "2026-03-16T10:45:00Z", "showAs": "outOfOffice"})
        self.assertEqual(r["status"], "ok", r)
        # alice reads carol's calendar, not bob's
        self.api["carol"].result("Folder/setPermissions", {
            "folderId": self.cal["carol"],
            "set": [{"principal": {"type": "user", "login": "alice"}, "level": "reviewer"}]})
        # alice's own overlaps are hers to choose: never a conflict
        r = self.create("alice", {"subject": "Own", "start": "2026-03-16T09:00:00Z",
                                  "end": "2026-03-16T11:00:00Z"})
        self.assertEqual(r["status"], "ok", r)
        meeting = {"subject": "Review", "start": "2026-03-16T09:30:00Z",
                   "end": "2026-03-16T10:30:00Z",
                   "participants": [{"type": "user", "login": "bob"},
                                    {"type": "user", "login": "carol"}]}
        r = self.create("alice", meeting)
        self.assertEqual(r["status"], "error", r)
        e = r["error"]
        self.assertEqual((e["type"], e["scope"], e["retry"]),
                         ("appointmentConflict", "item", "final"))
        # bob's subject is not alice's to read; carol's is
        self.assertEqual(sorted(e["conflicts"], key=lambda c: c["principal"]), [
            {"principal": "bob", "type": "user", "start": "2026-03-16T09:00:00Z",
             "end": "2026-03-16T10:00:00Z", "showAs": "busy"},
            {"principal": "carol", "type": "user", "start": "2026-03-16T10:15:00Z",
             "end": "2026-03-16T10:45:00Z", "showAs": "outOfOffice", "subject": "Gym"}])
        for login in ("alice", "bob"):
            self.assertFalse([i for i in self.items(login).values()
                              if i["fields"].get("subject") == "Review"])
        # sent again with ignoreConflicts it is written
        r = self.create("alice", meeting, ignore=True)
        self.assertEqual(r["status"], "ok", r)
        orig = r["item"]
        # a reschedule is checked again (its own copies are no conflict)
        r = self.update("alice", orig, {"start": "2026-03-16T09:45:00Z"})
        self.assertEqual(r["error"]["type"], "appointmentConflict")
        self.assertEqual({c["principal"] for c in r["error"]["conflicts"]}, {"bob", "carol"})
        # a series is checked occurrence by occurrence: the third one meets
        # carol's lunch
        r2 = self.create("carol", {"subject": "Lunch", "start": "2026-03-23T11:30:00Z",
                                   "end": "2026-03-23T12:30:00Z", "showAs": "tentative"})
        self.assertEqual(r2["status"], "ok", r2)
        r = self.update("alice", orig, {"start": "2026-03-09T11:00:00Z",
                                        "end": "2026-03-09T12:00:00Z",
                                        "rrule": "FREQ=WEEKLY;COUNT=3"})
        self.assertEqual(r["error"]["type"], "appointmentConflict", r)
        self.assertEqual([(c["principal"], c["start"], c["showAs"])
                          for c in r["error"]["conflicts"]],
                         [("carol", "2026-03-23T11:30:00Z", "tentative")])
        r = self.update("alice", orig, {"start": "2026-03-09T13:00:00Z",
                                        "end": "2026-03-09T14:00:00Z",
                                        "rrule": "FREQ=WEEKLY;COUNT=3"})
        self.assertEqual(r["status"], "ok", r)
        # a declined invitation is free time, an unanswered one tentative
        carol_copy = self.copy_of("carol", orig["id"])
        r = self.create("dave", {"subject": "Other", "start": "2026-03-16T13:30:00Z",
                                 "end": "2026-03-16T14:30:00Z",
                                 "participants": [{"type": "user", "login": "carol"}]})
        self.assertEqual(r["error"]["type"], "appointmentConflict")
        self.assertEqual([(c["principal"], c["showAs"]) for c in r["error"]["conflicts"]],
                         [("carol", "tentative")])
        self.assertEqual(self.update("carol", carol_copy, {"response": "declined"})["status"],
                         "ok")
        r = self.create("dave", {"subject": "Other", "start": "2026-03-16T13:30:00Z",
                                 "end": "2026-03-16T14:30:00Z",
                                 "participants": [{"type": "user", "login": "carol"}]})
        self.assertEqual(r["status"], "ok", r)


if __name__ == "__main__":
    unittest.main()
