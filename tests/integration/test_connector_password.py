"""`atrium password` against a real server.

The connector rates the new password, refuses a weak one before asking the
server, changes it on the server, keeps syncing with the new secret, and the
old password no longer logs in.
"""
import unittest

from harness import TempDirTestCase

OLD = "Old-Password-2026"
NEW = "New-Password-2027!"


class Password(TempDirTestCase):
    def test_change_password(self):
        srv = self.server()
        srv.start()
        srv.add_user("alice", "Alice Martin", "alice@example.org", OLD)
        dev = self.connector("dev")
        dev.add_profile("work", srv.url, "alice", OLD)
        dev.run("sync")

        weak = dev.run("password", "--old-stdin", input=OLD + "\nabc\n", check=False)
        self.assertNotEqual(weak.returncode, 0)
        self.assertIn("weak", weak.stdout + weak.stderr)

        wrong = dev.run("password", "--old-stdin", input="Not-It-2026\n" + NEW + "\n",
                        check=False)
        self.assertNotEqual(wrong.returncode, 0)
        self.assertIn("old password is wrong", wrong.stderr)

        ok = dev.run("password", "--old-stdin", input=OLD + "\n" + NEW + "\n")
        self.assertRegex(ok.stdout, r"strength: (fair|strong)")
        dev.run("contacts", "add", "--last-name", "After")
        self.assertRegex(dev.run("sync").stdout, r"\b1 sent")

        old_api = srv.api("alice", OLD)
        self.assertEqual(old_api.login().status, 401)
        new_api = srv.api("alice", NEW)
        self.assertEqual(new_api.login().status, 200)
        # a second device set up with the old password is refused
        other = self.connector("other")
        other.add_profile("work", srv.url, "alice", OLD)
        cp = other.run("sync", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("wrong login or password", cp.stderr)


if __name__ == "__main__":
    unittest.main()
