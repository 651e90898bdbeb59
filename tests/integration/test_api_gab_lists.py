"""Group lists in the Global Address Book (docs/protocol.md: The Global
Address Book; DESIGN §3 distribution lists).

Scenario: atriumd with alice, bob and carol. `atriumd group add sales`
makes a distribution list "sales" in the book, without members; each
`group member add` adds the member to it (a reference to the member's
entry, with the name and address as last known); alice and bob see the
list in their next Item/sync of the book. The list is read-only: nobody
changes or deletes it through Item/sync. A member's personal data change
keeps the reference. The built-in group "everyone" has no list.

Every reply is checked against its schema by the harness.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TempDirTestCase  # noqa: E402

PW = "Group-Lists-2026"
GAB = "gab"


class GabLists(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        for login, name in (("alice", "Alice Martin"), ("bob", "Bob Stone"),
                            ("carol", "Carol Petit")):
            self.srv.add_user(login, name, login + "@example.test", PW)
        self.srv.start()
        self.api = {}
        for login in ("alice", "bob"):
            self.api[login] = self.srv.api(login, PW)
            self.api[login].login()

    def book(self, login, token=None):
        items, token, more = [], token, True
        while more:
            res = self.api[login].result("Item/sync", {"folderId": GAB, "sinceToken": token})
            items += res["changes"]["upserted"]
            token, more = res["newToken"], res["moreAvailable"]
        return items, token

    def lists(self, login):
        items, _ = self.book(login)
        return {it["fields"]["displayName"]: it for it in items
                if it["type"] == "distributionList"}

    def entry_ids(self, login):
        items, _ = self.book(login)
        return {it["fields"]["email1"]: it["id"] for it in items if it["type"] == "contact"}

    def test_list_follows_the_group(self):
        self.assertEqual(self.lists("alice"), {})
        self.srv.cli("group", "add", "sales")
        lists = self.lists("alice")
        self.assertEqual(list(lists), ["sales"])
        self.assertNotIn("members", lists["sales"]["fields"])
        _, token = self.book("bob")
        self.srv.cli("group", "member", "add", "sales", "carol")
        self.srv.cli("group", "member", "add", "sales", "alice")
        ids = self.entry_ids("alice")
        # bob's next sync brings the changed list only
        changed, _ = self.book("bob", token)
        self.assertEqual([it["type"] for it in changed], ["distributionList"])
        members = changed[0]["fields"]["members"]
        # members in the group's order (by login)
        self.assertEqual(members, [
            {"contactId": ids["alice@example.test"], "name": "Alice Martin",
             "address": "alice@example.test"},
            {"contactId": ids["carol@example.test"], "name": "Carol Petit",
             "address": "carol@example.test"}])
        # nobody changes or deletes it
        lst = self.lists("alice")["sales"]
        res = self.api["alice"].result("Item/sync", {
            "folderId": GAB, "sinceToken": None,
            "changes": {"update": [{"id": lst["id"], "baseVersion": lst["version"],
                                    "fields": {"displayName": "mine"}}],
                        "delete": [{"id": lst["id"], "baseVersion": lst["version"]}]}})
        self.assertEqual([r["status"] for r in res["results"]], ["error", "error"])
        self.assertEqual({r["error"]["type"] for r in res["results"]}, {"forbidden"})
        self.assertEqual(self.lists("bob")["sales"]["fields"]["displayName"], "sales")
        # a personal data change of a member keeps the list as it is
        self.api["alice"].result("Account/setPersonalData",
                                 {"fields": {"company": "Atrium Sales"}})
        self.assertEqual(self.lists("bob")["sales"]["fields"]["members"], members)

    def test_no_list_for_everyone(self):
        self.srv.cli("group", "add", "ops")
        self.assertEqual(sorted(self.lists("bob")), ["ops"])


if __name__ == "__main__":
    unittest.main()
