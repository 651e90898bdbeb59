"""Folder/sync and Item/sync semantics (docs/protocol.md §6), driven from
the API with a minimal client model ("device": a local copy of a folder, a
sync token and a queue of unsent changes).

Scenario: one atriumd, one user, one or two devices per test. Default
folders; windowed download of 1,000 contacts; two devices editing the same
folder; field-level merges and conflicts under both policies; idempotent
creates; per-item errors inside a batch; update/delete against a deleted or
newer item; and reconciliation with Item/list after the tombstones were
purged.

Every reply is checked against its schema by the harness.
"""

import itertools
import os
import re
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Api, TempDirTestCase  # noqa: E402

PASSWORD = "Corr3ct-Horse-9"


def atriumd_binary():
    """$ATRIUMD made absolute: the harness runs the binary from the test's
    temporary directory, where a relative path would not resolve."""
    path = os.environ.get("ATRIUMD")
    return os.path.abspath(path) if path else None


def chunks(seq, n):
    seq = list(seq)
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


class Device:
    """A minimal client of one folder: local items {id: item}, a token, and
    unsent changes. Stores the server's answers as is."""

    _serial = itertools.count(1)

    def __init__(self, test, api, folder_id, name):
        self.test = test
        self.api = api
        self.folder = folder_id
        self.name = name
        self.items = {}
        self.token = None
        self.pending = {}
        self.issues = []        # results with status error or a conflict
        self.rounds = 0         # Item/sync requests sent by the last sync()
        self.first_round_ids = set()  # ids in the changes of its first answer

    # -- local edits

    def create(self, fields):
        cid = "%s-%d-%s" % (self.name, next(self._serial), uuid.uuid4().hex[:8])
        self.pending.setdefault("create", []).append(
            {"clientId": cid, "fields": dict(fields)})
        return cid

    def update(self, item_id, fields):
        self.pending.setdefault("update", []).append(
            {"id": item_id, "baseVersion": self.items[item_id]["version"],
             "fields": dict(fields)})

    def delete(self, item_id):
        self.pending.setdefault("delete", []).append(
            {"id": item_id, "baseVersion": self.items[item_id]["version"]})

    # -- sync

    def sync(self, policy=None, window=None):
        """Send the unsent changes, then follow moreAvailable. Returns
        {clientId: result} for creates and the list of all results."""
        changes, self.pending = self.pending, {}
        by_client_id, results = {}, []
        self.rounds = 0
        while True:
            args = {"folderId": self.folder, "sinceToken": self.token}
            if changes:
                args["changes"] = changes
            if policy:
                args["conflictPolicy"] = policy
            if window:
                args["windowSize"] = window
            res = self.api.result("Item/sync", args)
            self.rounds += 1
            self.test.assertEqual(res["folderId"], self.folder)
            n_changes = sum(len(v) for v in changes.values())
            self.test.assertEqual(len(res["results"]), n_changes)
            written = set()
            for r in res["results"]:
                results.append(r)
                if r["op"] == "create":
                    by_client_id[r["clientId"]] = r
                if r["status"] != "ok" or "conflict" in r:
                    self.issues.append(r)
                if r["status"] == "ok":
                    # creates and deletes always write; an update may merge
                    # into nothing (same value), so tests check those
                    if r["op"] == "delete" or (r["op"] == "create" and
                                               not r.get("replayed")):
                        written.add(r["id"])
                    if r["op"] == "delete":
                        self.items.pop(r["id"], None)
                    else:
                        self.test.assertEqual(r["item"]["id"], r["id"])
                        self.test.assertEqual(r["item"]["version"], r["version"])
                        self.items[r["id"]] = r["item"]
            upserted = res["changes"]["upserted"]
            removed = res["changes"]["removed"]
            ids = [i["id"] for i in upserted] + removed
            if self.rounds == 1:
                self.first_round_ids = set(ids)
            self.test.assertEqual(len(ids), len(set(ids)),
                                  "an id twice in one window: %r" % ids)
            self.test.assertLessEqual(len(ids), window or 50)
            # own changes applied in this call are not echoed back
            self.test.assertFalse(written & set(ids),
                                  "own changes echoed in the same call")
            for it in upserted:
                self.test.assertEqual(it["folderId"], self.folder)
                self.items[it["id"]] = it
            for i in removed:
                self.items.pop(i, None)
            self.token = res["newToken"]
            changes = {}
            if not res["moreAvailable"]:
                return by_client_id, results

    def state(self):
        return {i: {"version": it["version"], "fields": it["fields"]}
                for i, it in self.items.items()}


def server_state(test, api, folder):
    """{id: {version, fields}} of the folder from Item/list + Item/get."""
    listing = api.result("Item/list", {"folderId": folder})
    ids = [i["id"] for i in listing["items"]]
    test.assertEqual(len(ids), len(set(ids)), "Item/list lists an id twice")
    versions = {i["id"]: i["version"] for i in listing["items"]}
    out = {}
    for part in chunks(ids, 512):
        got = api.result("Item/get", {"folderId": folder, "ids": part})
        test.assertEqual(got["notFound"], [])
        for it in got["items"]:
            test.assertEqual(it["version"], versions[it["id"]])
            out[it["id"]] = {"version": it["version"], "fields": it["fields"]}
    test.assertEqual(set(out), set(ids))
    return out


def by_fields(state):
    """The multiset of field sets of a state, to compare contents."""
    return sorted(repr(sorted(v["fields"].items())) for v in state.values())


class SyncTest(TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.srv = self.server(binary=atriumd_binary())
        self.srv.add_user("alice", "Alice Example", "alice@example.test", PASSWORD)
        self.srv.start()
        self.api = Api(self.srv.url, "alice", PASSWORD)
        self.assertEqual(self.api.login().status, 200)
        self.api2 = Api(self.srv.url, "alice", PASSWORD)   # a second device
        self.api2.token = self.api.token
        folders = self.api.result("Folder/sync", {})["created"]
        self.contacts = [f for f in folders if f["module"] == "contacts"][0]["id"]

    def device(self, name, api=None):
        return Device(self, api or self.api, self.contacts, name)

    def server_state(self):
        return server_state(self, self.api, self.contacts)

    def one_contact(self, fields):
        """Create one contact through a throwaway device; returns its item."""
        d = self.device("seed")
        cid = d.create(fields)
        created, _ = d.sync()
        self.assertEqual(created[cid]["status"], "ok", created[cid])
        return created[cid]["item"]

    # -- tests

    def test_folder_sync_lists_default_folders(self):
        user_id = self.api.session().body["user"]["id"]
        res = self.api.result("Folder/sync", {"sinceToken": None})
        self.assertEqual(res["updated"], [])
        self.assertEqual(res["removed"], [])
        # the default folders (and the Global Address Book: test_api_gab.py)
        folders = {f["module"]: f for f in res["created"] if f["type"] == "private"}
        self.assertEqual(len(res["created"]), 4)
        self.assertEqual(set(folders), {"contacts", "calendar", "tasks"})
        names = {"contacts": "Contacts", "calendar": "Calendar", "tasks": "Tasks"}
        for module, f in folders.items():
            with self.subTest(module=module):
                self.assertEqual(f["name"], names[module])
                self.assertEqual(f["type"], "private")
                self.assertTrue(f["isDefault"])
                self.assertEqual(f["ownerId"], user_id)
                self.assertEqual(f["rights"], {"folder": "subfolders", "read": "all",
                                               "write": "all", "delete": "all",
                                               "admin": True})
        self.assertEqual(len({f["id"] for f in res["created"]}), 4)

        again = self.api.result("Folder/sync", {"sinceToken": res["newToken"]})
        self.assertEqual((again["created"], again["updated"], again["removed"]),
                         ([], [], []))
        # item changes are not folder changes
        self.one_contact({"firstName": "Ada"})
        third = self.api.result("Folder/sync", {"sinceToken": again["newToken"]})
        self.assertEqual((third["created"], third["updated"], third["removed"]),
                         ([], [], []))

    def test_thousand_contacts_reach_a_fresh_device_in_twenty_windows(self):
        limits = self.api.session().body["limits"]
        self.assertEqual(limits["defaultWindow"], 50)
        batch = min(250, limits["maxChangesInSync"])
        writer = self.device("writer")
        writer.sync()
        made = []
        for part in chunks(range(1000), batch):
            cids = [writer.create({"firstName": "Person", "lastName": "No %04d" % n,
                                   "email1": "p%04d@example.test" % n})
                    for n in part]
            created, _ = writer.sync()
            for cid in cids:
                self.assertEqual(created[cid]["status"], "ok", created[cid])
                made.append(created[cid]["id"])
        self.assertEqual(len(set(made)), 1000)

        # a fresh device, default window
        token, seen, rounds = None, [], 0
        while True:
            res = self.api2.result("Item/sync", {"folderId": self.contacts,
                                                 "sinceToken": token})
            rounds += 1
            self.assertLessEqual(rounds, 20, "more than 20 rounds")
            self.assertEqual(res["results"], [])
            self.assertEqual(res["changes"]["removed"], [])
            self.assertEqual(len(res["changes"]["upserted"]), 50,
                             "round %d" % rounds)
            seen += [i["id"] for i in res["changes"]["upserted"]]
            self.assertEqual(res["moreAvailable"], rounds < 20, "round %d" % rounds)
            token = res["newToken"]
            if not res["moreAvailable"]:
                break
        self.assertEqual(rounds, 20)
        self.assertEqual(len(seen), 1000)
        self.assertEqual(len(set(seen)), 1000, "an item came twice")
        self.assertEqual(set(seen), set(made))
        self.assertEqual(set(self.server_state()), set(made))

        # nothing new: empty changes, no more
        res = self.api2.result("Item/sync", {"folderId": self.contacts,
                                             "sinceToken": token})
        self.assertEqual(res["results"], [])
        self.assertEqual(res["changes"], {"upserted": [], "removed": []})
        self.assertFalse(res["moreAvailable"])

    def test_no_change_sync_is_empty(self):
        d = self.device("d")
        d.create({"firstName": "Ada"})
        d.sync()
        res = self.api.result("Item/sync", {"folderId": self.contacts,
                                            "sinceToken": d.token})
        self.assertEqual(res["results"], [])
        self.assertEqual(res["changes"], {"upserted": [], "removed": []})
        self.assertFalse(res["moreAvailable"])
        again = self.api.result("Item/sync", {"folderId": self.contacts,
                                              "sinceToken": res["newToken"],
                                              "changes": {}})
        self.assertEqual(again["changes"], {"upserted": [], "removed": []})
        self.assertFalse(again["moreAvailable"])

    def test_two_devices_converge(self):
        a, b = self.device("a"), self.device("b", self.api2)
        seeds = [a.create({"firstName": "Seed", "lastName": str(n)}) for n in range(4)]
        created, _ = a.sync()
        s = [created[c]["id"] for c in seeds]
        b.sync()
        self.assertEqual(b.state(), a.state())

        a.update(s[0], {"jobTitle": "Engineer", "lastName": "Zero"})
        a.delete(s[1])
        a5 = a.create({"firstName": "From A", "categories": ["x", "y"]})
        b.update(s[2], {"firstName": "Edited by B", "notes": "line 1\nline 2"})
        b.delete(s[3])
        b6 = b.create({"firstName": "From B", "birthday": "1990-02-28",
                       "private": True})
        ca, _ = a.sync()
        self.assertNotIn(s[0], a.first_round_ids, "own update echoed")
        cb, _ = b.sync()
        self.assertNotIn(s[2], b.first_round_ids, "own update echoed")
        # b gets a's changes, not its own
        self.assertEqual(b.first_round_ids, {s[0], s[1], ca[a5]["id"]})
        a.sync()
        self.assertEqual(a.first_round_ids, {s[2], s[3], cb[b6]["id"]})
        self.assertEqual(a.issues, [])
        self.assertEqual(b.issues, [])

        server = self.server_state()
        self.assertEqual(a.state(), server)
        self.assertEqual(b.state(), server)
        expected = {
            s[0]: {"firstName": "Seed", "lastName": "Zero", "jobTitle": "Engineer"},
            s[2]: {"firstName": "Edited by B", "lastName": "2",
                   "notes": "line 1\nline 2"},
            ca[a5]["id"]: {"firstName": "From A", "categories": ["x", "y"]},
            cb[b6]["id"]: {"firstName": "From B", "birthday": "1990-02-28",
                           "private": True},
        }
        self.assertEqual({i: v["fields"] for i, v in server.items()}, expected)

        # a field removed by patching it to null
        a.update(s[0], {"jobTitle": None})
        a.sync()
        b.sync()
        self.assertNotIn("jobTitle", self.server_state()[s[0]]["fields"])
        self.assertEqual(b.state(), self.server_state())

    def test_edits_of_different_fields_merge(self):
        item = self.one_contact({"firstName": "Ada", "lastName": "Lovelace"})
        a, b = self.device("a"), self.device("b", self.api2)
        a.sync()
        b.sync()
        a.update(item["id"], {"firstName": "Augusta"})
        a.sync()
        b.update(item["id"], {"lastName": "King", "company": "Analytical"})
        _, results = b.sync()
        self.assertEqual(len(results), 1)
        r = results[0]
        self.assertEqual(r["status"], "ok", r)
        self.assertNotIn("conflict", r)
        want = {"firstName": "Augusta", "lastName": "King", "company": "Analytical"}
        self.assertEqual(r["item"]["fields"], want)
        self.assertEqual(self.server_state()[item["id"]]["fields"], want)
        a.sync()
        self.assertEqual(a.state(), self.server_state())

        # the same new value on both sides is no conflict
        a.update(item["id"], {"phoneMobile": "+1 555 0100"})
        a.sync()
        b.update(item["id"], {"phoneMobile": "+1 555 0100"})
        _, results = b.sync()
        self.assertEqual(results[0]["status"], "ok")
        self.assertNotIn("conflict", results[0])

    def _same_field_conflict(self, policy):
        item = self.one_contact({"firstName": "Ada", "phoneMobile": "000"})
        a, b = self.device("a"), self.device("b", self.api2)
        a.sync()
        b.sync()
        a.update(item["id"], {"phoneMobile": "111"})
        a.sync()
        b.update(item["id"], {"phoneMobile": "222", "email1": "ada@example.test"})
        _, results = b.sync(policy=policy)
        self.assertEqual(len(results), 1)
        return item, results[0], a, b

    def test_same_field_conflict_server_policy(self):
        item, r, a, b = self._same_field_conflict(None)   # server is the default
        self.assertEqual(r["status"], "ok", r)
        self.assertIn("conflict", r)
        self.assertEqual(r["conflict"]["policy"], "server")
        self.assertEqual(r["conflict"]["fields"], ["phoneMobile"])
        self.assertEqual(r["conflict"]["lost"], {"phoneMobile": "222"})
        want = {"firstName": "Ada", "phoneMobile": "111", "email1": "ada@example.test"}
        self.assertEqual(r["item"]["fields"], want)
        self.assertEqual(self.server_state()[item["id"]]["fields"], want)
        a.sync()
        b.sync()
        self.assertEqual(a.state(), self.server_state())
        self.assertEqual(b.state(), self.server_state())

    def test_same_field_conflict_client_policy(self):
        item, r, a, b = self._same_field_conflict("client")
        self.assertEqual(r["status"], "ok", r)
        self.assertIn("conflict", r)
        self.assertEqual(r["conflict"]["policy"], "client")
        self.assertEqual(r["conflict"]["fields"], ["phoneMobile"])
        self.assertEqual(r["conflict"]["lost"], {"phoneMobile": "111"})
        want = {"firstName": "Ada", "phoneMobile": "222", "email1": "ada@example.test"}
        self.assertEqual(r["item"]["fields"], want)
        self.assertEqual(self.server_state()[item["id"]]["fields"], want)
        a.sync()
        self.assertEqual(a.state(), self.server_state())

    def test_replayed_create_makes_no_duplicate(self):
        create = {"clientId": "lost-response-1",
                  "fields": {"firstName": "Grace", "lastName": "Hopper"}}
        args = {"folderId": self.contacts, "sinceToken": None,
                "changes": {"create": [create]}}
        self.api.result("Item/sync", args)     # the answer is "lost"
        res = self.api.result("Item/sync", args)
        r = res["results"][0]
        self.assertEqual(r["status"], "ok", r)
        self.assertIs(r.get("replayed"), True, r)
        state = self.server_state()
        self.assertEqual(len(state), 1, "the replay created a duplicate")
        (item_id, item), = state.items()
        self.assertEqual(r["id"], item_id)
        self.assertEqual(r["version"], item["version"])
        self.assertEqual(r["item"]["fields"], create["fields"])
        self.assertEqual(r["item"]["clientId"], "lost-response-1")

        # replayed from another device (same user) with a later token as well
        res = self.api2.result("Item/sync", dict(args, sinceToken=res["newToken"]))
        self.assertIs(res["results"][0].get("replayed"), True)
        self.assertEqual(res["results"][0]["id"], item_id)
        self.assertEqual(len(self.server_state()), 1)

        # once the item is deleted, a replay answers itemDeleted and does not
        # bring it back
        res = self.api.result("Item/sync", {
            "folderId": self.contacts, "sinceToken": res["newToken"],
            "changes": {"delete": [{"id": item_id, "baseVersion": r["version"]}]}})
        self.assertEqual(res["results"][0]["status"], "ok")
        res = self.api.result("Item/sync", args)
        r = res["results"][0]
        self.assertEqual(r["status"], "error", r)
        self.assertEqual(r["error"]["type"], "itemDeleted")
        self.assertEqual(self.server_state(), {})

    def test_field_too_long_fails_only_its_item(self):
        d = self.device("d")
        ok1 = d.create({"firstName": "Short", "lastName": "One"})
        bad = d.create({"firstName": "x" * 129, "lastName": "Too long"})
        ok2 = d.create({"firstName": "\u00e9" * 128})   # 128 characters, 256 bytes
        ok3 = d.create({"firstName": "y" * 128})
        created, results = d.sync()
        self.assertEqual([r["clientId"] for r in results], [ok1, bad, ok2, ok3])
        r = created[bad]
        self.assertEqual(r["status"], "error", r)
        self.assertEqual(r["error"]["type"], "fieldTooLong")
        self.assertEqual(r["error"]["scope"], "item")
        self.assertEqual(r["error"]["field"], "firstName")
        self.assertIn("128", r["error"]["message"])
        self.assertNotIn("item", r)
        for cid in (ok1, ok2, ok3):
            self.assertEqual(created[cid]["status"], "ok", created[cid])
        state = self.server_state()
        self.assertEqual(set(state), {created[c]["id"] for c in (ok1, ok2, ok3)})
        self.assertEqual(state[created[ok2]["id"]]["fields"],
                         {"firstName": "\u00e9" * 128})
        # the session publishes the same limit
        limits = self.api.session().body["limits"]["fields"]["contact"]
        self.assertEqual(limits["firstName"], {"type": "text", "maxLength": 128})

    def test_update_of_deleted_item(self):
        item = self.one_contact({"firstName": "Doomed"})
        a, b = self.device("a"), self.device("b", self.api2)
        a.sync()
        b.sync()
        a.delete(item["id"])
        a.sync()
        b.update(item["id"], {"firstName": "Saved?"})
        _, results = b.sync()
        r = results[0]
        self.assertEqual(r["status"], "error", r)
        self.assertEqual(r["error"]["type"], "itemDeleted")
        self.assertEqual(r["error"]["scope"], "item")
        self.assertIn("conflict", r)
        self.assertIs(r["conflict"].get("deletedOnServer"), True)
        self.assertEqual(self.server_state(), {})
        self.assertEqual(b.state(), {})

    def test_stale_delete_under_server_policy_keeps_item(self):
        item = self.one_contact({"firstName": "Keep", "lastName": "Me"})
        a, b = self.device("a"), self.device("b", self.api2)
        a.sync()
        b.sync()
        a.update(item["id"], {"lastName": "Changed"})
        a.sync()
        newer = a.items[item["id"]]["version"]
        self.assertGreater(newer, item["version"])
        b_token = b.token
        res = self.api2.result("Item/sync", {
            "folderId": self.contacts, "sinceToken": b_token,
            "changes": {"delete": [{"id": item["id"],
                                    "baseVersion": item["version"]}]}})
        r = res["results"][0]
        self.assertEqual(r["op"], "delete")
        self.assertEqual(r["status"], "error", r)
        self.assertEqual(r["error"]["type"], "conflict")
        self.assertEqual(r["error"]["scope"], "item")
        # the item comes back in changes.upserted, at its newer version
        back = {i["id"]: i for i in res["changes"]["upserted"]}
        self.assertIn(item["id"], back)
        self.assertEqual(back[item["id"]]["version"], newer)
        self.assertEqual(back[item["id"]]["fields"],
                         {"firstName": "Keep", "lastName": "Changed"})
        state = self.server_state()
        self.assertEqual(state[item["id"]]["version"], newer)
        self.assertEqual(state[item["id"]]["fields"],
                         {"firstName": "Keep", "lastName": "Changed"})
        # under the client policy the stale delete happens; lost holds the
        # server's fields
        res = self.api2.result("Item/sync", {
            "folderId": self.contacts, "sinceToken": res["newToken"],
            "conflictPolicy": "client",
            "changes": {"delete": [{"id": item["id"],
                                    "baseVersion": item["version"]}]}})
        r = res["results"][0]
        self.assertEqual(r["status"], "ok", r)
        self.assertEqual(r["conflict"]["policy"], "client")
        self.assertEqual(r["conflict"]["lost"],
                         {"firstName": "Keep", "lastName": "Changed"})
        self.assertEqual(self.server_state(), {})
        # deleting again (with any version) is a no-op
        for _ in range(2):
            res = self.api2.result("Item/sync", {
                "folderId": self.contacts, "sinceToken": res["newToken"],
                "changes": {"delete": [{"id": item["id"], "baseVersion": newer}]}})
            self.assertEqual(res["results"][0]["status"], "ok", res["results"][0])
        self.assertEqual(self.server_state(), {})

    def test_own_creates_do_not_come_back_in_later_windows(self):
        """Own changes are not echoed: a device that sends more creates than
        one window holds must not receive them back from the follow-up calls
        that moreAvailable asks for."""
        d = self.device("bulk")
        d.sync()
        creates = [{"clientId": "bulk-%03d" % n,
                    "fields": {"firstName": "Bulk", "lastName": str(n)}}
                   for n in range(120)]
        res = self.api.result("Item/sync", {"folderId": self.contacts,
                                            "sinceToken": d.token,
                                            "changes": {"create": creates}})
        self.assertEqual([r["status"] for r in res["results"]], ["ok"] * 120)
        mine = {r["id"] for r in res["results"]}
        echoed, rounds = [], 1
        while res["moreAvailable"]:
            rounds += 1
            self.assertLessEqual(rounds, 10)
            res = self.api.result("Item/sync", {"folderId": self.contacts,
                                                "sinceToken": res["newToken"]})
            echoed += [i["id"] for i in res["changes"]["upserted"] if i["id"] in mine]
        self.assertEqual(len(echoed), 0,
                         "%d of the device's own %d creates came back in %d "
                         "follow-up calls" % (len(echoed), len(mine), rounds - 1))
        # another device gets them all
        other = self.device("other", self.api2)
        other.sync()
        self.assertEqual(set(other.items), mine)

    def test_tombstone_purge_then_reconcile(self):
        a, b = self.device("a"), self.device("b", self.api2)
        cids = [a.create({"firstName": "P%d" % n}) for n in range(6)]
        created, _ = a.sync()
        ids = [created[c]["id"] for c in cids]
        b.sync()
        old_token = b.token
        self.assertEqual(len(b.items), 6)

        a.delete(ids[0])
        a.delete(ids[1])
        a.update(ids[2], {"lastName": "Updated"})
        a7 = a.create({"firstName": "P6"})
        a.sync()
        # b edits offline: a create it has not sent yet
        offline = b.create({"firstName": "Offline", "lastName": "Create"})

        # forget every deletion (tombstones of this second are not "older
        # than 0 s" yet, so let the clock pass the deletions' second)
        time.sleep(1.05 - time.time() % 1.0)
        cp = self.srv.cli("tombstones", "purge", "--older-than", "0")
        m = re.search(r"purged (\d+)", cp.stdout)
        self.assertIsNotNone(m, cp.stdout)
        self.assertEqual(int(m.group(1)), 2, cp.stdout)

        status, body = self.api2.call("Item/sync", {
            "folderId": self.contacts, "sinceToken": old_token,
            "changes": {"create": b.pending["create"]}})
        self.assertEqual(status, 200, body)
        name, err, _ = body["methodResponses"][0]
        self.assertEqual(name, "error", body)
        self.assertEqual(err["type"], "cannotCalculateChanges")
        self.assertEqual(err["scope"], "folder")
        # nothing of that call was applied
        self.assertEqual(len(self.server_state()), 5)

        # a token newer than the horizon still works
        _, results = a.sync()
        self.assertEqual(results, [])

        # reconcile b: drop what is not listed, fetch what differs
        listing = self.api2.result("Item/list", {"folderId": self.contacts})
        listed = {i["id"]: i["version"] for i in listing["items"]}
        for item_id in list(b.items):
            if item_id not in listed:
                del b.items[item_id]
        stale = [i for i, v in listed.items()
                 if i not in b.items or b.items[i]["version"] != v]
        self.assertEqual(sorted(stale), sorted([ids[2], created_id(a, a7)]))
        got = self.api2.result("Item/get", {"folderId": self.contacts, "ids": stale})
        self.assertEqual(got["notFound"], [])
        for it in got["items"]:
            b.items[it["id"]] = it
        b.token = listing["token"]
        made, _ = b.sync()     # sends the offline create
        self.assertEqual(made[offline]["status"], "ok", made[offline])
        self.assertEqual(b.issues, [])

        a.sync()
        server = self.server_state()
        self.assertEqual(b.state(), server)
        self.assertEqual(a.state(), server)
        self.assertEqual(len(server), 6)
        self.assertNotIn(ids[0], server)
        self.assertNotIn(ids[1], server)
        self.assertEqual(by_fields(server).count(
            repr(sorted({"firstName": "Offline", "lastName": "Create"}.items()))), 1)


def created_id(device, client_id):
    for it in device.items.values():
        if it.get("clientId") == client_id:
            return it["id"]
    raise AssertionError("no item with clientId %s" % client_id)


if __name__ == "__main__":
    unittest.main()
