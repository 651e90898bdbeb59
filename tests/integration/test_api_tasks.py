"""Tasks through the API (docs/protocol.md "Task fields" and "Tasks: series
and delegation"), against a real atriumd whose clock is a file
(clock_file) and whose mail goes to an SMTP sink.

Every task field round-trips through Item/sync and Item/get; status,
percentComplete and dateCompleted are made coherent by the server
whichever of them a client sends; the server-only fields cannot be forged;
completing an occurrence of a series makes exactly one next occurrence
(every work day, COUNT, regenerate after completion, two devices
completing the same task, replays); delegation to users and groups puts a
copy in each assignee's default Tasks folder, answers and progress flow
back, content changes reach the copies, withdrawing or deleting removes
them, and notices are mailed; a private delegated task is seen by its
assignee and by no reviewer of the delegator's folder. Every reply is
checked against its schema by the harness.
"""
import http.client
import json
import os
import threading
import time
import unittest
import uuid

from harness import SmtpSink, TempDirTestCase, validate

PW = "Tasks-Passphrase-2026"
NOW = "2026-03-06T15:00:00Z"       # a Friday
WORK_DAYS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"


class Tasks(TempDirTestCase):
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
        self.tasks = {}
        for login, name in [("alice", "Alice Martin"), ("bob", "Bob Dupont"),
                            ("carol", "Carol Kim"), ("dave", "Dave Roe")]:
            self.srv.add_user(login, name, "%s@example.org" % login, PW)
            api = self.srv.api(login, PW)
            api.login()
            self.api[login] = api
            folders = api.result("Folder/sync", {})["created"]
            self.tasks[login] = [f["id"] for f in folders
                                 if f["module"] == "tasks" and f["isDefault"]][0]
        self.alice = self.api["alice"]

    # -- helpers

    def sync(self, login, create=(), update=(), delete=(), token=None, folder=None,
             api=None):
        """Item/sync as login on its tasks folder (or folder); create: a list
        of fields or of (clientId, fields)."""
        changes = {}
        if create:
            changes["create"] = [
                {"clientId": c[0], "fields": c[1]} if isinstance(c, tuple)
                else {"clientId": "c-" + uuid.uuid4().hex, "fields": c}
                for c in create]
        if update:
            changes["update"] = [{"id": i, "baseVersion": b, "fields": f}
                                 for i, b, f in update]
        if delete:
            changes["delete"] = [{"id": i, "baseVersion": b} for i, b in delete]
        args = {"folderId": folder or self.tasks[login], "sinceToken": token,
                "windowSize": 512}
        if changes:
            args["changes"] = changes
        return (api or self.api[login]).result("Item/sync", args)

    def create(self, login, fields, **kw):
        r = self.sync(login, create=[fields], **kw)["results"][0]
        self.assertEqual(r["status"], "ok", r)
        return r["item"]

    def update(self, login, item, fields, ok=True, **kw):
        r = self.sync(login, update=[(item["id"], item["version"], fields)],
                      **kw)["results"][0]
        if ok:
            self.assertEqual(r["status"], "ok", r)
            return r["item"]
        return r

    def items(self, login, folder=None, api=None):
        """Every item of the folder, by id."""
        res = self.sync(login, folder=folder, api=api)
        self.assertFalse(res["moreAvailable"])
        return {i["id"]: i for i in res["changes"]["upserted"]}

    def get(self, login, item_id, folder=None):
        got = self.api[login].result("Item/get", {"folderId": folder or self.tasks[login],
                                                  "ids": [item_id]})
        return got["items"][0] if got["items"] else None

    def token(self, login):
        return self.sync(login)["newToken"]

    def by_subject(self, login, subject):
        return sorted((i for i in self.items(login).values()
                       if i["fields"].get("subject") == subject),
                      key=lambda i: i["fields"].get("due", ""))

    def entry(self, item, login):
        found = [p for p in item["fields"].get("participants", [])
                 if p.get("login") == login and p["type"] == "user"]
        self.assertEqual(len(found), 1, item["fields"].get("participants"))
        return found[0]

    def mails(self, count):
        return [(m["To"], str(m["Subject"]), m.get_body(("plain",)).get_content())
                for m in self.sink.wait_for(count)]

    # -- fields and coherence

    def test_every_field_round_trips(self):
        full = {
            "subject": "Budget 2026", "start": "2026-03-02", "due": "2026-03-20",
            "timeZone": "Europe/Paris", "status": "inProgress", "priority": "high",
            "percentComplete": 30, "reminder": "2026-03-19T08:00:00Z",
            "notes": "first line\nsecond line", "categories": ["Finance", "Q1"],
            "private": False, "contacts": ["Ada Lovelace"], "totalWorkMinutes": 600,
            "actualWorkMinutes": 120, "companies": "ACME", "mileage": "42 km",
            "billingInformation": "project 7",
            "participants": [{"type": "external", "address": "eve@example.net",
                              "name": "Eve", "status": "tentative", "comment": "maybe"}],
            "response": "none", "responseComment": "n/a", "uid": "budget-2026@example.org",
            "sequence": 3, "icalExtra": "X-ATRIUM-TEST:1",
        }
        done = {"subject": "Closed", "due": "2026-03-03T17:00:00", "status": "completed",
                "percentComplete": 100, "dateCompleted": "2026-03-04T10:00:00Z",
                "private": True}
        series = {"subject": "Weekly", "due": "2026-03-09", "rrule": "FREQ=WEEKLY;COUNT=5"}
        regen = {"subject": "Water plants", "start": "2026-03-02T09:00:00Z",
                 "due": "2026-03-02T10:00:00Z", "regenerate": {"every": 2, "unit": "week"}}
        for fields in (full, done, series, regen):
            item = self.create("alice", fields)
            self.assertEqual(item["type"], "task")
            self.assertEqual(item["fields"], fields)
            self.assertEqual(self.get("alice", item["id"])["fields"], fields)
        # another device of the same user gets them whole
        other = self.srv.api("alice", PW)
        other.login()
        got = sorted((i["fields"] for i in self.items("alice", api=other).values()),
                     key=lambda f: f["subject"])
        self.assertEqual(got, sorted([full, done, series, regen],
                                     key=lambda f: f["subject"]))

    def test_coherence_whichever_field_is_sent(self):
        a = self.create("alice", {"subject": "a", "status": "completed"})
        self.assertEqual((a["fields"]["percentComplete"], a["fields"]["dateCompleted"]),
                         (100, NOW))
        b = self.create("alice", {"subject": "b", "percentComplete": 100})
        self.assertEqual((b["fields"]["status"], b["fields"]["dateCompleted"]),
                         ("completed", NOW))
        c = self.create("alice", {"subject": "c", "dateCompleted": "2026-03-01"})
        self.assertEqual((c["fields"]["status"], c["fields"]["percentComplete"]),
                         ("completed", 100))
        d = self.create("alice", {"subject": "d", "status": "inProgress",
                                  "percentComplete": 100, "dateCompleted": "2026-03-01"})
        self.assertEqual(d["fields"]["status"], "inProgress")
        self.assertEqual(d["fields"]["percentComplete"], 0)
        self.assertNotIn("dateCompleted", d["fields"])
        token = self.token("alice")
        # reopening clears the date
        a2 = self.update("alice", a, {"status": "inProgress"})
        self.assertEqual(a2["fields"]["status"], "inProgress")
        self.assertEqual(a2["fields"]["percentComplete"], 0)
        self.assertNotIn("dateCompleted", a2["fields"])
        # only percentComplete 50 on a completed task: in progress, no date
        b2 = self.update("alice", b, {"percentComplete": 50})
        self.assertEqual(b2["fields"]["status"], "inProgress")
        self.assertEqual(b2["fields"]["percentComplete"], 50)
        self.assertNotIn("dateCompleted", b2["fields"])
        # removing the date reopens
        c2 = self.update("alice", c, {"dateCompleted": None})
        self.assertEqual((c2["fields"]["status"], c2["fields"]["percentComplete"]),
                         ("notStarted", 0))
        self.assertNotIn("dateCompleted", c2["fields"])
        # another device syncing from before sees the coherent items, and a
        # merge of its own older patch on another field keeps them coherent
        other = self.srv.api("alice", PW)
        other.login()
        res = self.sync("alice", token=token, api=other)
        seen = {i["id"]: i["fields"] for i in res["changes"]["upserted"]}
        self.assertEqual(seen[b["id"]], b2["fields"])
        self.assertEqual(seen[a["id"]], a2["fields"])
        r = self.sync("alice", api=other,
                      update=[(b["id"], b["version"], {"notes": "from the phone"})])
        merged = r["results"][0]
        self.assertEqual(merged["status"], "ok", merged)
        self.assertNotIn("conflict", merged)
        self.assertEqual(merged["item"]["fields"]["percentComplete"], 50)
        self.assertEqual(merged["item"]["fields"]["status"], "inProgress")
        # the fields coherence changed carry the write's version: a device
        # patching one of them from before is a conflict (kept server side),
        # and from the current version it moves the three together
        r = self.sync("alice", api=other,
                      update=[(c["id"], c["version"], {"percentComplete": 100})])
        res = r["results"][0]
        self.assertEqual(res["conflict"]["fields"], ["percentComplete"])
        self.assertEqual(res["item"]["fields"], c2["fields"])
        r = self.sync("alice", api=other,
                      update=[(c["id"], c2["version"], {"percentComplete": 100})])
        self.assertEqual(r["results"][0]["item"]["fields"]["status"], "completed")
        self.assertEqual(r["results"][0]["item"]["fields"]["dateCompleted"], NOW)

    def test_server_fields_cannot_be_forged(self):
        item = self.create("alice", {
            "subject": "Forge", "delegator": {"login": "dave", "taskId": "f" * 24},
            "participants": [{"type": "user", "login": "bob", "taskId": "e" * 24,
                              "taskStatus": "completed", "percentComplete": 80}]})
        f = item["fields"]
        self.assertNotIn("delegator", f)
        bob = self.entry(item, "bob")
        self.assertNotEqual(bob["taskId"], "e" * 24)
        self.assertEqual((bob["taskStatus"], bob["percentComplete"], bob["status"]),
                         ("notStarted", 0, "none"))
        copy = self.get("bob", bob["taskId"])
        self.assertEqual(copy["fields"]["delegator"]["taskId"], item["id"])
        # echoing the stored participants back, or forging their server
        # members, changes nothing
        forged = [dict(bob, taskId="d" * 24, taskStatus="completed", percentComplete=99)]
        same = self.update("alice", item, {"participants": forged,
                                           "delegator": {"login": "dave"}})
        self.assertEqual(same["version"], item["version"])
        self.assertEqual(same["fields"], item["fields"])
        # an assignee cannot remove or change the delegator of the copy,
        # nor delegate the copy further
        c2 = self.update("bob", copy, {"delegator": None, "subject": "Forge (bob)"})
        self.assertEqual(c2["fields"]["delegator"], copy["fields"]["delegator"])
        r = self.update("bob", c2, {"participants": [{"type": "user", "login": "carol"}]},
                        ok=False)
        self.assertEqual((r["status"], r["error"]["type"], r["error"]["field"]),
                         ("error", "invalidField", "participants"))
        # the server's own client ids are not for clients
        r = self.sync("alice", create=[("atrium-next:" + "a" * 24, {"subject": "x"})])
        self.assertEqual(r["results"][0]["error"]["type"], "invalidArguments")

    # -- series

    def test_every_work_day_completed_on_friday(self):
        item = self.create("alice", {"subject": "Stand-up notes", "start": "2026-03-06",
                                     "due": "2026-03-06", "rrule": WORK_DAYS})
        res = self.sync("alice", update=[(item["id"], item["version"],
                                          {"status": "completed"})],
                        token=self.token("alice"))
        done = res["results"][0]["item"]
        self.assertNotIn("rrule", done["fields"])
        self.assertEqual(done["fields"]["status"], "completed")
        self.assertEqual(done["fields"]["dateCompleted"], NOW)
        # the next one comes to the writer as a server change
        nxt = [i for i in res["changes"]["upserted"] if i["id"] != item["id"]]
        self.assertEqual(len(nxt), 1, res["changes"])
        f = nxt[0]["fields"]
        self.assertEqual((f["start"], f["due"], f["rrule"]),
                         ("2026-03-09", "2026-03-09", WORK_DAYS))
        self.assertEqual(f.get("status", "notStarted"), "notStarted")
        self.assertNotIn("dateCompleted", f)
        self.assertEqual(nxt[0]["createdBy"], item["createdBy"])
        tasks = self.by_subject("alice", "Stand-up notes")
        self.assertEqual([t["id"] for t in tasks], [item["id"], nxt[0]["id"]])

    def test_count_ends_the_series(self):
        first = self.create("alice", {"subject": "Twice", "due": "2026-03-02",
                                      "rrule": "FREQ=WEEKLY;COUNT=2"})
        self.update("alice", first, {"status": "completed"})
        tasks = self.by_subject("alice", "Twice")
        self.assertEqual(len(tasks), 2)
        second = tasks[1]
        self.assertEqual(second["fields"]["due"], "2026-03-09")
        self.assertIn("rrule", second["fields"])
        done = self.update("alice", second, {"percentComplete": 100})
        self.assertNotIn("rrule", done["fields"])
        tasks = self.by_subject("alice", "Twice")
        self.assertEqual(len(tasks), 2, [t["fields"] for t in tasks])
        self.assertTrue(all(t["fields"]["status"] == "completed" for t in tasks))

    def test_regenerate_after_completion(self):
        week = self.create("alice", {"subject": "Backup", "due": "2026-03-02",
                                     "regenerate": {"every": 1, "unit": "week"}})
        self.update("alice", week, {"status": "completed"})   # today: 2026-03-06
        month = self.create("alice", {"subject": "Invoice", "due": "2026-02-27",
                                      "regenerate": {"every": 1, "unit": "month"}})
        self.update("alice", month, {"dateCompleted": "2026-03-04"})
        backup = self.by_subject("alice", "Backup")
        self.assertEqual([t["fields"]["due"] for t in backup], ["2026-03-02", "2026-03-13"])
        self.assertEqual(backup[1]["fields"]["regenerate"], {"every": 1, "unit": "week"})
        self.assertNotIn("regenerate", backup[0]["fields"])
        invoice = self.by_subject("alice", "Invoice")
        self.assertEqual([t["fields"]["due"] for t in invoice], ["2026-02-27", "2026-04-04"])

    def test_two_devices_complete_the_same_occurrence(self):
        phone = self.srv.api("alice", PW)
        phone.login()
        item = self.create("alice", {"subject": "Pay rent", "due": "2026-03-01",
                                     "rrule": "FREQ=MONTHLY"})
        base = item["version"]
        # both devices hold version `base`, both complete it offline
        r1 = self.sync("alice", update=[(item["id"], base, {"status": "completed"})])
        self.assertEqual(r1["results"][0]["status"], "ok")
        r2 = self.sync("alice", api=phone, update=[(item["id"], base, {
            "status": "completed", "percentComplete": 100,
            "dateCompleted": "2026-03-05T20:00:00Z"})])
        self.assertEqual(r2["results"][0]["status"], "ok", r2)
        tasks = self.by_subject("alice", "Pay rent")
        self.assertEqual(len(tasks), 2, [t["fields"] for t in tasks])
        nxt = tasks[1]
        self.assertEqual(nxt["fields"]["due"], "2026-04-01")
        # a replay of the completing request makes nothing either
        self.sync("alice", update=[(item["id"], base, {"status": "completed"})])
        # nor the replay of the server's create of the next one: the user
        # asking for that client id gets the same item back
        r = self.sync("alice", create=[("atrium-next:" + item["id"], {"subject": "Pay rent"})])
        self.assertTrue(r["results"][0].get("replayed"), r["results"][0])
        self.assertEqual(r["results"][0]["id"], nxt["id"])
        self.assertEqual(len(self.by_subject("alice", "Pay rent")), 2)
        # a create of an already completed series, replayed: one next only
        cid = "c-" + uuid.uuid4().hex
        fields = {"subject": "Water", "due": "2026-03-05", "rrule": "FREQ=DAILY",
                  "status": "completed"}
        first = self.sync("alice", create=[(cid, fields)])["results"][0]
        again = self.sync("alice", api=phone, create=[(cid, fields)])["results"][0]
        self.assertTrue(again.get("replayed"))
        self.assertEqual(again["id"], first["id"])
        water = self.by_subject("alice", "Water")
        self.assertEqual([t["fields"]["due"] for t in water], ["2026-03-05", "2026-03-06"])

    # -- delegation

    def test_delegation_round(self):
        self.srv.cli("group", "add", "crew")
        for login in ("alice", "bob", "carol"):
            self.srv.cli("group", "member", "add", "crew", login)
        tok = {u: self.token(u) for u in ("bob", "carol")}
        item = self.create("alice", {
            "subject": "Report", "due": "2026-03-13", "priority": "high",
            "notes": "Numbers of Q1.",
            "participants": [{"type": "user", "login": "bob"},
                             {"type": "group", "login": "crew"},
                             {"type": "external", "address": "eve@example.net",
                              "name": "Eve"}]})
        parts = item["fields"]["participants"]
        self.assertEqual(sorted((p["type"], p.get("login") or p.get("address"))
                                for p in parts),
                         [("external", "eve@example.net"), ("user", "bob"),
                          ("user", "carol")])
        copies = {}
        for login in ("bob", "carol"):
            e = self.entry(item, login)
            self.assertEqual(e["status"], "none")
            res = self.sync(login, token=tok[login])
            got = res["changes"]["upserted"]
            self.assertEqual([i["id"] for i in got], [e["taskId"]])
            copy = got[0]
            f = copy["fields"]
            self.assertEqual(copy["createdBy"], self.api[login].session().body["user"]["id"])
            self.assertEqual(f["delegator"]["login"], "alice")
            self.assertEqual(f["delegator"]["taskId"], item["id"])
            self.assertEqual(f["delegator"]["address"], "alice@example.org")
            self.assertEqual(f["response"], "none")
            self.assertEqual((f["subject"], f["due"], f["priority"], f["notes"]),
                             ("Report", "2026-03-13", "high", "Numbers of Q1."))
            self.assertNotIn("participants", f)
            copies[login] = copy
            tok[login] = res["newToken"]
        msgs = self.mails(3)
        assigned = sorted(m[0] for m in msgs if m[1] == "Task assigned: Report")
        self.assertEqual(assigned, ["Bob Dupont <bob@example.org>",
                                    "Carol Kim <carol@example.org>", "Eve <eve@example.net>"])
        body = [m[2] for m in msgs if "bob@" in m[0]][0]
        self.assertIn("atrium task respond %s accept" % copies["bob"]["id"], body)
        self.assertIn("2026-03-13", body)
        # answers and progress flow back
        b = self.update("bob", copies["bob"], {"response": "accepted",
                                               "responseComment": "on it"})
        self.update("carol", copies["carol"], {"response": "declined",
                                                "responseComment": "no time"})
        b = self.update("bob", b, {"status": "inProgress", "percentComplete": 40})
        orig = self.get("alice", item["id"])
        eb, ec = self.entry(orig, "bob"), self.entry(orig, "carol")
        self.assertEqual((eb["status"], eb["comment"], eb["taskStatus"],
                          eb["percentComplete"]), ("accepted", "on it", "inProgress", 40))
        self.assertEqual((ec["status"], ec["comment"]), ("declined", "no time"))
        msgs = self.mails(5)
        answers = sorted((m[0], m[1]) for m in msgs[3:])
        self.assertEqual(answers, [("Alice Martin <alice@example.org>", "Task accepted: Report"),
                                   ("Alice Martin <alice@example.org>", "Task declined: Report")])
        # the delegator edits the content: every copy follows, the
        # assignee's own progress stays
        orig = self.update("alice", orig, {"subject": "Quarterly report",
                                           "due": "2026-03-20"})
        for login in ("bob", "carol"):
            res = self.sync(login, token=tok[login])
            got = {i["id"]: i for i in res["changes"]["upserted"]}
            f = got[copies[login]["id"]]["fields"]
            self.assertEqual((f["subject"], f["due"]), ("Quarterly report", "2026-03-20"))
            tok[login] = res["newToken"]
        self.assertEqual(self.get("bob", copies["bob"]["id"])["fields"]["percentComplete"], 40)
        # withdraw carol: her copy goes, bob's stays
        keep = [p for p in orig["fields"]["participants"] if p.get("login") != "carol"]
        orig = self.update("alice", orig, {"participants": keep})
        res = self.sync("carol", token=tok["carol"])
        self.assertEqual(res["changes"]["removed"], [copies["carol"]["id"]])
        self.assertIsNone(self.get("carol", copies["carol"]["id"]))
        self.assertIsNotNone(self.get("bob", copies["bob"]["id"]))
        # delete the original: bob's copy goes too
        self.sync("alice", delete=[(orig["id"], orig["version"])])
        res = self.sync("bob", token=tok["bob"])
        self.assertEqual(res["changes"]["removed"], [copies["bob"]["id"]])
        self.assertEqual(self.items("bob"), {})
        self.assertEqual(self.items("carol"), {})

    def test_deleting_a_copy_declines(self):
        item = self.create("alice", {"subject": "Review",
                                     "participants": [{"type": "user", "login": "bob"}]})
        copy = self.get("bob", self.entry(item, "bob")["taskId"])
        self.sync("bob", delete=[(copy["id"], copy["version"])])
        orig = self.get("alice", item["id"])
        e = self.entry(orig, "bob")
        self.assertEqual(e["status"], "declined")
        self.assertNotIn("taskId", e)
        # a later edit of the delegator does not bring the copy back
        orig = self.update("alice", orig, {"notes": "still open"})
        self.assertEqual(self.items("bob"), {})
        self.assertNotIn("taskId", self.entry(orig, "bob"))

    def test_unknown_assignees_are_named(self):
        for p, field in [({"type": "user", "login": "zed"}, "participants[1].login"),
                         ({"type": "group", "login": "nosuch"}, "participants[1].login")]:
            r = self.sync("alice", create=[{"subject": "x", "participants": [
                {"type": "user", "login": "bob"}, p]}])["results"][0]
            self.assertEqual((r["status"], r["error"]["type"], r["error"]["field"]),
                             ("error", "invalidField", field))
            self.assertIn(p["login"], r["error"]["message"])
        # the built-in group of every user is no way to assign a task
        r = self.sync("alice", create=[{"subject": "x", "participants": [
            {"type": "group", "login": "everyone"}]}])["results"][0]
        self.assertEqual((r["status"], r["error"]["field"]), ("error", "participants[0].login"))
        self.assertIn("whole organisation", r["error"]["message"])
        # nothing was made for bob by the refused writes
        self.assertEqual(self.items("bob"), {})

    def test_delegated_series_and_push(self):
        """Completing a delegated series gives the assignee a copy of the next
        occurrence; the assignee's push wakes up for every copy."""
        host, port = self.srv.url.split("//")[1].split(":")

        def poll(query):
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.request("GET", "/api/push?mode=poll" + query,
                         headers={"Authorization": "Bearer " + self.api["bob"].token})
            resp = conn.getresponse()
            body = json.loads(resp.read())
            conn.close()
            validate("push.poll", body)
            return body

        state = poll("")["state"]
        got = {}
        waiter = threading.Thread(
            target=lambda: got.update(ans=poll("&since=%s&wait=20" % state)))
        waiter.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        item = self.create("alice", {"subject": "Timesheet", "due": "2026-03-06",
                                     "rrule": "FREQ=WEEKLY",
                                     "participants": [{"type": "user", "login": "bob"}]})
        waiter.join(25)
        self.assertIn(self.tasks["bob"], got["ans"]["changed"])
        self.assertLess(time.monotonic() - t0, 5)
        first_copy = self.entry(item, "bob")["taskId"]
        self.assertNotIn("rrule", self.get("bob", first_copy)["fields"])
        self.update("alice", item, {"status": "completed"})
        alice_tasks = self.by_subject("alice", "Timesheet")
        self.assertEqual([t["fields"]["due"] for t in alice_tasks],
                         ["2026-03-06", "2026-03-13"])
        nxt = alice_tasks[1]
        e = self.entry(nxt, "bob")
        self.assertEqual(e["status"], "none")
        self.assertNotEqual(e["taskId"], first_copy)
        bob_tasks = self.items("bob")
        self.assertEqual(sorted(bob_tasks), sorted([first_copy, e["taskId"]]))
        f = bob_tasks[e["taskId"]]["fields"]
        self.assertEqual((f["due"], f["delegator"]["taskId"]), ("2026-03-13", nxt["id"]))
        # the first copy answers still reach the completed occurrence
        self.update("bob", bob_tasks[first_copy], {"response": "accepted"})
        self.assertEqual(self.entry(self.get("alice", item["id"]), "bob")["status"],
                         "accepted")
        self.assertEqual(self.entry(self.get("alice", nxt["id"]), "bob")["status"], "none")

    def test_private_delegated_task(self):
        self.alice.result("Folder/setPermissions", {
            "folderId": self.tasks["alice"],
            "set": [{"principal": {"type": "user", "login": "dave"}, "level": "reviewer"}]})
        secret = self.create("alice", {"subject": "Secret", "private": True,
                                       "participants": [{"type": "user", "login": "bob"}]})
        public = self.create("alice", {"subject": "Open", "private": False})
        copy = self.get("bob", self.entry(secret, "bob")["taskId"])
        self.assertIsNotNone(copy)
        self.assertTrue(copy["fields"]["private"])
        self.assertEqual(copy["fields"]["subject"], "Secret")
        seen = self.items("dave", folder=self.tasks["alice"])
        self.assertEqual(list(seen), [public["id"]])
        self.assertIsNone(self.get("dave", secret["id"], folder=self.tasks["alice"]))


if __name__ == "__main__":
    unittest.main()
