"""`atrium sync --daemon`: polling, going offline and back, clean stop.

- A change made on another device reaches the daemon's store within the
  poll interval, without anyone running `atrium sync`; with push it arrives
  in well under the interval (here an hour).
- With the server down the daemon records the profile offline (status says
  since when); changes made meanwhile wait in the outbox and reach the
  server once it is back, without duplicates.
- SIGTERM stops the daemon promptly with exit status 0.
"""
import json
import os
import signal
import time
import unittest

from harness import TempDirTestCase

PW = "Daemon-Tests-2026"


def wait_until(pred, timeout, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Daemon(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.dev = self.connector("daemon-device")
        self.dev.add_profile("work", self.srv.url, "alice", PW)
        self.dev.run("options", "set", "poll-interval", "5s")
        self.other = self.connector("other-device")
        self.other.add_profile("work", self.srv.url, "alice", PW)
        self.out = os.path.join(self.tmp, "daemon.out")
        self.proc = self.dev.popen("sync", "--daemon", log=self.out)
        self.assertTrue(wait_until(lambda: self.syncs() >= 1, 15), self.read_out())

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        super().tearDown()

    def read_out(self):
        with open(self.out) as f:
            return f.read()

    def syncs(self):
        return self.read_out().count("synced:")

    def names(self, dev):
        return sorted(c["fields"].get("lastName") for c in dev.json("contacts", "list"))

    def stop_daemon(self):
        self.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        self.assertEqual(self.proc.wait(timeout=10), 0, self.read_out())
        self.assertLess(time.monotonic() - t0, 5)

    def test_poll_brings_changes(self):
        self.other.run("contacts", "add", "--last-name", "FromOther")
        self.other.run("sync")
        self.assertTrue(wait_until(lambda: self.names(self.dev) == ["FromOther"], 12),
                        self.read_out())
        self.stop_daemon()

    def test_push_without_polling(self):
        # restart the daemon with an hour between polls: only push can
        # bring the change in time
        self.stop_daemon()
        self.dev.run("options", "set", "poll-interval", "1h")
        self.proc = self.dev.popen("sync", "--daemon", log=self.out)
        self.assertTrue(wait_until(lambda: self.syncs() >= 2, 15), self.read_out())
        time.sleep(0.5)  # the daemon is now listening on the push stream
        for n in range(3):
            name = "Pushed%d" % n
            t0 = time.monotonic()
            self.other.run("contacts", "add", "--last-name", name)
            self.other.run("sync")
            self.assertTrue(wait_until(lambda: name in self.names(self.dev), 5, 0.05),
                            self.read_out())
            print("push latency %.0f ms" % ((time.monotonic() - t0) * 1000))
        self.stop_daemon()

    def test_offline_then_back(self):
        self.srv.stop()
        for n in ("Offline1", "Offline2", "Offline3"):
            self.dev.run("contacts", "add", "--last-name", n)
        self.assertTrue(wait_until(
            lambda: self.dev.json("status")["connection"] == "offline", 15), self.read_out())
        st = self.dev.json("status")
        self.assertIsNotNone(st["connectionSince"])
        self.assertEqual(st["pending"], 3)
        self.assertIn("offline", self.dev.run("status").stdout)
        self.srv.start()
        self.assertTrue(wait_until(lambda: self.dev.json("status")["pending"] == 0, 20),
                        self.read_out())
        self.assertEqual(self.dev.json("status")["connection"], "online")
        self.other.run("sync")
        self.assertEqual(self.names(self.other), ["Offline1", "Offline2", "Offline3"])
        self.stop_daemon()


if __name__ == "__main__":
    unittest.main()
