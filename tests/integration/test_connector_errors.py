"""Errors the user must see, through the real connector.

- A contact with a field over its limit is refused by the server with the
  field and the limit, shown by `atrium status`, while the other contacts of
  the same batch sync; once the user fixes it, the next sync sends it.
- A wrong password is refused, and repeated failures are throttled.
"""
import time
import unittest

from harness import TempDirTestCase

PW = "Errors-Tests-2026"


class Errors(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)

    def test_field_too_long_stops_only_that_item(self):
        dev = self.connector("dev")
        dev.add_profile("work", self.srv.url, "alice", PW)
        dev.run("sync")
        dev.run("contacts", "add", "--first-name", "Good", "--last-name", "One")
        bad = dev.run("contacts", "add", "--first-name", "x" * 129, "--last-name", "Bad",
                      env={"ATRIUM_SKIP_LOCAL_VALIDATION": "1"}).stdout.strip()
        dev.run("contacts", "add", "--first-name", "Good", "--last-name", "Two")
        # without the switch, the connector refuses it locally, naming the limit
        local = dev.run("contacts", "add", "--first-name", "y" * 129, check=False)
        self.assertNotEqual(local.returncode, 0)
        self.assertIn("firstName", local.stderr)
        self.assertIn("128", local.stderr)
        dev.run("sync")
        api = self.srv.api("alice", PW)
        api.login()
        folders = api.result("Folder/sync", {})["created"]
        contacts = [f["id"] for f in folders if f["module"] == "contacts"][0]
        listed = api.result("Item/list", {"folderId": contacts})["items"]
        self.assertEqual(len(listed), 2)
        status = dev.json("status")
        errs = [e for e in status["errors"] if e.get("itemId") == bad]
        self.assertEqual(len(errs), 1, status)
        self.assertEqual(errs[0]["type"], "fieldTooLong")
        self.assertEqual(errs[0]["field"], "firstName")
        self.assertIn("128", errs[0]["message"])
        text = dev.run("status").stdout
        self.assertIn("firstName", text)
        # the user fixes it; the next sync sends it and the error is gone
        dev.run("contacts", "edit", bad, "--first-name", "Fixed")
        dev.run("sync")
        self.assertEqual(len(api.result("Item/list", {"folderId": contacts})["items"]), 3)
        self.assertEqual(dev.json("status")["errors"], [])

    def test_wrong_password_refused_and_throttled(self):
        dev = self.connector("dev")
        dev.add_profile("work", self.srv.url, "alice", "Not-The-Password-1")
        msgs = []
        for i in range(6):
            if i == 4:
                # The lock after the fifth failure lasts until the end of the
                # second after that failure's second (1 to 2 s).  Three more
                # commands must fall in it, so let the fifth failure come
                # early in a clock second, not at its very end.
                frac = time.time() % 1.0
                if frac > 0.2:
                    time.sleep(1.0 - frac + 0.02)
            cp = dev.run("sync", check=False)
            self.assertEqual(cp.returncode, 1)
            msgs.append(cp.stderr)
        self.assertIn("wrong login or password", msgs[0])
        self.assertIn("too many failed logins", msgs[-1])
        # throttled even with the right password, for now
        right = self.connector("right")
        right.add_profile("work", self.srv.url, "alice", PW)
        cp = right.run("sync", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("too many failed logins", cp.stderr)


if __name__ == "__main__":
    unittest.main()
