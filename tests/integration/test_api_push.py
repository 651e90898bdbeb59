"""Push on GET /api/push: a server-sent-events stream and a long-poll.

Events name the folders whose items changed (only folders the user can
see), and "folders" when the tree changed; a long-poll from a state answers
as soon as something changed after it, or empty when its wait runs out; a
stream from a sync's token tells at once what changed after that token.
Every event and answer is checked against its schema in docs/protocol.md.
"""
import base64
import http.client
import json
import threading
import time
import unittest

from harness import TempDirTestCase, validate

PW = "Push-Tests-2026"


class Push(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.srv.add_user("bob", "Bob Dupont", "bob@example.org", PW)
        self.alice = self.srv.api("alice", PW)
        self.alice.login()
        self.bob = self.srv.api("bob", PW)
        self.bob.login()
        folders = self.alice.result("Folder/sync", {})["created"]
        self.contacts = [f["id"] for f in folders if f["module"] == "contacts"][0]
        self.host, self.port = self.srv.url.split("//")[1].split(":")

    def get(self, api, path, timeout=30):
        conn = http.client.HTTPConnection(self.host, int(self.port), timeout=timeout)
        conn.request("GET", path, headers={"Authorization": "Bearer " + api.token})
        return conn, conn.getresponse()

    def poll(self, api, query, timeout=30):
        conn, resp = self.get(api, "/api/push?mode=poll" + query, timeout)
        body = json.loads(resp.read())
        conn.close()
        return resp.status, body

    def create(self, name):
        self.alice.result("Item/sync", {"folderId": self.contacts, "changes": {
            "create": [{"clientId": name.replace(" ", "-"), "fields": {"lastName": name}}]}})

    def test_long_poll(self):
        status, first = self.poll(self.alice, "")
        self.assertEqual(status, 200)
        validate("push.poll", first)
        self.assertEqual(first["changed"], {})
        state = first["state"]
        got = {}

        def waiter():
            got["t0"] = time.monotonic()
            got["answer"] = self.poll(self.alice, "&since=%s&wait=20" % state)
            got["t1"] = time.monotonic()

        th = threading.Thread(target=waiter)
        th.start()
        time.sleep(0.5)
        self.create("Polled")
        th.join(25)
        status, ans = got["answer"]
        self.assertEqual(status, 200)
        validate("push.poll", ans)
        self.assertIn(self.contacts, ans["changed"])
        self.assertLess(got["t1"] - got["t0"], 5)
        # nothing new after the answer's state: an empty answer after `wait`
        t0 = time.monotonic()
        status, empty = self.poll(self.alice, "&since=%s&wait=1" % ans["state"])
        validate("push.poll", empty)
        self.assertEqual(empty["changed"], {})
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)

    def test_other_users_changes_are_not_pushed(self):
        _, first = self.poll(self.bob, "")
        self.create("Private to alice")
        status, ans = self.poll(self.bob, "&since=%s&wait=1" % first["state"])
        self.assertEqual(status, 200)
        self.assertEqual(ans["changed"], {})
        self.assertNotIn("folders", ans)

    def read_event(self, resp):
        """The next event of a stream (comments skipped), as JSON."""
        data = []
        while True:
            line = resp.fp.readline().decode()
            if not line:
                return None
            line = line.rstrip("\r\n")
            if line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and data:
                return json.loads("\n".join(data))

    def test_stream_since(self):
        # where a sync ended: the folder's token
        token = self.alice.result("Item/sync", {"folderId": self.contacts})["newToken"]
        # a change between that sync and the opening of the stream
        self.create("In the gap")
        conn, resp = self.get(self.alice, "/api/push?since=%s" % token, timeout=10)
        self.assertEqual(resp.status, 200)
        t0 = time.monotonic()
        ev = self.read_event(resp)
        conn.close()
        validate("push.event", ev)
        self.assertIn(self.contacts, ev["changed"])
        self.assertLess(time.monotonic() - t0, 5)
        # a stream from the token of now tells only what comes after it
        token = self.alice.result("Item/sync", {"folderId": self.contacts,
                                                "sinceToken": token})["newToken"]
        conn, resp = self.get(self.alice, "/api/push?since=%s" % token, timeout=10)
        got = []
        th = threading.Thread(target=lambda: got.append(self.read_event(resp)), daemon=True)
        th.start()
        th.join(1.5)
        self.assertEqual(got, [])  # nothing yet
        self.create("After")
        th.join(10)
        conn.close()
        self.assertEqual(len(got), 1)
        self.assertIn(self.contacts, got[0]["changed"])

    def test_stream(self):
        conn, resp = self.get(self.alice, "/api/push")
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/event-stream"))
        events = []

        def reader():
            data = []
            while len(events) < 2:
                line = resp.fp.readline().decode()
                if not line:
                    return
                line = line.rstrip("\r\n")
                if line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    events.append(json.loads("\n".join(data)))
                    data = []

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        time.sleep(0.3)
        self.create("Streamed1")
        # the second change only once the first was told: the watcher sends
        # one event for whatever changed since its last look, so two changes
        # it sees together would rightly be one event
        deadline = time.monotonic() + 10
        while not events and time.monotonic() < deadline:
            time.sleep(0.05)
        self.create("Streamed2")
        th.join(10)
        conn.close()
        self.assertEqual(len(events), 2, events)
        for ev in events:
            validate("push.event", ev)
            self.assertIn(self.contacts, ev["changed"])

    def test_bad_arguments(self):
        for query in ("?mode=sideways", "?mode=poll&since=garbage", "?mode=poll&wait=9999"):
            conn, resp = self.get(self.alice, "/api/push" + query)
            body = json.loads(resp.read())
            conn.close()
            self.assertEqual(resp.status, 400, query)
            validate("http-error", body)
        conn = http.client.HTTPConnection(self.host, int(self.port), timeout=10)
        conn.request("GET", "/api/push")
        self.assertEqual(conn.getresponse().status, 401)
        conn.close()


if __name__ == "__main__":
    unittest.main()
