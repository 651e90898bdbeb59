"""The Global Address Book and personal data through the connector.

Scenario: atriumd with alice, bob and "Jürgen Müller"; bob and Jürgen each
have a connector. After a sync bob's tree has "Public/Global Address Book"
(reviewer) holding everyone's entry. Jürgen edits his personal data with
`atrium personal edit` (the field options of `contacts add`; the fields the
server sets from his account are refused) and sees it with `atrium
personal show`; bob's next `atrium sync` brings the new values into his
copy of the book. `atrium gab search` finds people online, with and
without diacritics, with a limit, as text or JSON. A change bob makes to
the book locally is refused by the server (forbidden) and shown by
`atrium status`.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TempDirTestCase  # noqa: E402

PW = "Address-Book-2026"
JM = "J\u00fcrgen M\u00fcller"
GAB_PATH = "Public/Global Address Book"


class ConnectorGab(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.srv.add_user("bob", "Bob Stone", "bob@example.org", PW)
        self.srv.add_user("juergen", JM, "j.mueller@example.org", PW)
        self.srv.start()
        self.b = self.connector("bob")
        self.j = self.connector("juergen")
        for dev, login in ((self.b, "bob"), (self.j, "juergen")):
            dev.add_profile("work", self.srv.url, login, PW)
            dev.run("sync")

    def book(self, dev):
        return {it["fields"]["displayName"]: it
                for it in dev.json("contacts", "list", "--folder", GAB_PATH)}

    def test_book_in_the_tree(self):
        tree = {f["path"]: f for f in self.b.json("folders")}
        self.assertIn(GAB_PATH, tree, sorted(tree))
        self.assertEqual(tree[GAB_PATH]["branch"], "public")
        self.assertEqual(tree[GAB_PATH]["level"], "reviewer")
        self.assertEqual(tree[GAB_PATH]["items"], 3)
        self.assertEqual(sorted(self.book(self.b)), ["Alice Martin", "Bob Stone", JM])
        # the default Contacts folder is still bob's own
        self.assertEqual(self.b.json("contacts", "list"), [])

    def test_personal_data_reaches_other_connector(self):
        out = self.j.run("personal", "edit", "--company", "\u00c4rzte am Park",
                         "--phone-business", "+49 30 1234-5678", "--home-city", "Potsdam",
                         "--categories", "Staff, Radiology").stdout
        self.assertIn("\u00c4rzte am Park", out)
        shown = self.j.json("personal", "show")
        self.assertEqual(shown["fields"]["company"], "\u00c4rzte am Park")
        self.assertEqual(shown["fields"]["categories"], ["Staff", "Radiology"])
        self.assertEqual(shown["fields"]["displayName"], JM)
        text = self.j.run("personal", "show").stdout
        self.assertIn("Potsdam", text)
        self.assertIn("j.mueller@example.org", text)
        # bob's copy of the book after his next sync
        self.assertNotIn("company", self.book(self.b)[JM]["fields"])
        self.b.run("sync")
        entry = self.book(self.b)[JM]
        self.assertEqual(entry["fields"]["company"], "\u00c4rzte am Park")
        self.assertEqual(entry["fields"]["phoneBusiness"], "+49 30 1234-5678")
        # removing a field with ''
        self.j.run("personal", "edit", "--home-city", "")
        self.b.run("sync")
        self.assertNotIn("homeCity", self.book(self.b)[JM]["fields"])

    def test_personal_edit_refusals(self):
        for opt in ("--display-name", "--email1", "--private", "--no-private"):
            with self.subTest(option=opt):
                args = [opt] if "private" in opt else [opt, "x@example.org"]
                cp = self.j.run("personal", "edit", *args, check=False)
                self.assertEqual(cp.returncode, 2, cp.stderr)
                self.assertIn("set from your account", cp.stderr)
        cp = self.j.run("personal", "edit", "--company", "x" * 257, check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("company", cp.stderr)
        cp = self.j.run("personal", "edit", "--shoe-size", "44", check=False)
        self.assertEqual(cp.returncode, 2)
        cp = self.j.run("personal", "edit", check=False)
        self.assertEqual(cp.returncode, 2)
        helptext = self.j.run("personal", "--help").stdout
        self.assertIn("--job-title", helptext)
        self.assertNotIn("--email1 VALUE", helptext)
        self.assertEqual(self.j.json("personal", "show")["fields"],
                         {"displayName": JM, "email1": "j.mueller@example.org"})

    def test_gab_search(self):
        self.j.run("personal", "edit", "--company", "\u00c4rzte am Park",
                   "--phone-mobile", "0171 555 0100")
        for query in (["muller"], ["jurgen"], ["M\u00dcLL"], ["J\u00fcrgen", "M\u00fcller"],
                      ["arzte"], ["0171555"], ["j.mueller@example"]):
            with self.subTest(query=query):
                lines = self.b.run("gab", "search", *query).stdout.splitlines()
                self.assertEqual(lines, ["%s\tj.mueller@example.org\t\u00c4rzte am Park\t"
                                         "0171 555 0100" % JM])
        items = self.b.json("gab", "search", "example.org")
        self.assertEqual(len(items), 3)
        cp = self.b.run("gab", "search", "example.org", "--limit", "2")
        self.assertEqual(len(cp.stdout.splitlines()), 2)
        self.assertIn("more entries match", cp.stderr)
        cp = self.b.run("gab", "search", "nobody")
        self.assertEqual(cp.stdout, "")
        self.assertIn("nobody in the Global Address Book matches", cp.stderr)
        # search syntax is text
        self.assertEqual(self.b.run("gab", "search", "NEAR(muller", "OR").stdout, "")
        self.assertEqual(len(self.b.json("gab", "search", '"muller"')), 1)
        cp = self.b.run("gab", "search", "*", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("letter or a digit", cp.stderr)
        cp = self.b.run("gab", "search", "x", "--limit", "101", check=False)
        self.assertEqual(cp.returncode, 2)
        cp = self.b.run("gab", "search", check=False)
        self.assertEqual(cp.returncode, 2)

    def test_local_change_to_the_book_is_refused(self):
        entry = self.book(self.b)["Alice Martin"]
        self.b.run("contacts", "edit", entry["id"], "--company", "Hacked")
        self.b.run("sync")
        status = self.b.json("status")
        errs = [e for e in status["errors"] if e.get("type") == "forbidden"]
        self.assertEqual(len(errs), 1, status)
        # the server's copy is untouched: a fresh device sees no company
        fresh = self.connector("fresh")
        fresh.add_profile("work", self.srv.url, "alice", PW)
        fresh.run("sync")
        self.assertNotIn("company", self.book(fresh)["Alice Martin"]["fields"])


if __name__ == "__main__":
    unittest.main()
