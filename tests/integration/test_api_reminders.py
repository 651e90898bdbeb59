"""Task reminder mail and overdue notices (server/reminders.h) against a real
atriumd whose clock is a file (clock_file), scanning every second
(reminder_interval 1), and a real SMTP server (aiosmtpd, SmtpSink).

A task's reminder is mailed once to the owner of its folder when the clock
passes it, never before, never twice (not even across a restart); a
reminder that falls while the server is stopped is mailed right after the
start; moving the reminder to a new time mails again once; completed tasks
get nothing; the overdue notice comes once when the due day is over. With
mail off the server says so, works, and keeps the reminders pending until
mail is on. An SMTP server that is down at first gets the mail once after
it comes up (retry with back-off).
"""
import os
import socket
import threading
import time
import unittest
import uuid

from harness import SmtpSink, TempDirTestCase

PW = "Reminders-Passphrase-2026"
QUIET = 3.0   # seconds in which a wrong extra mail would have come (scans every 1 s)


class RefusingSmtp:
    """A minimal SMTP server on loopback that refuses every recipient with
    550 (a permanent failure) and counts the RCPT commands it got."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.rcpts = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                f = conn.makefile("rb")
                conn.sendall(b"220 refusing.example ESMTP\r\n")
                for line in f:
                    cmd = line.decode("ascii", "replace").strip()
                    verb = cmd.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        conn.sendall(b"250 refusing.example\r\n")
                    elif verb == "RCPT":
                        self.rcpts.append(cmd)
                        conn.sendall(b"550 5.1.1 no such user here\r\n")
                    elif verb == "QUIT":
                        conn.sendall(b"221 bye\r\n")
                        break
                    else:
                        conn.sendall(b"250 ok\r\n")

    def close(self):
        self.sock.close()


class Reminders(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.clock = os.path.join(self.tmp, "clock")
        self.set_clock("2026-01-01T09:00:00Z")
        self.sink = SmtpSink(os.path.join(self.tmp, "smtp"))
        self.addCleanup(self.sink.stop)
        self.srv = self.server()

    # -- helpers

    def set_clock(self, instant):
        tmp = self.clock + ".new"
        with open(tmp, "w") as f:
            f.write(instant + "\n")
        os.replace(tmp, self.clock)

    def config(self, mail=True):
        conf = {"clock_file": self.clock, "reminder_interval": 1,
                "mail_from": "atrium@example.org"}
        if mail:
            conf["smtp_url"] = self.sink.url
        return conf

    def start(self, mail=True):
        self.srv.start(self.config(mail))

    def login(self):
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.alice = self.srv.api("alice", PW)
        self.alice.login()
        folders = self.alice.result("Folder/sync", {})["created"]
        self.tasks = [f["id"] for f in folders
                      if f["module"] == "tasks" and f["isDefault"]][0]

    def create(self, fields):
        res = self.alice.result("Item/sync", {
            "folderId": self.tasks, "sinceToken": None,
            "changes": {"create": [{"clientId": "c-" + uuid.uuid4().hex,
                                    "fields": fields}]}})
        r = res["results"][0]
        self.assertEqual(r["status"], "ok", r)
        return r["item"]

    def update(self, item, fields):
        res = self.alice.result("Item/sync", {
            "folderId": self.tasks, "sinceToken": None,
            "changes": {"update": [{"id": item["id"], "baseVersion": item["version"],
                                    "fields": fields}]}})
        r = res["results"][0]
        self.assertEqual(r["status"], "ok", r)
        return r["item"]

    def subjects(self):
        return [m["Subject"] for m in self.sink.messages()]

    def assert_quiet(self, expected):
        """Waits QUIET seconds: the sink still holds exactly expected
        (subjects, in order)."""
        time.sleep(QUIET)
        self.assertEqual(self.subjects(), expected)

    def log_text(self):
        with open(self.srv.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_log(self, text, timeout=20):
        deadline = time.monotonic() + timeout
        while text not in self.log_text():
            if time.monotonic() > deadline:
                self.fail("%r not logged within %ss" % (text, timeout))
            time.sleep(0.1)

    # -- scenarios

    def test_reminder_once_restart_move_overdue(self):
        self.sink.start()
        self.start()
        self.login()
        plants = self.create({"subject": "Water the plants",
                              "reminder": "2026-01-01T10:00:00Z", "due": "2026-01-03",
                              "status": "inProgress", "percentComplete": 30,
                              "notes": "The ficus needs more."})
        self.create({"subject": "Already done", "reminder": "2026-01-01T10:00:00Z",
                     "due": "2026-01-02", "status": "completed"})
        later = self.create({"subject": "Call the bank",
                             "reminder": "2026-01-02T07:00:00Z"})
        self.assertEqual(later["fields"]["reminder"], "2026-01-02T07:00:00Z")

        # nothing before the reminder
        self.assert_quiet([])

        # the clock passes it: exactly one mail, to the owner
        self.set_clock("2026-01-01T10:00:30Z")
        msgs = self.sink.wait_for(1)
        m = msgs[0]
        self.assertEqual(m["Subject"], "Reminder: Water the plants")
        self.assertEqual(m["To"].addresses[0].addr_spec, "alice@example.org")
        self.assertEqual(m["To"].addresses[0].display_name, "Alice Martin")
        self.assertEqual(m["X-RcptTo"], "alice@example.org")
        self.assertEqual(m["X-MailFrom"], "atrium@example.org")
        self.assertEqual(m.get_content_type(), "text/plain")
        body = m.get_content()
        self.assertIn("Due:         2026-01-03", body)
        self.assertIn("Status:      In progress", body)
        self.assertIn("% complete:  30%", body)
        self.assertIn("The ficus needs more.", body)
        self.assertIn("Folder:      Tasks", body)
        # the completed task gets none, and nothing comes twice
        self.assert_quiet(["Reminder: Water the plants"])

        # a restart repeats nothing
        self.assertEqual(self.srv.stop(), 0)
        self.start()
        self.assert_quiet(["Reminder: Water the plants"])

        # a reminder that falls while the server is down comes right after
        # the start
        self.assertEqual(self.srv.stop(), 0)
        self.set_clock("2026-01-02T08:00:00Z")
        self.start()
        msgs = self.sink.wait_for(2, timeout=10)
        self.assertEqual(msgs[1]["Subject"], "Reminder: Call the bank")
        self.assert_quiet(["Reminder: Water the plants", "Reminder: Call the bank"])

        # a new reminder time: once more when it comes
        plants = self.alice.result("Item/get", {"folderId": self.tasks,
                                                "ids": [plants["id"]]})["items"][0]
        self.update(plants, {"reminder": "2026-01-02T12:00:00Z"})
        self.assert_quiet(["Reminder: Water the plants", "Reminder: Call the bank"])
        self.set_clock("2026-01-02T12:00:00Z")
        self.sink.wait_for(3)
        self.assert_quiet(["Reminder: Water the plants", "Reminder: Call the bank",
                           "Reminder: Water the plants"])

        # overdue when the due day is over (not during it), once
        self.set_clock("2026-01-03T23:59:59Z")
        self.assert_quiet(["Reminder: Water the plants", "Reminder: Call the bank",
                           "Reminder: Water the plants"])
        self.set_clock("2026-01-04T00:00:01Z")
        msgs = self.sink.wait_for(4)
        self.assertEqual(msgs[3]["Subject"], "Overdue: Water the plants")
        self.assertIn("is overdue: it was due 2026-01-03", msgs[3].get_content())
        self.assert_quiet(["Reminder: Water the plants", "Reminder: Call the bank",
                           "Reminder: Water the plants", "Overdue: Water the plants"])
        self.assertIn("sent to alice@example.org", self.log_text())

    def test_mail_off_keeps_reminders_pending(self):
        self.sink.start()
        self.start(mail=False)
        self.login()
        self.set_clock("2026-01-05T09:00:00Z")
        item = self.create({"subject": "Renew passport", "reminder": "2026-01-05T08:00:00Z",
                            "due": "2026-01-04"})
        # everything else works
        got = self.alice.result("Item/get", {"folderId": self.tasks, "ids": [item["id"]]})
        self.assertEqual(got["items"][0]["fields"]["subject"], "Renew passport")
        time.sleep(QUIET)
        self.assertIn("mail is off (no smtp_url)", self.log_text())
        self.assertEqual(self.log_text().count("mail is off"), 1)
        self.assertEqual(self.srv.stop(), 0)
        self.assertEqual(self.subjects(), [])
        # turned on: the pending notice and reminder come, once each, the
        # older alarm first (overdue since 2026-01-05T00:00Z, reminder 08:00Z)
        self.start(mail=True)
        self.sink.wait_for(2)
        self.assert_quiet(["Overdue: Renew passport", "Reminder: Renew passport"])

    def test_smtp_down_then_up(self):
        # the sink is not running yet: the first attempt fails
        self.start()
        self.login()
        self.create({"subject": "Book the venue", "reminder": "2026-01-01T08:00:00Z"})
        self.wait_log("not sent (attempt 1)")
        self.assertEqual(self.subjects(), [])
        self.sink.start()
        msgs = self.sink.wait_for(1, timeout=30)
        self.assertEqual(msgs[0]["Subject"], "Reminder: Book the venue")
        self.assert_quiet(["Reminder: Book the venue"])
        self.wait_log("sent to alice@example.org")

    def test_permanent_refusal_is_given_up(self):
        smtp = RefusingSmtp()
        self.addCleanup(smtp.close)
        conf = self.config()
        conf["smtp_url"] = "smtp://127.0.0.1:%d" % smtp.port
        self.srv.start(conf)
        self.login()
        self.create({"subject": "Nobody home", "reminder": "2026-01-01T08:00:00Z"})
        self.wait_log("given up after 1 attempts")
        self.assertIn("SMTP 550", self.log_text())
        # tried once, never again
        time.sleep(QUIET + 2)
        self.assertEqual(smtp.rcpts, ["RCPT TO:<alice@example.org>"])


if __name__ == "__main__":
    unittest.main()
