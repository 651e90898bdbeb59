"""Groups through the admin command line (atriumd group ...).

Scenario: a data directory with alice and bob. `group add` creates groups
and refuses a taken or malformed name; `group member add` adds users by
login and names an unknown group or login, or a repeated membership, in a
clear error; `group list` shows every group by name with its members'
logins. The commands also work while the server runs on the same data.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TempDirTestCase  # noqa: E402


def atriumd_binary():
    path = os.environ.get("ATRIUMD")
    return os.path.abspath(path) if path else None


class GroupsCliTest(TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.srv = self.server(binary=atriumd_binary())
        self.srv.add_user("alice", "Alice Martin", "alice@example.test",
                          "Corr3ct-Horse-9")
        self.srv.add_user("bob", "Bob Stone", "bob@example.test",
                          "Bl4ck-Kettle-Sings")

    def listing(self):
        """group list as {name: [logins]}."""
        out = self.srv.cli("group", "list").stdout.splitlines()
        self.assertEqual(out[0].split(), ["GROUP", "MEMBERS"])
        groups = {}
        for line in out[1:]:
            words = line.split()
            groups[words[0]] = words[1:]
        # the built-in group of every user, listed without its members
        self.assertEqual(groups.pop("everyone"), ["(every", "user)"])
        return groups

    def refused(self, *args):
        cp = self.srv.cli(*args, check=False)
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        self.assertEqual(cp.stdout, "")
        return cp.stderr

    def test_add_list_and_members(self):
        self.assertEqual(self.listing(), {})
        out = self.srv.cli("group", "add", "sales").stdout
        self.assertIn("added group sales", out)
        self.srv.cli("group", "add", "staff")
        self.assertEqual(self.listing(), {"sales": [], "staff": []})
        self.assertIn("added bob to group sales",
                      self.srv.cli("group", "member", "add", "sales", "bob").stdout)
        self.srv.cli("group", "member", "add", "sales", "alice")
        self.srv.cli("group", "member", "add", "staff", "bob")
        # members by login
        self.assertEqual(self.listing(), {"sales": ["alice", "bob"],
                                          "staff": ["bob"]})

    def test_errors(self):
        self.srv.cli("group", "add", "sales")
        err = self.refused("group", "add", "sales")
        self.assertIn('group named "sales" already exists', err)
        for bad in ("Sales Team", "", "x" * 65, "s\u00e4les"):
            with self.subTest(name=bad):
                self.assertIn("group name is", self.refused("group", "add", bad))
        err = self.refused("group", "member", "add", "nosuch", "bob")
        self.assertIn('no group named "nosuch"', err)
        err = self.refused("group", "member", "add", "sales", "carol")
        self.assertIn('no user with login "carol"', err)
        self.srv.cli("group", "member", "add", "sales", "bob")
        err = self.refused("group", "member", "add", "sales", "bob")
        self.assertIn("bob is a member of group sales already", err)
        # usage errors
        cp = self.srv.cli("group", "member", "add", "sales", check=False)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("usage", cp.stderr)
        cp = self.srv.cli("group", "add", check=False)
        self.assertEqual(cp.returncode, 2)
        # nothing changed by the refused commands
        self.assertEqual(self.listing(), {"sales": ["bob"]})

    def test_while_serving(self):
        self.srv.start()
        api = self.srv.api("bob", "Bl4ck-Kettle-Sings")
        self.assertEqual(api.login().status, 200)
        self.srv.cli("group", "add", "sales")
        self.srv.cli("group", "member", "add", "sales", "bob")
        self.assertEqual(self.listing(), {"sales": ["bob"]})
        # the server keeps serving the same data
        res = api.result("Folder/sync", {"sinceToken": None})
        # the default folders and the Global Address Book
        self.assertEqual(len(res["created"]), 4)


if __name__ == "__main__":
    unittest.main()
