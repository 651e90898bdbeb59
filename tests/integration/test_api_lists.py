"""Distribution lists through the API (docs/protocol.md §5 "Distribution
list fields"): members referencing contacts get the contacts' names and
addresses from the server, follow their changes and keep the last known
address when the contact is deleted; a "#clientId" reference to a contact
created in the same request is resolved; a reference to a contact the
writer may not read is refused; a list in a shared folder obeys the
folder's permissions. Every reply is checked against its schema.
"""
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TempDirTestCase  # noqa: E402

PW = "Distribution-2026"


class Lists(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        for login, name in (("alice", "Alice Martin"), ("bob", "Bob Stone")):
            self.srv.add_user(login, name, login + "@example.test", PW)
        self.srv.start()
        self.api, self.contacts = {}, {}
        for login in ("alice", "bob"):
            self.api[login] = self.srv.api(login, PW)
            self.api[login].login()
            folders = self.api[login].result("Folder/sync", {})["created"]
            self.contacts[login] = [f["id"] for f in folders
                                    if f["module"] == "contacts" and f["isDefault"]][0]

    def sync(self, login, create=(), update=(), delete=(), folder=None, token=None):
        changes = {}
        if create:
            changes["create"] = [dict({"clientId": "c-" + uuid.uuid4().hex}, **c)
                                 for c in create]
        if update:
            changes["update"] = list(update)
        if delete:
            changes["delete"] = list(delete)
        args = {"folderId": folder or self.contacts[login], "sinceToken": token}
        if changes:
            args["changes"] = changes
        return self.api[login].result("Item/sync", args)

    def create1(self, login, type_, fields, folder=None):
        r = self.sync(login, create=[{"type": type_, "fields": fields}],
                      folder=folder)["results"][0]
        return r

    def get(self, login, item_id, folder=None):
        return self.api[login].result("Item/get", {
            "folderId": folder or self.contacts[login], "ids": [item_id]})["items"][0]

    def test_references_follow_their_contact(self):
        ann = self.create1("alice", "contact", {
            "firstName": "Ann", "lastName": "Lee", "email1": "ann@work.test",
            "email2": "ann@home.test"})["item"]
        r = self.create1("alice", "distributionList", {
            "displayName": "Friends",
            "members": [{"contactId": ann["id"], "addressField": "email2"},
                        {"name": "Zoe", "address": "zoe@example.test"}]})
        self.assertEqual(r["status"], "ok", r)
        lst = r["item"]
        self.assertEqual(lst["type"], "distributionList")
        self.assertEqual(lst["fields"]["members"], [
            {"contactId": ann["id"], "addressField": "email2", "name": "Ann Lee",
             "address": "ann@home.test"},
            {"name": "Zoe", "address": "zoe@example.test"}])
        # bob reads alice's contacts: he sees the contact and the list change
        # together in one sync
        self.api["alice"].result("Folder/setPermissions", {
            "folderId": self.contacts["alice"],
            "set": [{"principal": {"type": "user", "login": "bob"}, "level": "reviewer"}]})
        bob_view = self.api["bob"].result("Item/sync", {"folderId": self.contacts["alice"],
                                                        "sinceToken": None})
        token = bob_view["newToken"]
        res = self.sync("alice", update=[{"id": ann["id"], "baseVersion": ann["version"],
                                          "fields": {"displayName": "Ann Lee-Smith",
                                                     "email2": "ann@new.test"}}])
        self.assertEqual(res["results"][0]["status"], "ok", res)
        bob_view = self.api["bob"].result("Item/sync", {"folderId": self.contacts["alice"],
                                                        "sinceToken": token})
        changed = {it["id"]: it for it in bob_view["changes"]["upserted"]}
        self.assertEqual(sorted(changed), sorted([ann["id"], lst["id"]]))
        self.assertEqual(changed[lst["id"]]["fields"]["members"][0],
                         {"contactId": ann["id"], "addressField": "email2",
                          "name": "Ann Lee-Smith", "address": "ann@new.test"})
        self.assertEqual(changed[lst["id"]]["version"], changed[ann["id"]]["version"])
        # an unrelated change of the contact leaves the list alone
        v = self.get("alice", lst["id"])["version"]
        ann2 = self.get("alice", ann["id"])
        self.sync("alice", update=[{"id": ann["id"], "baseVersion": ann2["version"],
                                    "fields": {"notes": "met in Lyon"}}])
        self.assertEqual(self.get("alice", lst["id"])["version"], v)
        # deleting the contact leaves its last known address
        ann2 = self.get("alice", ann["id"])
        self.sync("alice", delete=[{"id": ann["id"], "baseVersion": ann2["version"]}])
        self.assertEqual(self.get("alice", lst["id"])["fields"]["members"], [
            {"name": "Ann Lee-Smith", "address": "ann@new.test"},
            {"name": "Zoe", "address": "zoe@example.test"}])

    def test_client_id_reference_in_one_request(self):
        res = self.sync("alice", create=[
            {"clientId": "contact-1", "type": "contact",
             "fields": {"displayName": "Max", "email1": "max@example.test"}},
            {"clientId": "list-1", "type": "distributionList",
             "fields": {"displayName": "Team", "members": [{"contactId": "#contact-1"}]}}])
        self.assertEqual([r["status"] for r in res["results"]], ["ok", "ok"], res)
        max_id = res["results"][0]["id"]
        self.assertEqual(res["results"][1]["item"]["fields"]["members"],
                         [{"contactId": max_id, "name": "Max", "address": "max@example.test"}])
        # bob cannot use alice's client ids
        r = self.create1("bob", "distributionList", {
            "displayName": "Mine", "members": [{"contactId": "#contact-1"}]})
        self.assertEqual(r["status"], "error")
        self.assertEqual(r["error"]["field"], "members[0].contactId")

    def test_unreadable_contact_refused(self):
        secret = self.create1("bob", "contact", {"displayName": "Secret",
                                                 "email1": "s@example.test"})["item"]
        for ref in (secret["id"], "0" * 24):
            r = self.create1("alice", "distributionList", {
                "displayName": "Probe", "members": [{"contactId": ref}]})
            self.assertEqual(r["status"], "error", r)
            self.assertEqual(r["error"]["type"], "invalidField")
            self.assertEqual(r["error"]["field"], "members[0].contactId")
            self.assertNotIn("s@example.test", str(r))
        # a contact shared with her is fine, but not bob's private one
        self.api["bob"].result("Folder/setPermissions", {
            "folderId": self.contacts["bob"],
            "set": [{"principal": {"type": "user", "login": "alice"}, "level": "reviewer"}]})
        r = self.create1("alice", "distributionList", {
            "displayName": "Probe", "members": [{"contactId": secret["id"]}]})
        self.assertEqual(r["status"], "ok", r)
        hidden = self.create1("bob", "contact", {"displayName": "Hidden",
                                                 "email1": "h@example.test",
                                                 "private": True})["item"]
        r = self.create1("alice", "distributionList", {
            "displayName": "Probe 2", "members": [{"contactId": hidden["id"]}]})
        self.assertEqual(r["status"], "error", r)
        self.assertNotIn("h@example.test", str(r))

    def test_shared_folder_permissions(self):
        folder = self.contacts["alice"]
        self.api["alice"].result("Folder/setPermissions", {
            "folderId": folder,
            "set": [{"principal": {"type": "user", "login": "bob"}, "level": "reviewer"}]})
        lst = self.create1("alice", "distributionList", {
            "displayName": "Board", "members": [{"address": "b@example.test"}]})["item"]
        # a reviewer reads it but neither creates, changes nor deletes lists
        got = self.get("bob", lst["id"], folder=folder)
        self.assertEqual(got["fields"]["displayName"], "Board")
        r = self.create1("bob", "distributionList", {"displayName": "Mine"}, folder=folder)
        self.assertEqual(r["error"]["type"], "forbidden")
        res = self.sync("bob", folder=folder,
                        update=[{"id": lst["id"], "baseVersion": lst["version"],
                                 "fields": {"displayName": "Taken"}}],
                        delete=[{"id": lst["id"], "baseVersion": lst["version"]}])
        self.assertEqual([r["error"]["type"] for r in res["results"]],
                         ["forbidden", "forbidden"])
        self.assertEqual(self.get("alice", lst["id"])["fields"]["displayName"], "Board")
        # an author may
        self.api["alice"].result("Folder/setPermissions", {
            "folderId": folder,
            "set": [{"principal": {"type": "user", "login": "bob"}, "level": "author"}]})
        r = self.create1("bob", "distributionList", {"displayName": "Mine"}, folder=folder)
        self.assertEqual(r["status"], "ok", r)
        # and a list is no appointment: not in a calendar
        folders = self.api["alice"].result("Folder/sync", {})["created"]
        cal = [f["id"] for f in folders if f["module"] == "calendar" and f["isDefault"]][0]
        r = self.create1("alice", "distributionList", {"displayName": "X"}, folder=cal)
        self.assertEqual(r["error"]["type"], "invalidArguments")


if __name__ == "__main__":
    unittest.main()
