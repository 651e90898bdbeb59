"""Blobs through the API (docs/protocol.md "Blobs: photos and attachments"):
POST /api/blob streams a body into the content-addressed store (refused at
the per-file limit with the limit in the error, before or while the body
arrives), HEAD and GET /api/blob/ID answer only users who uploaded the blob
or may read an item referencing it, a contact's photo must be a JPEG, PNG or
GIF of its declared type within the photo limit (checked by content, never
by name), and attachments on contacts, appointments and tasks name existing
blobs within the per-item limit, their size and type set by the server.
Every JSON reply is checked against its schema.
"""
import hashlib
import os
import socket
import struct
import sys
import unittest
import uuid
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TempDirTestCase  # noqa: E402

PW = "Blob-Store-2026"
MIB = 1024 * 1024


def png(width=2, height=3, pad=0):
    """A valid PNG; pad adds an ancillary chunk of that many bytes."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\0" + b"\xff\x00\x00" * width for _ in range(height))
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


def gif():
    return (b"GIF89a" + struct.pack("<HH", 1, 1) + b"\x80\0\0" + b"\0\0\0\xff\xff\xff"
            + b",\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;")


def blob_id(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Blobs(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        for login in ("alice", "bob", "carol"):
            self.srv.add_user(login, login.title(), login + "@example.test", PW)
        self.srv.start()
        self.api, self.folders = {}, {}
        for login in ("alice", "bob", "carol"):
            self.api[login] = self.srv.api(login, PW)
            self.api[login].login()
            folders = self.api[login].result("Folder/sync", {})["created"]
            self.folders[login] = {f["module"]: f["id"] for f in folders
                                   if f["isDefault"] and f["type"] == "private"}

    # -- helpers

    def upload(self, login, data, ctype="application/octet-stream"):
        return self.api[login].request("POST", "/api/blob", data,
                                       headers={"Content-Type": ctype},
                                       schema="blob.response")

    def create(self, login, module, type_, fields):
        r = self.api[login].result("Item/sync", {
            "folderId": self.folders[login][module], "sinceToken": None,
            "changes": {"create": [{"clientId": "c-" + uuid.uuid4().hex, "type": type_,
                                    "fields": fields}]}})
        return r["results"][0]

    def update(self, login, module, item, fields):
        r = self.api[login].result("Item/sync", {
            "folderId": self.folders[login][module], "sinceToken": None,
            "changes": {"update": [{"id": item["id"], "baseVersion": item["version"],
                                    "fields": fields}]}})
        return r["results"][0]

    def raw_post(self, head, body_chunks):
        """Sends a request by hand; returns (status line, body bytes)."""
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=60)
        try:
            s.sendall(head)
            for c in body_chunks:
                try:
                    s.sendall(c)
                except (BrokenPipeError, ConnectionResetError):
                    break
            data = b""
            while b"\r\n\r\n" not in data:
                got = s.recv(65536)
                if not got:
                    break
                data += got
            headers, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in headers.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v)
            while len(body) < length:
                got = s.recv(65536)
                if not got:
                    break
                body += got
            return headers.split(b"\r\n")[0].decode(), body
        finally:
            s.close()

    def auth(self, login):
        return ("Authorization: Bearer %s\r\n" % self.api[login].token).encode()

    # -- tests

    def test_session_publishes_the_limits(self):
        limits = self.api["alice"].session().body["limits"]
        self.assertEqual(limits["maxBlobBytes"], 25 * MIB)
        self.assertEqual(limits["maxPhotoBytes"], 1 * MIB)
        self.assertEqual(limits["maxAttachmentBytesPerItem"], 50 * MIB)
        fields = limits["fields"]
        self.assertEqual(fields["contact"]["photo"]["type"], "object")
        for t in ("contact", "appointment", "task"):
            self.assertEqual(fields[t]["attachments"]["maxItems"], 32)

    def test_upload_head_get(self):
        data = b"%PDF-1.4 report\n" + os.urandom(5000)
        r = self.upload("alice", data, "application/pdf")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.body, {"blobId": blob_id(data), "size": len(data),
                                  "type": "application/pdf"})
        # again: the same id, nothing new
        r2 = self.upload("alice", data, "application/pdf")
        self.assertEqual(r2.body, r.body)
        path = "/api/blob/" + blob_id(data)
        self.assertEqual(self.api["alice"].request("HEAD", path).status, 200)
        got = self.api["alice"].request("GET", path)
        self.assertEqual(got.status, 200)
        self.assertEqual(got.raw, data)
        self.assertEqual(got.headers["Content-Type"], "application/pdf")
        # stored content-addressed under DATA/blobs/ab/cdef...
        hexd = blob_id(data)[7:]
        with open(os.path.join(self.srv.data, "blobs", hexd[:2], hexd[2:]), "rb") as f:
            self.assertEqual(f.read(), data)
        other = blob_id(b"never uploaded")
        self.assertEqual(self.api["alice"].request("HEAD", "/api/blob/" + other).status, 404)
        self.assertEqual(self.api["alice"].request("GET", "/api/blob/" + other).status, 404)
        self.assertEqual(self.api["alice"].request("GET", "/api/blob/nonsense").status, 404)
        # credentials needed, for uploads too
        self.assertEqual(self.api["alice"].request("GET", path, auth=None).status, 401)
        self.assertEqual(self.api["alice"].request("POST", "/api/blob", b"x", auth=None).status,
                         401)
        # an image is kept with its sniffed type whatever the client said
        r = self.upload("alice", gif(), "application/octet-stream")
        self.assertEqual(r.body["type"], "image/gif")

    def test_garbage_collection(self):
        """Blobs no item references go after a grace period counted from
        their last upload or HEAD (the client's "I am about to use it");
        referenced ones stay, whatever their age."""
        import time
        kept, unused, asked = (b"kept " + os.urandom(64), b"unused " + os.urandom(64),
                               b"asked " + os.urandom(64))
        for data in (kept, unused, asked):
            self.assertEqual(self.upload("alice", data).status, 200)
        r = self.create("alice", "contacts", "contact", {
            "displayName": "Ann", "attachments": [{"blobId": blob_id(kept), "name": "k.bin"}]})
        self.assertEqual(r["status"], "ok", r)
        contact = r["item"]
        out = self.srv.cli("blobs", "collect", "--older-than", "3600").stdout
        self.assertIn("removed 0 unreferenced blobs", out)
        # seconds are the unit: ages of 4.5 s against a grace of 3 s leave a
        # loaded machine 3 s between the HEAD and the collection
        time.sleep(4.5)
        self.assertEqual(self.api["alice"].request("HEAD", "/api/blob/" + blob_id(asked)).status,
                         200)
        out = self.srv.cli("blobs", "collect", "--older-than", "3").stdout
        self.assertIn("removed 1 unreferenced blobs", out)

        def status(data):
            return self.api["alice"].request("GET", "/api/blob/" + blob_id(data)).status
        self.assertEqual((status(kept), status(unused), status(asked)), (200, 404, 200))
        hexd = blob_id(unused)[7:]
        self.assertFalse(os.path.exists(os.path.join(self.srv.data, "blobs", hexd[:2],
                                                     hexd[2:])))
        # uploaded again, it is back; referenced no more, it goes in its turn
        self.assertEqual(self.upload("alice", unused).status, 200)
        self.assertEqual(status(unused), 200)
        r = self.update("alice", "contacts", contact, {"attachments": None})
        self.assertEqual(r["status"], "ok", r)
        time.sleep(4.5)
        out = self.srv.cli("blobs", "collect", "--older-than", "3").stdout
        self.assertIn("removed 3 unreferenced blobs", out)
        self.assertEqual((status(kept), status(unused), status(asked)), (404, 404, 404))

    def test_limit_refused_while_streaming(self):
        limit = 25 * MIB
        # a declared length over the limit: refused before the body is sent
        status, body = self.raw_post(
            b"POST /api/blob HTTP/1.1\r\nHost: x\r\n" + self.auth("alice")
            + b"Content-Type: application/octet-stream\r\nExpect: 100-continue\r\n"
            + b"Content-Length: %d\r\n\r\n" % (30 * MIB), [])
        self.assertIn(" 413 ", status)
        import json
        err = json.loads(body)["error"]
        self.api["alice"].validate("http-error", {"error": err})
        self.assertEqual(err["type"], "limitExceeded")
        self.assertEqual(err["field"], "maxBlobBytes")
        self.assertIn(str(limit), err["message"])
        # a chunked body of 30 MiB: refused once it passes the limit
        piece = os.urandom(MIB)
        chunks = [b"%x\r\n" % len(piece) + piece + b"\r\n" for _ in range(30)] + [b"0\r\n\r\n"]
        status, body = self.raw_post(
            b"POST /api/blob HTTP/1.1\r\nHost: x\r\n" + self.auth("alice")
            + b"Transfer-Encoding: chunked\r\n\r\n", chunks)
        self.assertIn(" 413 ", status)
        err = json.loads(body)["error"]
        self.assertEqual(err["field"], "maxBlobBytes")
        self.assertIn(str(limit), err["message"])
        self.assertEqual(os.listdir(os.path.join(self.srv.data, "blobs", "tmp")), [])
        # 20 MiB is fine, streamed the same way
        data = os.urandom(20 * MIB)
        status, body = self.raw_post(
            b"POST /api/blob HTTP/1.1\r\nHost: x\r\n" + self.auth("alice")
            + b"Transfer-Encoding: chunked\r\n\r\n",
            [b"%x\r\n" % MIB + data[i:i + MIB] + b"\r\n" for i in range(0, len(data), MIB)]
            + [b"0\r\n\r\n"])
        self.assertIn(" 200 ", status)
        self.assertEqual(json.loads(body)["blobId"], blob_id(data))
        got = self.api["alice"].request("GET", "/api/blob/" + blob_id(data))
        self.assertEqual(len(got.raw), len(data))
        self.assertEqual(hashlib.sha256(got.raw).hexdigest(), blob_id(data)[7:])
        self.assertEqual(os.listdir(os.path.join(self.srv.data, "blobs", "tmp")), [])

    def test_access(self):
        data = b"minutes of the meeting\n"
        bid = self.upload("alice", data, "text/plain").body["blobId"]
        path = "/api/blob/" + bid
        # bob has no right to it: it does not exist for him
        self.assertEqual(self.api["bob"].request("GET", path).status, 404)
        self.assertEqual(self.api["bob"].request("HEAD", path).status, 404)
        # nor may he reference it
        r = self.create("bob", "contacts", "contact", {
            "lastName": "Thief", "attachments": [{"blobId": bid, "name": "m.txt"}]})
        self.assertEqual(r["status"], "error")
        self.assertEqual(r["error"]["type"], "invalidField")
        self.assertEqual(r["error"]["field"], "attachments[0].blobId")
        # alice attaches it to a contact and lets bob read her contacts
        r = self.create("alice", "contacts", "contact", {
            "lastName": "Lee", "attachments": [{"blobId": bid, "name": "m.txt"}]})
        self.assertEqual(r["status"], "ok", r)
        self.api["alice"].result("Folder/setPermissions", {
            "folderId": self.folders["alice"]["contacts"],
            "set": [{"principal": {"type": "user", "login": "bob"}, "level": "reviewer"}]})
        self.assertEqual(self.api["bob"].request("HEAD", path).status, 200)
        self.assertEqual(self.api["bob"].request("GET", path).raw, data)
        self.assertEqual(self.api["carol"].request("GET", path).status, 404)
        # bob may now reference what he can read
        r = self.create("bob", "contacts", "contact", {
            "lastName": "Copy", "attachments": [{"blobId": bid, "name": "copy.txt"}]})
        self.assertEqual(r["status"], "ok", r)
        # a private item does not open its blobs to others
        secret = b"private notes\n"
        sid = self.upload("alice", secret, "text/plain").body["blobId"]
        r = self.create("alice", "contacts", "contact", {
            "lastName": "Secret", "private": True,
            "attachments": [{"blobId": sid, "name": "s.txt"}]})
        self.assertEqual(r["status"], "ok", r)
        self.assertEqual(self.api["bob"].request("GET", "/api/blob/" + sid).status, 404)

    def test_photo_checked_by_content(self):
        p = png()
        r = self.upload("alice", p, "image/jpeg")  # a PNG named .jpg
        self.assertEqual(r.body["type"], "image/png")
        r = self.create("alice", "contacts", "contact", {
            "lastName": "Lee", "photo": {"blobId": blob_id(p), "type": "image/jpeg"}})
        self.assertEqual(r["status"], "error")
        self.assertEqual(r["error"]["type"], "invalidField")
        self.assertEqual(r["error"]["field"], "photo")
        self.assertIn("image/png", r["error"]["message"])
        # a text file declared as a JPEG is no photo either
        text = b"this is not a picture\n"
        r = self.upload("alice", text, "image/jpeg")
        self.assertEqual(r.body["type"], "application/octet-stream")
        r = self.create("alice", "contacts", "contact", {
            "lastName": "Lee", "photo": {"blobId": blob_id(text), "type": "image/jpeg"}})
        self.assertEqual(r["status"], "error")
        self.assertEqual(r["error"]["field"], "photo")
        # the right declarations are accepted, size set by the server
        c = self.create("alice", "contacts", "contact", {
            "lastName": "Lee", "photo": {"blobId": blob_id(p), "type": "image/png"}})
        self.assertEqual(c["status"], "ok", c)
        self.assertEqual(c["item"]["fields"]["photo"],
                         {"blobId": blob_id(p), "type": "image/png", "size": len(p)})
        j = jpeg()
        self.assertEqual(self.upload("alice", j, "image/jpeg").body["type"], "image/jpeg")
        u = self.update("alice", "contacts", c["item"], {
            "photo": {"blobId": blob_id(j), "type": "image/jpeg"}})
        self.assertEqual(u["status"], "ok", u)
        self.assertEqual(u["item"]["fields"]["photo"]["size"], len(j))
        # removal
        u = self.update("alice", "contacts", u["item"], {"photo": None})
        self.assertEqual(u["status"], "ok", u)
        self.assertNotIn("photo", u["item"]["fields"])
        # over the photo limit, with the limit in the error
        big = png(pad=MIB + 10)
        self.assertEqual(self.upload("alice", big, "image/png").body["type"], "image/png")
        r = self.create("alice", "contacts", "contact", {
            "lastName": "Big", "photo": {"blobId": blob_id(big), "type": "image/png"}})
        self.assertEqual(r["status"], "error")
        self.assertEqual(r["error"]["field"], "photo")
        self.assertIn(str(MIB), r["error"]["message"])
        # an id that is not a content hash
        r = self.create("alice", "contacts", "contact", {
            "lastName": "Bad", "photo": {"blobId": "sha256:xyz", "type": "image/png"}})
        self.assertEqual(r["error"]["field"], "photo.blobId")

    def test_attachments_on_every_type(self):
        a = b"agenda\n"
        b = b"%PDF-1.4 plan"
        self.upload("alice", a, "text/plain")
        self.upload("alice", b, "application/pdf")
        cases = (("contacts", "contact", {"lastName": "Lee"}),
                 ("calendar", "appointment", {"subject": "Review",
                                              "start": "2026-03-02T09:00:00Z",
                                              "end": "2026-03-02T10:00:00Z"}),
                 ("tasks", "task", {"subject": "Prepare"}))
        for module, type_, fields in cases:
            with self.subTest(type_):
                f = dict(fields, attachments=[{"blobId": blob_id(a), "name": "agenda.txt",
                                               "type": "application/x-made-up"}])
                r = self.create("alice", module, type_, f)
                self.assertEqual(r["status"], "ok", r)
                self.assertEqual(r["item"]["fields"]["attachments"], [
                    {"blobId": blob_id(a), "name": "agenda.txt", "type": "text/plain",
                     "size": len(a)}])
                # change: another file added
                u = self.update("alice", module, r["item"], {"attachments": [
                    {"blobId": blob_id(a), "name": "agenda.txt"},
                    {"blobId": blob_id(b), "name": "plan.pdf"}]})
                self.assertEqual(u["status"], "ok", u)
                self.assertEqual([x["size"] for x in u["item"]["fields"]["attachments"]],
                                 [len(a), len(b)])
                got = self.api["alice"].result("Item/get", {
                    "folderId": self.folders["alice"][module], "ids": [r["id"]]})["items"][0]
                self.assertEqual(got["fields"]["attachments"][1]["type"], "application/pdf")
                # removal
                u = self.update("alice", module, u["item"], {"attachments": None})
                self.assertEqual(u["status"], "ok", u)
                self.assertNotIn("attachments", u["item"]["fields"])
        # names are file names
        r = self.create("alice", "tasks", "task", {"subject": "x", "attachments": [
            {"blobId": blob_id(a), "name": "../etc/passwd"}]})
        self.assertEqual(r["error"]["field"], "attachments[0].name")

    def test_per_item_limit(self):
        ids = []
        for n in (20, 20, 11):
            data = os.urandom(n * MIB)
            r = self.upload("alice", data)
            self.assertEqual(r.status, 200, r.body)
            ids.append(r.body["blobId"])
        two = [{"blobId": ids[0], "name": "a.bin"}, {"blobId": ids[1], "name": "b.bin"}]
        r = self.create("alice", "tasks", "task", {"subject": "ok", "attachments": two})
        self.assertEqual(r["status"], "ok", r)
        r = self.create("alice", "tasks", "task", {"subject": "too much", "attachments": two + [
            {"blobId": ids[2], "name": "c.bin"}]})
        self.assertEqual(r["status"], "error")
        self.assertEqual(r["error"]["type"], "limitExceeded")
        self.assertEqual(r["error"]["field"], "attachments")
        self.assertIn(str(50 * MIB), r["error"]["message"])


if __name__ == "__main__":
    unittest.main()
