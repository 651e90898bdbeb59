"""vCard import and export through a real atriumd.

Device 1 imports a file of six cards (3.0, 4.0, an Outlook 2.1 card, and
three that cannot be imported: a broken line, a distribution list, a value
over its limit), reported as FILE:LINE: reason; the other three become
contacts and reach the server with one sync.  Device 2 syncs and exports
them, one file per contact and as one 4.0 file.  Two more devices import
those exports offline and hold exactly the fields the server has (a card
without a UID gains the server id as its UID, nothing else changes).
"""
import glob
import json
import os
import unittest

from harness import TempDirTestCase

PW = "Vcard-Import-2026"

CARD_30 = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "UID:urn:uuid:5e1c9a52-1111-4d6e-9c2a-2f1d0c3b4a51\r\n"
    "FN:Ada King\\, Countess of Lovelace\r\n"
    "N:Lovelace;Ada;Augusta;Lady;\r\n"
    "NICKNAME:Enchantress of Numbers\r\n"
    "ORG:Analytical Engines Ltd;Research\\; Looms\r\n"
    "TITLE:Countess\r\n"
    "ROLE:Mathematician\r\n"
    "X-OFFICE:Room 4\r\n"
    "X-MANAGER:Charles Babbage\r\n"
    "BDAY:1815-12-10\r\n"
    "X-ANNIVERSARY:1835-07-08\r\n"
    "TEL;TYPE=work,voice:+44 20 7946 0001\r\n"
    "TEL;TYPE=work,voice:+44 20 7946 0002\r\n"
    "TEL;TYPE=cell:+44 7700 900123\r\n"
    "TEL;TYPE=x-callback:+44 20 7946 0003\r\n"
    "TEL;TYPE=home,fax:+44 20 7946 0004\r\n"
    "ADR;TYPE=work:;;12 St James's Square;London;;SW1Y 4JH;United Kingdom\r\n"
    "ADR;TYPE=home:;;Ockham Park;Ockham;Surrey;GU23 6NG;UK\r\n"
    "EMAIL;TYPE=internet:ada@engines.example\r\n"
    "EMAIL;TYPE=internet,pref:ada@lovelace.example\r\n"
    "URL:https://lovelace.example/notes?a=1,b=2\r\n"
    "NOTE:Wrote the first program\\nfor the Analytical Engine\\, 1843.\r\n"
    "CATEGORIES:Mathematicians,Poets\\, Daughters of\r\n"
    "CLASS:PRIVATE\r\n"
    "PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgoAAQL/\r\n"
    "X-CUSTOM;X-PARAM=\"a;b\":kept\\, as is\r\n"
    "END:VCARD\r\n")

CARD_40 = (
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "UID:urn:uuid:5e1c9a52-2222-4d6e-9c2a-2f1d0c3b4a52\r\n"
    "FN:Grace Hopper\r\n"
    "N:Hopper;Grace;Brewster Murray;Rear Admiral;\r\n"
    "ANNIVERSARY:19300615\r\n"
    "RELATED;TYPE=spouse;VALUE=text:Vincent Foster Hopper\r\n"
    "TEL;VALUE=uri;TYPE=\"work,voice\";PREF=1:tel:+1-202-555-0101\r\n"
    "TEL;TYPE=textphone:+1 202 555 0102\r\n"
    "EMAIL;PREF=2:grace@navy.example\r\n"
    "EMAIL;PREF=1:grace@hopper.example\r\n"
    "IMPP:xmpp:grace@chat.example\r\n"
    "item1.X-ABLABEL:_$!<Other>!$_\r\n"
    "PHOTO:data:image/png;base64,iVBORw0KGgoAAQL/\r\n"
    "X-PRIVATE:FALSE\r\n"
    "END:VCARD\r\n")

# Outlook's 2.1: windows-1252 bytes, quoted-printable, bare types, no UID
CARD_21 = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:2.1\r\n"
    b"N;LANGUAGE=de:M\xfcller;J\xfcrgen\r\n"
    b"FN:J\xfcrgen M\xfcller\r\n"
    b"TEL;WORK;VOICE:+49 30 1234\r\n"
    b"TEL;HOME;VOICE:+49 30 5678\r\n"
    b"ADR;WORK;ENCODING=QUOTED-PRINTABLE:;;Stra=DFe 1=0D=0AHof;Berlin;;10115;Deutschland\r\n"
    b"NOTE;ENCODING=QUOTED-PRINTABLE:Zeile 1=0D=0AZeile 2 =\r\n"
    b"geht weiter\r\n"
    b"X-MS-IMADDRESS:juergen@im.example\r\n"
    b"EMAIL;PREF;INTERNET:juergen@example.de\r\n"
    b"END:VCARD\r\n")

BROKEN = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:Broken\r\n"
    "TEL;=work:1\r\n"
    "END:VCARD\r\n")

LIST = (
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "KIND:group\r\n"
    "FN:Pioneers\r\n"
    "MEMBER:urn:uuid:5e1c9a52-1111-4d6e-9c2a-2f1d0c3b4a51\r\n"
    "END:VCARD\r\n")

TOO_LONG = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:Long\r\n"
    "NICKNAME:" + "n" * 129 + "\r\n"
    "END:VCARD\r\n")


class ConnectorVcard(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv.start()
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.d1 = self.connector("desktop")
        self.d2 = self.connector("laptop")
        for c in (self.d1, self.d2):
            c.add_profile("work", self.srv.url, "alice", PW)
            c.run("sync")
        self.api = self.srv.api("alice", PW)
        self.api.login()
        folders = self.api.result("Folder/sync", {})["created"]
        self.contacts = [f["id"] for f in folders
                         if f["module"] == "contacts" and f["isDefault"]][0]

    def server_items(self):
        ids = [x["id"] for x in
               self.api.result("Item/list", {"folderId": self.contacts})["items"]]
        items = self.api.result("Item/get", {"folderId": self.contacts,
                                             "ids": ids})["items"]
        return {it["id"]: it["fields"] for it in items}

    def by_name(self, items):
        """{lastName: fields} of a list of items."""
        return {it["fields"]["lastName"]: it["fields"] for it in items}

    def test_import_sync_export_import(self):
        path = os.path.join(self.tmp, "address book.vcf")
        with open(path, "wb") as f:
            f.write(CARD_30.encode() + BROKEN.encode() + CARD_40.encode() +
                    LIST.encode() + CARD_21 + TOO_LONG.encode())
        cp = self.d1.run("import", "vcf", path, check=False)
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertEqual(cp.stdout, "imported 3 contacts and 1 list, skipped 2 of 6 cards\n")
        # the BROKEN card starts on line 30, TOO_LONG on 69
        self.assertEqual(cp.stderr.splitlines(), [
            "%s:33: TEL: parameter without a name" % path,
            "%s:72: field nickname is too long: 129 characters, the limit is 128"
            % path,
        ])
        every = self.d1.json("contacts", "list")
        self.assertEqual([it["state"] for it in every], ["created"] * 4)
        local = [it for it in every if it["type"] == "contact"]
        lists = [it for it in every if it["type"] == "distributionList"]
        ada_local = [it for it in local if it["fields"]["lastName"] == "Lovelace"][0]
        # the list's member names Ada by her UID: a reference to her
        # unsynced contact by its client id
        self.assertEqual(lists[0]["fields"], {
            "displayName": "Pioneers",
            "members": [{"contactId": "#" + ada_local["id"]}]})
        d1 = self.by_name(local)

        # what the cards became
        ada = d1["Lovelace"]
        self.assertEqual(ada["displayName"], "Ada King, Countess of Lovelace")
        self.assertEqual(ada["department"], "Research; Looms")
        self.assertEqual(ada["phoneBusiness"], "+44 20 7946 0001")
        self.assertEqual(ada["phoneBusiness2"], "+44 20 7946 0002")
        self.assertEqual(ada["phoneCallback"], "+44 20 7946 0003")
        self.assertEqual(ada["phoneHomeFax"], "+44 20 7946 0004")
        self.assertEqual(ada["email1"], "ada@lovelace.example")
        self.assertEqual(ada["email2"], "ada@engines.example")
        self.assertEqual(ada["notes"],
                         "Wrote the first program\nfor the Analytical Engine, 1843.")
        self.assertEqual(ada["categories"], ["Mathematicians", "Poets, Daughters of"])
        self.assertIs(ada["private"], True)
        self.assertEqual(ada["birthday"], "1815-12-10")
        self.assertEqual(ada["anniversary"], "1835-07-08")
        self.assertEqual(ada["vcardExtra"],
                         "UID:urn:uuid:5e1c9a52-1111-4d6e-9c2a-2f1d0c3b4a51\r\n"
                         "PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgoAAQL/\r\n"
                         "X-CUSTOM;X-PARAM=\"a;b\":kept\\, as is")
        grace = d1["Hopper"]
        self.assertEqual(grace["spouseName"], "Vincent Foster Hopper")
        self.assertEqual(grace["phoneBusiness"], "+1-202-555-0101")
        self.assertEqual(grace["phoneTtyTdd"], "+1 202 555 0102")
        self.assertEqual(grace["email1"], "grace@hopper.example")
        self.assertEqual(grace["imAddress"], "xmpp:grace@chat.example")
        self.assertIs(grace["private"], False)
        juergen = d1["M\u00fcller"]
        self.assertEqual(juergen["firstName"], "J\u00fcrgen")
        self.assertEqual(juergen["businessStreet"], "Stra\u00dfe 1, Hof")
        self.assertEqual(juergen["notes"], "Zeile 1\nZeile 2 geht weiter")
        self.assertEqual(juergen["imAddress"], "juergen@im.example")
        self.assertNotIn("vcardExtra", juergen)

        # one sync takes them to the server, device 2 gets them; the server
        # resolved the reference and wrote Ada's name and address into it
        self.d1.run("sync")
        srv = self.server_items()
        srv_lists = {k: f for k, f in srv.items() if "members" in f}
        srv = {k: f for k, f in srv.items() if "members" not in f}
        ada_id = [k for k, f in srv.items() if f["lastName"] == "Lovelace"][0]
        self.assertEqual(list(srv_lists.values()), [{
            "displayName": "Pioneers",
            "members": [{"contactId": ada_id, "name": "Ada King, Countess of Lovelace",
                         "address": "ada@lovelace.example"}]}])
        self.assertEqual(sorted(f["lastName"] for f in srv.values()),
                         ["Hopper", "Lovelace", "M\u00fcller"])
        self.assertEqual(self.by_name([{"fields": f} for f in srv.values()]), d1)
        self.d2.run("sync")
        d2_items = self.d2.json("contacts", "list")
        self.assertEqual({it["serverId"]: it["fields"] for it in d2_items},
                         dict(srv, **srv_lists))

        # device 2 exports: a directory of files, and one 4.0 file
        out_dir = os.path.join(self.tmp, "export")
        cp = self.d2.run("export", "vcf", out_dir + "/")
        self.assertEqual(cp.stdout, "exported 4 cards to %s/\n" % out_dir)
        files = sorted(glob.glob(os.path.join(out_dir, "*.vcf")))
        self.assertEqual(sorted(os.path.basename(f)[:-4] for f in files),
                         sorted(list(srv) + list(srv_lists)))
        list_file = os.path.join(out_dir, list(srv_lists)[0] + ".vcf")
        with open(list_file, "rb") as f:
            card = f.read().replace(b"\r\n ", b"")  # unfolded
        self.assertIn(b"X-ADDRESSBOOKSERVER-KIND:group\r\n", card)
        self.assertIn(b"X-ADDRESSBOOKSERVER-MEMBER;X-CN=\"Ada King, Countess of Lovelace\":"
                      b"urn:uuid:5e1c9a52-1111-4d6e-9c2a-2f1d0c3b4a51\r\n", card)
        one_file = os.path.join(self.tmp, "all.vcf")
        self.d2.run("export", "vcf", one_file, "--version", "4.0")
        for name in files + [one_file]:
            with open(name, "rb") as f:
                data = f.read()
            self.assertTrue(data.endswith(b"END:VCARD\r\n"), name)
            for line in data.split(b"\r\n")[:-1]:
                self.assertLessEqual(len(line), 75, line)
                self.assertNotIn(b"\n", line)
                line.decode("utf-8")  # no UTF-8 sequence split by a fold
        with open(one_file, "rb") as f:
            self.assertEqual(f.read().count(b"VERSION:4.0\r\n"), 4)

        # two more devices import the exports offline: the server's fields
        for source in ("dir", "file"):
            dev = self.connector("reader-" + source)
            dev.add_profile("work", self.srv.url, "alice", PW)
            args = files if source == "dir" else [one_file]
            cp = dev.run("import", "vcf", *args)
            self.assertEqual(cp.stdout,
                             "imported 3 contacts and 1 list, skipped 0 of 4 cards\n")
            every = dev.json("contacts", "list")
            contacts = [it for it in every if it["type"] == "contact"]
            got = self.by_name(contacts)
            # the list names Ada again, by the UID her card carries
            ada_here = [it["id"] for it in contacts
                        if it["fields"]["lastName"] == "Lovelace"][0]
            list_here = [it for it in every if it["type"] == "distributionList"][0]
            self.assertEqual(list_here["fields"]["members"], [
                {"contactId": "#" + ada_here, "name": "Ada King, Countess of Lovelace"}])
            want = self.by_name([{"fields": json.loads(json.dumps(f))}
                                 for f in srv.values()])
            # the card without a UID got the server id as its UID
            sid = [k for k, f in srv.items() if f["lastName"] == "M\u00fcller"][0]
            want["M\u00fcller"]["vcardExtra"] = "UID:" + sid
            self.assertEqual(got, want, source)

    def test_usage_and_errors(self):
        cp = self.d1.run("import", "vcf", check=False)
        self.assertEqual(cp.returncode, 2)
        cp = self.d1.run("import", "csv", "x.csv", check=False)
        self.assertEqual(cp.returncode, 2)
        cp = self.d1.run("export", "vcf", os.path.join(self.tmp, "x.vcf"),
                         "--version", "2.1", check=False)
        self.assertEqual(cp.returncode, 2)
        missing = os.path.join(self.tmp, "missing.vcf")
        cp = self.d1.run("import", "vcf", missing, check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("missing.vcf", cp.stderr)
        self.assertEqual(cp.stdout, "imported 0 contacts and 0 lists, skipped 0 of 0 cards\n")
        # an empty folder exports an empty file
        empty = os.path.join(self.tmp, "empty.vcf")
        cp = self.d1.run("export", "vcf", empty)
        self.assertEqual(cp.stdout, "exported 0 cards to %s\n" % empty)
        self.assertEqual(os.path.getsize(empty), 0)


if __name__ == "__main__":
    unittest.main()
