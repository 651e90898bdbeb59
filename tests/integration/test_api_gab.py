"""The Global Address Book over the API (docs/protocol.md: The Global
Address Book, Contact/search, Account/getPersonalData,
Account/setPersonalData).

Scenario: one atriumd with alice, bob, "Jürgen Müller" and "Anne Muller".
Every user sees the public folder "Global Address Book" (reviewer through
"everyone") with one entry per user. Contact/search finds people with and
without diacritics ("muller", "jurgen", "MÜLL"), by e-mail, company and
phone, at most `limit` of them, and takes search syntax in the query as
text. Jürgen's personal data change reaches bob's next Item/sync of the
book; the fields the server sets from the account are refused. Nobody
changes the book through Item/sync. A user added while the server runs is
in everyone's next sync and in searches.

Every reply is checked against its schema by the harness.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Api, MethodError, TempDirTestCase  # noqa: E402

PW = "Corr3ct-Horse-9"
GAB = "gab"
JM = "J\u00fcrgen M\u00fcller"


def atriumd_binary():
    path = os.environ.get("ATRIUMD")
    return os.path.abspath(path) if path else None


class GabTest(TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.srv = self.server(binary=atriumd_binary())
        self.srv.add_user("alice", "Alice Martin", "alice@example.test", PW)
        self.srv.add_user("bob", "Bob Stone", "bob@example.test", PW)
        self.srv.add_user("juergen", JM, "j.mueller@example.test", PW)
        self.srv.add_user("anne", "Anne Muller", "anne@example.test", PW)
        self.srv.start()
        self.api = {}
        for login in ("alice", "bob", "juergen", "anne"):
            self.api[login] = Api(self.srv.url, login, PW)
            self.assertEqual(self.api[login].login().status, 200)

    # -- helpers

    def search(self, query, login="bob", **args):
        return self.api[login].result("Contact/search", dict(args, query=query))

    def names(self, query, login="bob", **args):
        return [it["fields"]["displayName"]
                for it in self.search(query, login, **args)["items"]]

    def fails(self, login, method, args, code, field=None):
        with self.assertRaises(MethodError) as cm:
            self.api[login].result(method, args, validate_request=False)
        self.assertEqual(cm.exception.error["type"], code, cm.exception.error)
        if field is not None:
            self.assertEqual(cm.exception.error.get("field"), field, cm.exception.error)
        return cm.exception.error

    def gab_sync(self, login, token=None, changes=None):
        args = {"folderId": GAB, "sinceToken": token}
        if changes is not None:
            args["changes"] = changes
        return self.api[login].result("Item/sync", args)

    # -- tests

    def test_every_user_sees_the_book(self):
        for login in ("alice", "bob"):
            res = self.api[login].result("Folder/sync", {"sinceToken": None})
            gab = [f for f in res["created"] if f["id"] == GAB]
            self.assertEqual(len(gab), 1, res["created"])
            self.assertEqual((gab[0]["name"], gab[0]["type"], gab[0]["module"],
                              gab[0]["ownerId"]),
                             ("Global Address Book", "public", "contacts", None))
            self.assertEqual(gab[0]["rights"], {"folder": "see", "read": "all",
                                                "write": "none", "delete": "none",
                                                "admin": False})
        res = self.gab_sync("alice")
        entries = {it["fields"]["displayName"]: it for it in res["changes"]["upserted"]}
        self.assertEqual(sorted(entries), sorted(["Alice Martin", "Bob Stone", JM,
                                                  "Anne Muller"]))
        self.assertEqual(entries[JM]["fields"],
                         {"displayName": JM, "email1": "j.mueller@example.test"})
        bob_id = self.api["bob"].session().body["user"]["id"]
        self.assertEqual(entries["Bob Stone"]["createdBy"], bob_id)

    def test_search_with_and_without_diacritics(self):
        for query in ("muller", "jurgen", "M\u00dcLL", "J\u00fcrgen", "jurg mull"):
            with self.subTest(query=query):
                names = self.names(query)
                self.assertIn(JM, names)
                if "j" not in query.lower():
                    # folded both ways: "Müller" also finds "Muller"
                    self.assertEqual(sorted(names), sorted([JM, "Anne Muller"]))
                else:
                    self.assertEqual(names, [JM])
        self.assertEqual(sorted(self.names("M\u00fcller")), sorted([JM, "Anne Muller"]))
        self.assertEqual(self.names("anne m\u00fcl"), ["Anne Muller"])
        self.assertEqual(self.names("nobody"), [])
        res = self.search("muller")
        self.assertEqual(res["folderId"], GAB)
        self.assertFalse(res["moreAvailable"])
        # explicitly in the book, the same
        self.assertEqual(self.search("jurgen", folderId=GAB)["items"],
                         self.search("jurgen")["items"])

    def test_search_by_email_company_phone(self):
        res = self.api["juergen"].result("Account/setPersonalData", {"fields": {
            "company": "\u00c4rzte am Park GmbH", "department": "Radiologie",
            "phoneBusiness": "+49 (30) 1234-5678", "phoneMobile": "0171 555 0100"}})
        self.assertEqual(res["fields"]["company"], "\u00c4rzte am Park GmbH")
        for query in ("j.mueller@example", "mueller", "arzte", "\u00c4RZTE park",
                      "radio", "+49 30 1234", "1234-5678", "4930123456", "0171555",
                      "5678", "muller arzte 0171"):
            with self.subTest(query=query):
                self.assertEqual(self.names(query), [JM])
        self.assertEqual(self.names("anne@example.test"), ["Anne Muller"])
        self.assertEqual(self.names("bob arzte"), [])
        item = self.search("0171")["items"][0]
        self.assertEqual(item["fields"]["phoneMobile"], "0171 555 0100")

    def test_limit(self):
        for i in range(5):
            self.srv.add_user("tester%d" % i, "Tester Number%d" % i,
                              "t%d@example.test" % i, PW)
        res = self.search("tester", limit=3)
        self.assertEqual(len(res["items"]), 3)
        self.assertTrue(res["moreAvailable"])
        res = self.search("tester", limit=5)
        self.assertEqual(len(res["items"]), 5)
        self.assertFalse(res["moreAvailable"])
        self.assertEqual(len(self.search("tester")["items"]), 5)   # default 20
        self.assertEqual(len(self.search("example", limit=100)["items"]), 9)
        for bad in (0, 101, "3"):
            with self.subTest(limit=bad):
                self.fails("bob", "Contact/search", {"query": "tester", "limit": bad},
                           "invalidArguments")

    def test_search_syntax_is_text(self):
        # FTS5 operators, quotes and column filters are searched as words
        both = ["Anne Muller", JM]   # equal matches by name
        for query, want in (('"m\u00fcller"', both), ("m\u00fcller*", both),
                            ("NEAR(m\u00fcller j\u00fcrgen)", []),
                            ("m\u00fcller OR anne", []), ("NOT anne", []),
                            ("-anne", ["Anne Muller"]), ("anne)", ["Anne Muller"]),
                            ("displayName:anne", []), ("{email}:anne", []),
                            ("anne^", ["Anne Muller"]), ('an"ne', []),
                            ("anne - * ( )", ["Anne Muller"])):
            with self.subTest(query=query):
                self.assertEqual(self.names(query), want)
        for query in ("*", '"', "( ) -", "\u2013"):
            with self.subTest(query=query):
                self.fails("bob", "Contact/search", {"query": query}, "invalidArguments",
                           "query")
        self.fails("bob", "Contact/search", {"query": "x" * 257}, "invalidArguments",
                   "query")
        self.fails("bob", "Contact/search", {"query": "a b c d e f g h i"},
                   "invalidArguments", "query")

    def test_search_in_a_shared_folder(self):
        a = self.api["alice"]
        contacts = [f for f in a.result("Folder/sync", {})["created"]
                    if f["module"] == "contacts" and f["type"] == "private"][0]["id"]
        res = a.result("Item/sync", {"folderId": contacts, "changes": {"create": [
            {"clientId": "c1", "fields": {"displayName": "Zo\u00eb Zephyr"}},
            {"clientId": "c2", "fields": {"displayName": "Zelda Zephyr", "private": True}}]}})
        self.assertEqual([r["status"] for r in res["results"]], ["ok", "ok"])
        self.assertEqual(sorted(self.names("zephyr", "alice", folderId=contacts)),
                         ["Zelda Zephyr", "Zo\u00eb Zephyr"])
        self.assertEqual(self.names("zephyr", "alice"), [])   # not in the book
        self.fails("bob", "Contact/search", {"query": "zephyr", "folderId": contacts},
                   "forbidden", "folderId")
        a.result("Folder/setPermissions", {"folderId": contacts, "set": [
            {"principal": {"type": "user", "login": "bob"}, "level": "reviewer"}]})
        # alice's private item never matches for bob
        self.assertEqual(self.names("zephyr", folderId=contacts), ["Zo\u00eb Zephyr"])
        self.assertEqual(self.names("zoe", folderId=contacts), ["Zo\u00eb Zephyr"])
        self.assertEqual(self.names("zelda", folderId=contacts), [])

    def test_personal_data_reaches_other_users(self):
        token = self.gab_sync("bob")["newToken"]
        j = self.api["juergen"]
        before = j.result("Account/getPersonalData", {})
        self.assertEqual(before["folderId"], GAB)
        self.assertEqual(before["managedFields"], ["displayName", "email1", "private"])
        after = j.result("Account/setPersonalData", {"fields": {
            "jobTitle": "Oberarzt", "homeCity": "Potsdam", "notes": "Mo\u2013Fr"}})
        self.assertGreater(after["version"], before["version"])
        self.assertEqual(after["id"], before["id"])
        res = self.gab_sync("bob", token)
        self.assertEqual([it["id"] for it in res["changes"]["upserted"]], [after["id"]])
        fields = res["changes"]["upserted"][0]["fields"]
        self.assertEqual((fields["jobTitle"], fields["homeCity"], fields["displayName"]),
                         ("Oberarzt", "Potsdam", JM))
        # removing a field
        j.result("Account/setPersonalData", {"fields": {"homeCity": None}})
        res = self.gab_sync("bob", res["newToken"])
        self.assertNotIn("homeCity", res["changes"]["upserted"][0]["fields"])
        # the server's fields and the model's limits
        for field, value, code in (("displayName", "Dr. M", "forbidden"),
                                   ("email1", "x@example.test", "forbidden"),
                                   ("private", True, "forbidden"),
                                   ("company", "x" * 257, "fieldTooLong"),
                                   ("shoeSize", "44", "unknownField")):
            with self.subTest(field=field):
                self.fails("juergen", "Account/setPersonalData",
                           {"fields": {field: value}}, code, field)
        self.assertEqual(self.gab_sync("bob", res["newToken"])["changes"]["upserted"], [])

    def test_book_is_not_editable(self):
        res = self.gab_sync("bob")
        alice = [it for it in res["changes"]["upserted"]
                 if it["fields"]["displayName"] == "Alice Martin"][0]
        for login in ("bob", "alice"):
            res = self.gab_sync(login, changes={
                "create": [{"clientId": "x1", "fields": {"displayName": "Fake"}}],
                "update": [{"id": alice["id"], "baseVersion": alice["version"],
                            "fields": {"company": "Hacked"}}],
                "delete": [{"id": alice["id"], "baseVersion": alice["version"]}]})
            self.assertEqual([(r["op"], r["status"], r["error"]["type"])
                              for r in res["results"]],
                             [("create", "error", "forbidden"),
                              ("update", "error", "forbidden"),
                              ("delete", "error", "forbidden")])
        again = [it for it in self.gab_sync("bob")["changes"]["upserted"]
                 if it["id"] == alice["id"]][0]
        self.assertEqual(again, alice)
        self.fails("alice", "Folder/setPermissions", {"folderId": GAB, "set": [
            {"principal": {"type": "user", "login": "alice"}, "level": "owner"}]},
            "forbidden")
        res = self.api["alice"].result("Folder/set", {"delete": [{"id": GAB}]})
        self.assertEqual(res["results"][0]["error"]["type"], "forbidden")

    def test_new_users_appear(self):
        token = self.gab_sync("bob")["newToken"]
        self.assertEqual(self.names("carol"), [])
        self.srv.add_user("carol", "Carol Jones", "carol@example.test", PW)
        res = self.gab_sync("bob", token)
        self.assertEqual([it["fields"] for it in res["changes"]["upserted"]],
                         [{"displayName": "Carol Jones", "email1": "carol@example.test"}])
        self.assertEqual(self.names("carol"), ["Carol Jones"])
        carol = Api(self.srv.url, "carol", PW)
        carol.login()
        self.assertEqual(carol.result("Contact/search", {"query": "bob"})["items"][0]
                         ["fields"]["email1"], "bob@example.test")


if __name__ == "__main__":
    unittest.main()
