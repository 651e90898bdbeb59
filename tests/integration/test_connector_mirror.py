"""The local files mirror (atrium mirror) with a real atriumd, two devices
and the real vdir clients from Debian: khard, khal, todoman.

- khard lists the contacts synced from the server out of device 1's mirror;
  a contact edited with `khard edit`, one made with `khard new` and one
  removed with `khard remove` reach the server with one `atrium sync` and
  then device 2 (its store and its own mirror, read by khard again).
- Distribution lists are group cards in the contacts directory: a list
  imported on device 2 is a file on device 1 whose member names the
  contact's card UID; a member added there by hand reaches the server as a
  reference to the contact, and device 2.
- A contact's photo set on device 2 is an inline PHOTO in device 1's
  file (downloaded for it); another photo put into the file reaches the
  server and device 2, and removing the line removes the photo.
- A file that does not parse is reported as PATH:LINE: message by the sync
  and in `mirror status --json`, left untouched, and nothing reaches the
  server; once fixed, it is an edit like any other.
- A field edited in a file while another device changed it on the server
  loses nothing: the server's value wins (the default policy), the file's
  is kept as a Sync Issue, and the file shows the server's value after the
  sync.
- The daemon takes in a khard edit at once (the mirror's file watcher), and
  writes a change pushed by the server into the files.
- khal lists the appointments synced from the server and an event made with
  `khal new` reaches the server and device 2.
- todoman lists the tasks synced from the server (due dates, priority,
  % complete); tasks made with `todoman new` and ones completed with
  `todoman done` (Debian's name for the `todo` command) reach the server
  (completed, 100 %, date completed) and device 2, and what todoman did
  not touch keeps its value.
"""
import base64
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import unittest

from harness import TempDirTestCase

PW = "Mirror-Tests-2026"


def wait_until(pred, timeout, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Mirror(TempDirTestCase):
    def setUp(self):
        super().setUp()
        for tool in ("khard", "khal", "todoman"):
            if shutil.which(tool) is None:
                self.fail("%s is not installed (scripts/deps.sh installs it)" % tool)
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.d1 = self.connector("desktop")
        self.d2 = self.connector("laptop")
        self.m1 = os.path.join(self.tmp, "vdir-desktop")
        self.m2 = os.path.join(self.tmp, "vdir-laptop")
        for dev, root in ((self.d1, self.m1), (self.d2, self.m2)):
            dev.add_profile("work", self.srv.url, "alice", PW)
            dev.run("sync")
            cp = dev.run("mirror", "enable", root)
            self.assertIn("mirror enabled at %s" % root, cp.stdout)
        self.api = self.srv.api("alice", PW)
        self.api.login()
        folders = self.api.result("Folder/sync", {})["created"]
        self.folder = {f["module"]: f["id"] for f in folders
                       if f["isDefault"] and f["type"] == "private"}
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)

    # ---- helpers -------------------------------------------------------------

    def server_items(self, module):
        fid = self.folder[module]
        ids = [x["id"] for x in
               self.api.result("Item/list", {"folderId": fid})["items"]]
        if not ids:
            return []
        return [it["fields"] for it in
                self.api.result("Item/get", {"folderId": fid, "ids": ids})["items"]]

    def tool(self, *cmd, input=None, check=True):
        """A vdir client with its own HOME and configuration."""
        env = dict(os.environ, HOME=self.home,
                   XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                   XDG_DATA_HOME=os.path.join(self.home, ".local", "share"),
                   XDG_CACHE_HOME=os.path.join(self.home, ".cache"),
                   LC_ALL="C.UTF-8", TZ="Europe/Paris")
        # khard searches every field, the UID too: a term made of hex digits
        # ("Ada") can match another card's random UID and make khard ask
        # which one, forever on a closed stdin.  Search by words that cannot
        # be hex ("Lovelace", "Babbage").  stdin is never the test runner's.
        cp = subprocess.run(list(cmd), input=input if input is not None else "",
                            text=True, capture_output=True, env=env, timeout=120)
        if check and cp.returncode != 0:
            self.fail("%s failed (%d)\n--- stdout\n%s--- stderr\n%s"
                      % (" ".join(cmd), cp.returncode, cp.stdout, cp.stderr))
        return cp

    def khard_conf(self, root):
        path = os.path.join(self.tmp, "khard-%s.conf" % os.path.basename(root))
        with open(path, "w") as f:
            f.write("[addressbooks]\n[[contacts]]\npath = %s/contacts/Contacts/\n"
                    "[general]\ndefault_action = list\neditor = /bin/false\n"
                    "merge_editor = /bin/false\n"
                    "[contact table]\ndisplay = formatted_name\nshow_uids = no\n"
                    "[vcard]\npreferred_version = 3.0\n" % root)
        return path

    def khard(self, root, *args, input=None):
        return self.tool("khard", "-c", self.khard_conf(root), *args, input=input)

    def khard_names(self, root):
        cp = self.khard(root, "list", "--parsable")
        return sorted(line.split("\t")[1] for line in cp.stdout.splitlines() if line)

    @staticmethod
    def read(path):
        with open(path, newline="") as f:
            return f.read()

    def mirror_status(self, dev):
        return dev.json("mirror", "status")

    # ---- contacts with khard -------------------------------------------------

    def test_khard_two_devices(self):
        self.d2.run("contacts", "add", "--first-name", "Ada", "--last-name", "Lovelace",
                    "--email1", "ada@example.org")
        self.d2.run("contacts", "add", "--first-name", "Charles", "--last-name",
                    "Babbage")
        self.d2.run("sync")
        cp = self.d1.run("sync")
        self.assertIn("mirror written: 2 written", cp.stdout)
        # khard reads what came from the server
        self.assertEqual(self.khard_names(self.m1),
                         ["Babbage, Charles", "Lovelace, Ada"])

        # edit with khard (its YAML form, confirmed on stdin)
        cp = self.khard(self.m1, "show", "--format", "yaml", "Lovelace")
        yaml = cp.stdout.replace("\nTitle:\n", "\nTitle: Countess\n", 1)
        self.assertIn("Title: Countess", yaml)
        path = os.path.join(self.tmp, "ada.yaml")
        with open(path, "w") as f:
            f.write(yaml)
        self.khard(self.m1, "edit", "-i", path, "Lovelace", input="y\n")
        # a new one
        new = os.path.join(self.tmp, "grace.yaml")
        with open(new, "w") as f:
            f.write("First name: Grace\nLast name: Hopper\n"
                    "Phone:\n    cell: +1 202 555 0101\n"
                    "Email:\n    work: grace@navy.example\n")
        self.khard(self.m1, "new", "-i", new)
        # and one removed
        self.khard(self.m1, "remove", "--force", "Babbage")

        cp = self.d1.run("sync")
        self.assertIn("mirror scanned: 1 created, 1 modified, 1 deleted", cp.stdout)
        self.assertIn(" 3 sent,", cp.stdout)
        on_server = {f["lastName"]: f for f in self.server_items("contacts")}
        self.assertEqual(sorted(on_server), ["Hopper", "Lovelace"])
        self.assertEqual(on_server["Lovelace"]["jobTitle"], "Countess")
        self.assertEqual(on_server["Lovelace"]["email1"], "ada@example.org")
        self.assertEqual(on_server["Hopper"]["phoneMobile"], "+1 202 555 0101")

        # the second device: its store, its files, and khard on them
        cp = self.d2.run("sync")
        self.assertIn("mirror written:", cp.stdout)
        local = {c["fields"]["lastName"]: c["fields"] for c in
                 self.d2.json("contacts", "list")}
        self.assertEqual(sorted(local), ["Hopper", "Lovelace"])
        self.assertEqual(local["Lovelace"]["jobTitle"], "Countess")
        # (khard wrote Grace's FN itself: kept as her display name)
        self.assertEqual(self.khard_names(self.m2), ["Grace Hopper", "Lovelace, Ada"])
        cp = self.khard(self.m2, "show", "--format", "yaml", "Lovelace")
        self.assertIn("Title: Countess", cp.stdout)
        # one file per contact, written atomically (no temporary left)
        files = sorted(os.listdir(os.path.join(self.m2, "contacts", "Contacts")))
        self.assertEqual(len([n for n in files if n.endswith(".vcf")]), 2, files)
        self.assertEqual([n for n in files if not n.endswith(".vcf")],
                         ["color", "displayname"])
        with open(os.path.join(self.m2, "contacts", "Contacts", "displayname")) as f:
            self.assertEqual(f.read(), "Contacts")

        # nothing left to do on either side
        for dev in (self.d1, self.d2):
            cp = dev.run("sync")
            self.assertNotIn("mirror", cp.stdout)
            self.assertIn(" 0 received, 0 sent,", cp.stdout)

    def test_lists_two_devices(self):
        """Distribution lists are group cards beside the contacts."""
        vcf = os.path.join(self.tmp, "team.vcf")
        with open(vcf, "w", newline="") as f:
            f.write("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:ada-1\r\nFN:Ada Lovelace\r\n"
                    "N:Lovelace;Ada;;;\r\nEMAIL:ada@example.org\r\nEND:VCARD\r\n"
                    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:cb-1\r\nFN:Charles Babbage\r\n"
                    "N:Babbage;Charles;;;\r\nEMAIL:cb@example.org\r\nEND:VCARD\r\n"
                    "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nUID:team-1\r\n"
                    "FN:Engine team\r\nMEMBER:urn:uuid:ada-1\r\nEND:VCARD\r\n")
        self.d2.run("import", "vcf", vcf)
        self.d2.run("sync")
        cp = self.d1.run("sync")
        self.assertIn("mirror written: 3 written", cp.stdout)
        on_server = {f.get("lastName") or f.get("displayName"): f
                     for f in self.server_items("contacts")}
        self.assertEqual(sorted(on_server), ["Babbage", "Engine team", "Lovelace"])
        team = on_server["Engine team"]
        self.assertEqual(len(team["members"]), 1)
        ada_sid = team["members"][0]["contactId"]
        self.assertEqual(on_server["Lovelace"]["email1"], "ada@example.org")

        # the list's file on device 1, the member named by Ada's card UID
        d = os.path.join(self.m1, "contacts", "Contacts")
        groups = [n for n in os.listdir(d) if n.endswith(".vcf") and
                  "KIND:group" in self.read(os.path.join(d, n))]
        self.assertEqual(len(groups), 1, os.listdir(d))
        path = os.path.join(d, groups[0])
        text = self.read(path)
        self.assertIn("FN:Engine team\r\n", text)
        self.assertIn(":urn:uuid:ada-1\r\n", text)
        # khard reads the directory with the group card in it
        self.assertEqual(self.khard_names(self.m1),
                         ["Ada Lovelace", "Charles Babbage", "Engine team"])

        # Charles joins, by hand, by the UID of his card
        with open(path, "w", newline="") as f:
            f.write(text.replace("END:VCARD",
                                 "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:cb-1\r\nEND:VCARD"))
        cp = self.d1.run("sync")
        self.assertIn("mirror scanned: 1 modified", cp.stdout)
        team = {f.get("displayName"): f for f in self.server_items("contacts")}["Engine team"]
        self.assertEqual([m.get("address") for m in team["members"]],
                         ["ada@example.org", "cb@example.org"])
        self.assertEqual(team["members"][0]["contactId"], ada_sid)
        self.assertTrue(team["members"][1]["contactId"])
        # device 2's store and files have it too
        cp = self.d2.run("sync")
        self.assertIn("mirror written:", cp.stdout)
        d2 = os.path.join(self.m2, "contacts", "Contacts")
        texts = [self.read(os.path.join(d2, n)) for n in os.listdir(d2) if n.endswith(".vcf")]
        team2 = [t for t in texts if "KIND:group" in t]
        self.assertEqual(len(team2), 1)
        self.assertIn(":urn:uuid:cb-1\r\n", team2[0])
        for dev in (self.d1, self.d2):
            cp = dev.run("sync")
            self.assertNotIn("mirror", cp.stdout)
            self.assertIn(" 0 received, 0 sent,", cp.stdout)

    def test_photo_two_devices(self):
        """A contact's photo is an inline PHOTO in its file, both ways."""
        def gif(w):
            return b"GIF89a" + bytes([w, 0, w, 0, 0, 0, 0])
        photo = os.path.join(self.tmp, "ada.gif")
        with open(photo, "wb") as f:
            f.write(gif(1))
        self.d2.run("contacts", "add", "--first-name", "Ada", "--last-name", "Lovelace")
        ada2 = self.d2.json("contacts", "list")[0]["id"]
        self.d2.run("contacts", "edit", ada2, "--photo", photo)
        self.d2.run("sync")
        # device 1 downloads the photo for its file
        self.d1.run("sync")
        files = glob.glob(os.path.join(self.m1, "contacts", "Contacts", "*.vcf"))
        self.assertEqual(len(files), 1)
        b64 = base64.b64encode
        self.assertIn("PHOTO;ENCODING=b;TYPE=GIF:%s\r\n" % b64(gif(1)).decode(),
                      self.read(files[0]))
        # another photo put into the file by hand reaches the server and device 2
        with open(files[0], newline="") as f:
            text = f.read()
        with open(files[0], "w", newline="") as f:
            f.write(text.replace(b64(gif(1)).decode(), b64(gif(2)).decode()))
        cp = self.d1.run("sync")
        self.assertIn("mirror scanned: 1 modified", cp.stdout)
        want = "sha256:" + hashlib.sha256(gif(2)).hexdigest()
        on_server = self.server_items("contacts")
        self.assertEqual(on_server[0]["photo"]["blobId"], want)
        self.assertEqual(on_server[0]["photo"]["type"], "image/gif")
        self.d2.run("sync")
        self.assertEqual(self.d2.json("contacts", "show", ada2)["fields"]["photo"]["blobId"],
                         want)
        files2 = glob.glob(os.path.join(self.m2, "contacts", "Contacts", "*.vcf"))
        self.assertIn(b64(gif(2)).decode(), self.read(files2[0]))
        # the line removed: the photo is gone everywhere
        with open(files[0], newline="") as f:
            lines = f.read().split("\r\n")
        with open(files[0], "w", newline="") as f:
            f.write("\r\n".join(l for l in lines if not l.startswith("PHOTO")))
        self.d1.run("sync")
        self.assertNotIn("photo", self.server_items("contacts")[0])
        self.d2.run("sync")
        self.assertNotIn("PHOTO", self.read(files2[0]))
        for dev in (self.d1, self.d2):
            cp = dev.run("sync")
            self.assertNotIn("mirror", cp.stdout)
            self.assertIn(" 0 received, 0 sent,", cp.stdout)

    def test_bad_file_reported_and_left_alone(self):
        self.d1.run("contacts", "add", "--first-name", "Ada", "--last-name", "Lovelace")
        self.d1.run("sync")
        ada = glob.glob(os.path.join(self.m1, "contacts", "Contacts", "*.vcf"))
        self.assertEqual(len(ada), 1)
        broken = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\n"
                  "N:Lovelace;Ada;;;\r\nTEL;=work:1\r\nTITLE:Countess\r\nEND:VCARD\r\n")
        with open(ada[0], "w", newline="") as f:
            f.write(broken)
        stray = os.path.join(self.m1, "contacts", "Contacts", "stray.vcf")
        with open(stray, "w", newline="") as f:
            f.write("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nobody\r\n")
        cp = self.d1.run("sync")
        self.assertIn("%s:5: TEL: parameter without a name" % ada[0], cp.stderr)
        self.assertIn(stray + ":", cp.stderr)
        self.assertIn(" 0 sent,", cp.stdout)
        self.assertEqual([f.get("jobTitle") for f in self.server_items("contacts")], [None])
        with open(ada[0], newline="") as f:
            self.assertEqual(f.read(), broken)  # untouched
        st = self.mirror_status(self.d1)
        self.assertTrue(st["enabled"])
        contacts = [f for f in st["folders"]
                    if f["path"] == os.path.join(self.m1, "contacts", "Contacts")][0]
        bad = {b["path"]: b for b in contacts["unparsed"]}
        self.assertEqual(sorted(bad), sorted([ada[0], stray]))
        self.assertEqual(bad[ada[0]]["line"], 5)
        self.assertEqual(bad[ada[0]]["message"], "TEL: parameter without a name")
        # reported once, not on every sync
        cp = self.d1.run("sync")
        self.assertNotIn("TEL", cp.stderr)
        # `mirror scan` tells by its exit status
        cp = self.d1.run("mirror", "scan", check=False)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("2 files of the mirror do not parse", cp.stderr)

        # fixed: the edit goes out
        with open(ada[0], "w", newline="") as f:
            f.write(broken.replace("TEL;=work:1\r\n", ""))
        cp = self.d1.run("sync")
        self.assertIn("mirror scanned: 1 modified", cp.stdout)
        self.assertEqual([f.get("jobTitle") for f in self.server_items("contacts")],
                         ["Countess"])
        st = self.mirror_status(self.d1)
        unparsed = [b["path"] for f in st["folders"] for b in f["unparsed"]]
        self.assertEqual(unparsed, [stray])

    def test_file_edit_against_server_change_loses_nothing(self):
        self.d1.run("contacts", "add", "--first-name", "Ada", "--last-name", "Lovelace",
                    "--job-title", "Countess")
        self.d1.run("sync")
        self.d2.run("sync")
        # device 2 changes the title and the company on the server
        sid = self.d2.json("contacts", "list")[0]["id"]
        self.d2.run("contacts", "edit", sid, "--job-title", "Duchess",
                    "--company", "Analytical Engines")
        self.d2.run("sync")
        # meanwhile the title is edited in device 1's file, and a nickname added
        ada = glob.glob(os.path.join(self.m1, "contacts", "Contacts", "*.vcf"))[0]
        with open(ada, newline="") as f:
            text = f.read()
        self.assertIn("TITLE:Countess\r\n", text)
        text = text.replace("TITLE:Countess\r\n",
                            "TITLE:Queen\r\nNICKNAME:Enchantress\r\n")
        with open(ada, "w", newline="") as f:
            f.write(text)
        cp = self.d1.run("sync")
        self.assertIn("1 conflicting versions were kept as sync issues", cp.stderr)
        on_server = self.server_items("contacts")[0]
        self.assertEqual(on_server["jobTitle"], "Duchess")   # server wins
        self.assertEqual(on_server["nickname"], "Enchantress")
        self.assertEqual(on_server["company"], "Analytical Engines")
        issues = self.d1.json("conflicts", "list")
        self.assertEqual(len(issues), 1, issues)
        self.assertEqual(issues[0]["fields"], {"jobTitle": "Queen"})
        with open(ada, newline="") as f:
            text = f.read()
        self.assertIn("TITLE:Duchess\r\n", text)
        self.assertIn("NICKNAME:Enchantress\r\n", text)
        self.assertIn("ORG:Analytical Engines", text)

    def test_daemon_watches_files(self):
        self.d1.run("contacts", "add", "--first-name", "Ada", "--last-name", "Lovelace")
        self.d1.run("sync")
        # an hour between polls: only the file watcher and push can be this fast
        self.d1.run("options", "set", "poll-interval", "1h")
        out = os.path.join(self.tmp, "daemon.out")
        proc = self.d1.popen("sync", "--daemon", log=out)

        def read_out():
            with open(out) as f:
                return f.read()
        try:
            self.assertTrue(wait_until(lambda: "synced:" in read_out(), 15), read_out())
            cp = self.khard(self.m1, "show", "--format", "yaml", "Lovelace")
            path = os.path.join(self.tmp, "ada.yaml")
            with open(path, "w") as f:
                f.write(cp.stdout.replace("\nTitle:\n", "\nTitle: Countess\n", 1))
            self.khard(self.m1, "edit", "-i", path, "Lovelace", input="y\n")
            self.assertTrue(wait_until(
                lambda: [f.get("jobTitle") for f in self.server_items("contacts")]
                == ["Countess"], 15), read_out())
            self.assertIn("mirror scanned: 1 modified", read_out())
            # a change from device 2, pushed: in device 1's files
            self.d2.run("sync")
            sid = self.d2.json("contacts", "list")[0]["id"]
            self.d2.run("contacts", "edit", sid, "--company", "Analytical Engines")
            self.d2.run("sync")
            ada = glob.glob(os.path.join(self.m1, "contacts", "Contacts", "*.vcf"))[0]

            def has_org():
                with open(ada) as f:
                    return "ORG:Analytical Engines" in f.read()
            self.assertTrue(wait_until(has_org, 15), read_out())
            self.assertIn("Analytical Engines",
                          self.khard(self.m1, "show", "--format", "yaml", "Lovelace").stdout)
            # the daemon's own writes do not make it sync again and again
            time.sleep(1.5)
            n = read_out().count("synced:")
            time.sleep(2)
            self.assertEqual(read_out().count("synced:"), n, read_out())
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=10), 0, read_out())

    # ---- appointments with khal ------------------------------------------------

    def calendar_dir(self, root):
        return os.path.join(root, "calendar", "Calendar")

    def khal_conf(self, root):
        path = os.path.join(self.tmp, "khal-%s.conf" % os.path.basename(root))
        with open(path, "w") as f:
            f.write("[calendars]\n[[calendar]]\npath = %s\ntype = calendar\n"
                    "[locale]\ntimeformat = %%H:%%M\ndateformat = %%Y-%%m-%%d\n"
                    "longdateformat = %%Y-%%m-%%d\ndatetimeformat = %%Y-%%m-%%d %%H:%%M\n"
                    "longdatetimeformat = %%Y-%%m-%%d %%H:%%M\n"
                    "local_timezone = Europe/Paris\ndefault_timezone = Europe/Paris\n"
                    "[default]\ndefault_calendar = calendar\n"
                    % self.calendar_dir(root))
        return path

    def khal(self, root, *args):
        return self.tool("khal", "-c", self.khal_conf(root), *args)

    def test_khal_two_devices(self):
        self.d2.run("calendar", "add", "--subject", "Design review",
                    "--start", "2030-03-04 10:00", "--end", "2030-03-04 11:00",
                    "--tz", "Europe/Paris", "--location", "Room 4")
        self.d2.run("sync")
        self.d1.run("sync")
        cp = self.khal(self.m1, "list", "2030-03-04", "2030-03-05")
        self.assertIn("10:00-11:00 Design review", cp.stdout)

        self.khal(self.m1, "new", "2030-03-05", "14:00", "15:30", "Planning",
                  "::", "Bring the figures")
        cp = self.d1.run("sync")
        self.assertIn("mirror scanned: 1 created", cp.stdout)
        on_server = {f["subject"]: f for f in self.server_items("calendar")}
        self.assertEqual(sorted(on_server), ["Design review", "Planning"])
        self.assertEqual(on_server["Planning"]["start"], "2030-03-05T13:00:00Z")
        self.assertEqual(on_server["Planning"]["end"], "2030-03-05T14:30:00Z")
        self.assertEqual(on_server["Planning"].get("timeZone"), "Europe/Paris")
        self.assertEqual(on_server["Planning"].get("notes"), "Bring the figures")

        self.d2.run("sync")
        cp = self.khal(self.m2, "list", "2030-03-04", "2030-03-06")
        self.assertIn("10:00-11:00 Design review", cp.stdout)
        self.assertIn("14:00-15:30 Planning", cp.stdout)

        # device 2 moves the review; device 1 removes the planning's file
        review = [a for a in self.d2.json("calendar", "list", "--from", "2030-03-04",
                                          "--to", "2030-03-04")
                  if a["subject"] == "Design review"][0]
        self.d2.run("calendar", "edit", review["id"], "--start", "2030-03-04 16:00",
                    "--tz", "Europe/Paris")
        self.d2.run("sync")
        planning = [p for p in glob.glob(os.path.join(self.calendar_dir(self.m1), "*.ics"))
                    if "SUMMARY:Planning" in self.read(p)]
        self.assertEqual(len(planning), 1)
        os.unlink(planning[0])
        cp = self.d1.run("sync")
        self.assertIn("mirror scanned: 1 deleted", cp.stdout)
        self.assertEqual([f["subject"] for f in self.server_items("calendar")],
                         ["Design review"])
        cp = self.khal(self.m1, "list", "2030-03-04", "2030-03-06")
        self.assertIn("16:00-17:00 Design review", cp.stdout)
        self.assertNotIn("Planning", cp.stdout)

    # ---- tasks with todoman ------------------------------------------------------

    def tasks_dir(self, root):
        return os.path.join(root, "tasks", "Tasks")

    def todoman(self, root, *args):
        conf = os.path.join(self.tmp, "todoman-%s.py" % os.path.basename(root))
        with open(conf, "w") as f:
            f.write('path = "%s/tasks/*"\ndate_format = "%%Y-%%m-%%d"\n'
                    'time_format = "%%H:%%M"\ndefault_list = "Tasks"\n'
                    'default_due = 0\nhumanize = False\ncache_path = "%s.cache"\n'
                    % (root, conf))
        return self.tool("todoman", "--config", conf, "--porcelain", *args)

    def test_todoman_two_devices(self):
        self.assertTrue(os.path.isdir(self.tasks_dir(self.m1)),
                        "the tasks folder is not mirrored (connector/mirror.c formats[])")
        # tasks made on device 2 reach device 1's files, and todoman reads them
        self.d2.run("tasks", "add", "--subject", "Pay the invoice", "--due", "2030-03-08",
                    "--priority", "high", "--notes", "Invoice 17")
        self.d2.run("tasks", "add", "--subject", "Call the bank", "--due", "2030-03-09 17:00",
                    "--tz", "Europe/Paris", "--status", "inProgress", "--percent", "40")
        self.d2.run("sync")
        cp = self.d1.run("sync")
        self.assertIn("mirror written: 2 written", cp.stdout)
        todos = {t["summary"]: t for t in
                 json.loads(self.todoman(self.m1, "list").stdout)}
        self.assertEqual(sorted(todos), ["Call the bank", "Pay the invoice"])
        invoice, bank = todos["Pay the invoice"], todos["Call the bank"]
        self.assertEqual(invoice["priority"], 1)          # high
        self.assertEqual(invoice["description"], "Invoice 17")
        self.assertEqual(time.strftime("%Y-%m-%d", time.gmtime(invoice["due"] + 7200)),
                         "2030-03-08")                    # a date: local midnight
        self.assertEqual(bank["due"], 1899302400)          # 2030-03-09 16:00Z
        self.assertEqual(bank["percent"], 40)
        files = [self.read(p) for p in glob.glob(os.path.join(self.tasks_dir(self.m1), "*.ics"))]
        self.assertTrue(any("DUE;VALUE=DATE:20300308\r\n" in t for t in files), files)
        self.assertTrue(any("DUE;TZID=Europe/Paris:20300309T170000\r\n" in t for t in files),
                        files)

        # tasks made with todoman reach the server and device 2
        # (todoman 4.1 needs --priority with --porcelain)
        self.todoman(self.m1, "new", "--priority", "0", "--list", "Tasks",
                     "Write the report")
        self.todoman(self.m1, "new", "--priority", "0", "--list", "Tasks", "Book the room")
        cp = self.d1.run("sync")
        self.assertIn("mirror scanned: 2 created", cp.stdout)
        self.assertEqual(sorted(f["subject"] for f in self.server_items("tasks")),
                         ["Book the room", "Call the bank", "Pay the invoice",
                          "Write the report"])
        self.d2.run("sync")
        todos = json.loads(self.todoman(self.m2, "list").stdout)
        ids = {t["summary"]: t["id"] for t in todos}
        self.assertEqual(sorted(ids), ["Book the room", "Call the bank", "Pay the invoice",
                                       "Write the report"])

        # `todo done` on device 2: completed on the server, then on device 1
        self.todoman(self.m2, "done", str(ids["Book the room"]))
        self.todoman(self.m2, "done", str(ids["Call the bank"]))
        cp = self.d2.run("sync")
        self.assertIn("mirror scanned: 2 modified", cp.stdout)
        on_server = {f["subject"]: f for f in self.server_items("tasks")}
        for name in ("Book the room", "Call the bank"):
            self.assertEqual(on_server[name]["status"], "completed", on_server[name])
            self.assertEqual(on_server[name]["percentComplete"], 100, on_server[name])
            self.assertRegex(on_server[name]["dateCompleted"],
                             r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertNotEqual(on_server["Write the report"].get("status"), "completed")
        # what todoman did not touch is as it was
        self.assertEqual(on_server["Call the bank"]["due"], "2030-03-09T16:00:00Z")
        self.assertEqual(on_server["Call the bank"]["timeZone"], "Europe/Paris")
        self.assertEqual(on_server["Pay the invoice"]["priority"], "high")
        self.d1.run("sync")
        local = {t["fields"]["subject"]: t["fields"] for t in self.d1.json("tasks", "list")}
        self.assertEqual(local["Book the room"]["status"], "completed")
        todos = json.loads(self.todoman(self.m1, "list", "--status", "ANY").stdout)
        done = {t["summary"]: t["completed"] for t in todos}
        self.assertEqual(done, {"Book the room": True, "Call the bank": True,
                                "Pay the invoice": False, "Write the report": False})

        # nothing left to do on either side
        for dev in (self.d1, self.d2):
            cp = dev.run("sync")
            self.assertNotIn("mirror", cp.stdout)
            self.assertIn(" 0 received, 0 sent,", cp.stdout)

if __name__ == "__main__":
    unittest.main()
