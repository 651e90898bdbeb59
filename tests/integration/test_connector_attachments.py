"""Photos and attachments through the connector and a real atriumd.

Device 1 sets a contact's photo (a PNG, checked by content and against the
photo limit before it is taken), changes it to a JPEG and removes it; each
change reaches device 2 by sync, which downloads the photo only when it
needs the bytes (a vCard export).  Editing the contact without changing
its photo uploads nothing: the server log counts every POST /api/blob
that stored a blob.  Attachments are added on a contact and a task on one
device, listed (metadata only) and fetched on demand on the other, and
removed there.  A vCard with an inline photo imports into the photo field
(no PHOTO line left in vcardExtra) and exports with the photo again.
"""
import base64
import hashlib
import json
import os
import re
import struct
import sys
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TempDirTestCase  # noqa: E402

PW = "Photo-Attach-2026"
MIB = 1024 * 1024


def png(width=2, height=3, pad=0):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\0" + b"\x10\x20\x30" * width for _ in range(height))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                                           8, 2, 0, 0, 0))
    if pad:
        out += chunk(b"tEXt", b"c\0" + b"x" * pad)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def jpeg(width=16, height=8):
    app0 = b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
            + b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof + b"\xff\xd9")


def blob_id(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Attachments(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.srv.start()
        self.d1 = self.connector("desktop")
        self.d2 = self.connector("laptop")
        for dev in (self.d1, self.d2):
            dev.add_profile("work", self.srv.url, "alice", PW)
            dev.run("sync")

    def file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def uploads(self):
        with open(self.srv.log_path, encoding="utf-8", errors="replace") as f:
            return len(re.findall(r"blob sha256:[0-9a-f]{64} \(.*\) uploaded by alice", f.read()))

    def local_id(self, dev, server_id, kind="contacts"):
        for it in dev.json(kind, "list"):
            if it["serverId"] == server_id:
                return it["id"]
        self.fail("server id %s not on the device" % server_id)

    def show(self, dev, ref, kind="contacts"):
        return dev.json(kind, "show", ref)

    def test_photo_set_change_remove(self):
        cp = self.d1.run("contacts", "add", "--first-name", "Ada", "--last-name", "Lee")
        c1 = cp.stdout.strip().splitlines()[-1]
        self.d1.run("sync")
        sid = self.show(self.d1, c1)["serverId"]
        before = self.uploads()
        # a non-image and an image over the limit are refused locally
        cp = self.d1.run("contacts", "edit", c1, "--photo", self.file("notes.jpg", b"hello\n"),
                         check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("not a JPEG, PNG or GIF", cp.stderr)
        cp = self.d1.run("contacts", "edit", c1, "--photo",
                         self.file("big.png", png(pad=MIB + 10)), check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn(str(MIB), cp.stderr)
        # set
        p = png()
        self.d1.run("contacts", "edit", c1, "--photo", self.file("ada.png", p))
        self.assertEqual(self.show(self.d1, c1)["fields"]["photo"]["blobId"], blob_id(p))
        self.d1.run("sync")
        self.assertEqual(self.uploads(), before + 1)
        self.assertEqual(self.show(self.d1, c1)["state"], "synced")
        self.d2.run("sync")
        c2 = self.local_id(self.d2, sid)
        self.assertEqual(self.show(self.d2, c2)["fields"]["photo"],
                         {"blobId": blob_id(p), "type": "image/png", "size": len(p)})
        # the laptop has only the metadata until it needs the bytes
        cache2 = os.path.join(self.d2.home, "profiles", "work", "blobs")
        hexd = blob_id(p)[7:]
        self.assertFalse(os.path.exists(os.path.join(cache2, hexd[:2], hexd[2:])))
        out = os.path.join(self.tmp, "laptop.vcf")
        self.d2.run("export", "vcf", out, "--version", "4.0")
        with open(out, encoding="utf-8", newline="") as f:
            text = f.read().replace("\r\n ", "")
        self.assertIn("PHOTO:data:image/png;base64," + base64.b64encode(p).decode(), text)
        self.assertTrue(os.path.exists(os.path.join(cache2, hexd[:2], hexd[2:])))
        # an edit that leaves the photo as it is uploads nothing
        self.d1.run("contacts", "edit", c1, "--photo", self.file("again.png", p),
                    "--job-title", "Engineer")
        self.d1.run("sync")
        self.assertEqual(self.uploads(), before + 1)
        self.d2.run("sync")
        self.assertEqual(self.show(self.d2, c2)["fields"]["jobTitle"], "Engineer")
        # change
        j = jpeg()
        self.d1.run("contacts", "edit", c1, "--photo", self.file("ada.jpg", j))
        self.d1.run("sync")
        self.assertEqual(self.uploads(), before + 2)
        self.d2.run("sync")
        self.assertEqual(self.show(self.d2, c2)["fields"]["photo"]["type"], "image/jpeg")
        self.d2.run("export", "vcf", out)
        with open(out, encoding="utf-8", newline="") as f:
            text = f.read().replace("\r\n ", "")
        self.assertIn("PHOTO;ENCODING=b;TYPE=JPEG:" + base64.b64encode(j).decode(), text)
        # removal
        self.d1.run("contacts", "edit", c1, "--photo", "")
        self.d1.run("sync")
        self.d2.run("sync")
        self.assertNotIn("photo", self.show(self.d2, c2)["fields"])
        self.d2.run("export", "vcf", out)
        with open(out, encoding="utf-8", newline="") as f:
            self.assertNotIn("PHOTO", f.read())

    def test_attachments_across_devices(self):
        cp = self.d1.run("contacts", "add", "--last-name", "Stone")
        c1 = cp.stdout.strip().splitlines()[-1]
        cp = self.d1.run("tasks", "add", "--subject", "Prepare the review")
        t1 = cp.stdout.strip().splitlines()[-1]
        report = b"%PDF-1.4\n" + os.urandom(300 * 1024)
        notes = b"agenda: one, two\n"
        self.d1.run("attach", c1, self.file("report.pdf", report))
        self.d1.run("attach", c1, self.file("n.txt", notes), "--name", "agenda.txt")
        self.d1.run("attach", t1, self.file("report.pdf", report))
        self.d1.run("sync")
        self.assertEqual(self.uploads(), 2)  # the report once, whatever holds it
        self.d2.run("sync")
        c2 = self.local_id(self.d2, self.show(self.d1, c1)["serverId"])
        t2 = self.local_id(self.d2, self.show(self.d1, t1, "tasks")["serverId"], "tasks")
        listed = self.d2.json("attachments", c2)
        self.assertEqual([(a["name"], a["size"], a["cached"]) for a in listed],
                         [("report.pdf", len(report), False), ("agenda.txt", len(notes), False)])
        got = os.path.join(self.tmp, "got.pdf")
        cp = self.d2.run("attachments", "get", c2, "report.pdf", "--out", got)
        with open(got, "rb") as f:
            self.assertEqual(f.read(), report)
        self.assertTrue(self.d2.json("attachments", c2)[0]["cached"])
        # by blob id, from a task, into the current directory by its name
        cwd = os.getcwd()
        os.chdir(self.tmp)
        try:
            os.remove(got)
            self.d2.run("attachments", "get", t2, blob_id(report))
            with open(os.path.join(self.tmp, "report.pdf"), "rb") as f:
                self.assertEqual(f.read(), report)
        finally:
            os.chdir(cwd)
        # removed on the laptop, gone on the desktop
        self.d2.run("attachments", "remove", c2, "report.pdf")
        self.d2.run("sync")
        self.d1.run("sync")
        self.assertEqual([a["name"] for a in self.d1.json("attachments", c1)], ["agenda.txt"])
        self.d2.run("attachments", "remove", c2, "agenda.txt")
        self.d2.run("sync")
        self.d1.run("sync")
        self.assertEqual(self.d1.json("attachments", c1), [])
        self.assertNotIn("attachments", self.show(self.d1, c1)["fields"])
        # a name the item does not have
        cp = self.d1.run("attachments", "get", c1, "nothing", check=False)
        self.assertEqual(cp.returncode, 1)
        # the laptop's cache still holds the report, which the task keeps, and
        # the notes, which nothing references any more: a prune takes only
        # those (a sync does it for files older than a week)
        def cached(data):
            hexd = blob_id(data)[7:]
            return [os.path.join(r, f) for r, _, fs in os.walk(self.d2.home) for f in fs
                    if f == hexd[2:] and os.path.basename(r) == hexd[:2]]
        self.assertTrue(cached(report))
        self.assertEqual(self.d2.run("attachments", "prune").stdout, "removed 0 cached files\n")
        self.d2.run("attach", t2, self.file("stray.bin", b"stray"))
        self.d2.run("attachments", "remove", t2, "stray.bin")
        self.assertTrue(cached(b"stray"))
        out = self.d2.run("attachments", "prune", "--older-than", "0").stdout
        self.assertEqual(out, "removed 1 cached file\n")
        self.assertFalse(cached(b"stray"))
        self.assertTrue(cached(report))
        cp = self.d2.run("attachments", "prune", "--older-than", "soon", check=False)
        self.assertEqual(cp.returncode, 2)

    def test_vcard_photo_import_export(self):
        p = png(5, 4)
        card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Grace Hopper\r\nN:Hopper;Grace;;;\r\n"
                "PHOTO;ENCODING=b;TYPE=PNG:" + base64.b64encode(p).decode() + "\r\n"
                "X-CUSTOM:kept\r\nEND:VCARD\r\n")
        self.d1.run("import", "vcf", self.file("grace.vcf", card.encode()))
        [it] = self.d1.json("contacts", "list")
        self.assertEqual(it["fields"]["photo"],
                         {"blobId": blob_id(p), "type": "image/png", "size": len(p)})
        self.assertEqual(it["fields"]["vcardExtra"], "X-CUSTOM:kept")
        self.d1.run("sync")
        self.assertEqual(self.uploads(), 1)
        self.d2.run("sync")
        out = os.path.join(self.tmp, "out.vcf")
        self.d2.run("export", "vcf", out, "--version", "4.0")
        with open(out, encoding="utf-8", newline="") as f:
            text = f.read().replace("\r\n ", "")
        self.assertIn("PHOTO:data:image/png;base64," + base64.b64encode(p).decode(), text)
        self.assertIn("X-CUSTOM:kept", text)
        self.assertEqual(text.count("PHOTO"), 1)


if __name__ == "__main__":
    unittest.main()
