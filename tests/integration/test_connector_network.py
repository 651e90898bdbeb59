"""Network faults and a server crash in the middle of a sync.

A loopback proxy between the connector and atriumd cuts the request or the
reply part-way (FIN or RST) or stalls; the server is killed with kill -9
while it handles a large batch.  In every case the failed sync reports the
server unreachable and keeps the outbox, and the next sync ends with every
contact on the server exactly once and nothing pending.
"""
import threading
import time
import unittest

from harness import TempDirTestCase
from netproxy import Proxy

PW = "Network-Tests-2026"
N = 300


class Network(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.proxy = Proxy(int(self.srv.url.rsplit(":", 1)[1])).start()
        self.addCleanup(self.proxy.stop)
        self.dev = self.connector("dev")
        self.dev.add_profile("work", self.proxy.url, "alice", PW)
        self.dev.run("options", "set", "timeout", "5s")
        self.dev.run("sync")
        self.api = self.srv.api("alice", PW)
        self.api.login()
        self.folder = [f["id"] for f in self.api.result("Folder/sync", {})["created"]
                       if f["module"] == "contacts"][0]

    def add_many(self, tag):
        # one command per contact is slow; the import of many is not there
        # yet, so add them in a burst of processes
        for i in range(N):
            self.dev.run("contacts", "add", "--first-name", "%s%d" % (tag, i),
                         "--last-name", "Batch", "--notes", "x" * 200)

    def server_names(self):
        ids = [x["id"] for x in self.api.result("Item/list", {"folderId": self.folder})["items"]]
        names = []
        for i in range(0, len(ids), 500):
            items = self.api.result("Item/get", {"folderId": self.folder,
                                                 "ids": ids[i:i + 500]})["items"]
            names += [it["fields"]["firstName"] for it in items]
        return sorted(names)

    def expect_recovery(self, tag, failed, may_recover=False):
        """failed: the sync that met the fault.  may_recover: the transport
        may have retried the request on a fresh connection by itself (libcurl
        does so when a reused connection dies before any reply byte)."""
        if failed.returncode == 0 and may_recover:
            self.assertEqual(self.proxy.cuts, 1)
        else:
            self.assertEqual(failed.returncode, 1, failed.stdout + failed.stderr)
            self.assertEqual(self.dev.json("status")["connection"], "offline")
        self.proxy.heal()
        self.dev.run("sync")
        self.dev.run("sync")
        want = sorted("%s%d" % (tag, i) for i in range(N))
        self.assertEqual(self.server_names(), want)
        st = self.dev.json("status")
        self.assertEqual((st["pending"], st["connection"]), (0, "online"))
        local = self.dev.json("contacts", "list")
        self.assertEqual(len(local), N)
        self.assertEqual(len({c["serverId"] for c in local}), N)

    def test_request_cut(self):
        self.add_many("Q")
        self.proxy.cut_request_after(30000)
        self.expect_recovery("Q", self.dev.run("sync", check=False), may_recover=True)

    def test_reply_cut_after_the_server_applied_it(self):
        self.add_many("P")
        self.proxy.cut_reply_after(20000)
        self.expect_recovery("P", self.dev.run("sync", check=False))

    def test_reply_reset(self):
        self.add_many("R")
        self.proxy.cut_reply_after(20000, reset=True)
        self.expect_recovery("R", self.dev.run("sync", check=False))

    def test_stall(self):
        self.add_many("S")
        self.proxy.stall()
        t0 = time.monotonic()
        failed = self.dev.run("sync", check=False)
        self.assertLess(time.monotonic() - t0, 30)
        self.expect_recovery("S", failed)

    def test_server_killed_mid_batch(self):
        self.add_many("K")
        # kill -9 the server as soon as the big request has gone through
        self.proxy.heal()

        def killer():
            while self.proxy.sent_up < 30000:
                time.sleep(0.001)
            self.srv.kill9()

        th = threading.Thread(target=killer)
        th.start()
        failed = self.dev.run("sync", check=False)
        th.join(10)
        self.assertEqual(failed.returncode, 1, failed.stdout + failed.stderr)
        self.srv.start()
        self.api.login()
        self.expect_recovery("K", failed)


if __name__ == "__main__":
    unittest.main()
