"""`atrium options`, the log file and `atrium debug bundle`.

Options are per profile and are the defaults of `sync` (window, conflict
policy, which folders); bad values are refused naming the key; the log goes
to the profile's log file at the configured level; the debug bundle holds
versions, options, state and the log, and never the password or token.
"""
import json
import os
import re
import subprocess
import tarfile
import unittest

from harness import TempDirTestCase

PW = "Options-Tests-2026"


class Options(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.dev = self.connector("dev")
        self.dev.add_profile("work", self.srv.url, "alice", PW)

    def test_defaults_set_and_refuse(self):
        o = self.dev.json("options")
        self.assertEqual(o["window"], "50")
        self.assertEqual(o["conflict"], "server")
        self.assertEqual(o["log-level"], "warn")
        self.assertEqual(o["poll-interval"], "5m")
        self.assertEqual(o["folders"], "all")
        self.assertTrue(o["log-file"].startswith(self.dev.home))
        self.dev.run("options", "set", "poll-interval", "90s")
        self.assertEqual(self.dev.json("options")["poll-interval"], "90s")
        for key, value in (("window", "0"), ("window", "513"), ("conflict", "maybe"),
                           ("log-level", "loud"), ("poll-interval", "soon"),
                           ("log-file", "relative.log"), ("colour", "blue")):
            cp = self.dev.run("options", "set", key, value, check=False)
            self.assertNotEqual(cp.returncode, 0, (key, value))
            self.assertIn(key if key != "colour" else "colour", cp.stderr)
        self.assertEqual(self.dev.json("options")["window"], "50")

    def test_window_and_folders_drive_sync(self):
        for i in range(20):
            self.dev.run("contacts", "add", "--last-name", "N%d" % i)
        self.dev.run("options", "set", "folders", "Calendar")
        out = self.dev.run("sync").stdout
        self.assertRegex(out, r"\b0 sent")
        self.assertEqual(self.dev.json("status")["pending"], 20)
        self.dev.run("options", "set", "folders", "all")
        self.assertRegex(self.dev.run("sync").stdout, r"\b20 sent")
        fresh = self.connector("fresh")
        fresh.add_profile("work", self.srv.url, "alice", PW)
        fresh.run("options", "set", "window", "7")
        out = fresh.run("sync").stdout
        m = re.search(r"(\d+) received.*?(\d+) rounds", out)
        # and alice's entry of the Global Address Book, in the first round
        self.assertEqual((int(m.group(1)), int(m.group(2))), (21, 3), out)

    def test_log_file_and_debug_bundle(self):
        self.dev.run("options", "set", "log-level", "trace")
        self.dev.run("contacts", "add", "--last-name", "Logged")
        self.dev.run("sync")
        log_path = self.dev.json("options")["log-file"]
        with open(log_path) as f:
            log = f.read()
        self.assertIn("trace", log)
        self.assertNotIn(PW, log)
        bundle = os.path.join(self.tmp, "bundle.tar.gz")
        self.dev.run("debug", "bundle", bundle)
        with tarfile.open(bundle) as tar:
            names = {os.path.basename(n) for n in tar.getnames()}
            self.assertTrue({"system.json", "options.json", "profile.json", "state.json",
                             "atrium.log"} <= names, names)
            blob = b""
            for m in tar.getmembers():
                if m.isfile():
                    blob += tar.extractfile(m).read()
            profile = json.loads(tar.extractfile("./profile.json").read())
        self.assertEqual(profile["user"], "alice")
        with open(os.path.join(self.dev.home, "profiles", "work", "secret")) as f:
            secret = json.load(f)
        self.assertNotIn(PW.encode(), blob)
        self.assertNotIn(secret["token"].encode(), blob)
        self.assertIn(b"Logged", blob)


if __name__ == "__main__":
    unittest.main()
