"""https with a self-signed certificate, trusted by its public key pin.

atriumd serves TLS from a certificate and key and logs the pin of its
public key.  A connector profile with that pin syncs; one without a pin
refuses the untrusted certificate (and reports the server unreachable, with
the TLS reason); one with another server's pin is refused too.  A profile
with a CA file that signed the certificate syncs without a pin.
"""
import os
import re
import subprocess
import unittest

from harness import TempDirTestCase

PW = "Tls-Tests-2026!"


def make_cert(dirpath, name):
    cert = os.path.join(dirpath, name + ".crt")
    key = os.path.join(dirpath, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def pin_of(cert):
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         check=True, capture_output=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                            check=True, capture_output=True).stdout
    b64 = subprocess.run(["openssl", "base64", "-A"], input=digest, check=True,
                         capture_output=True).stdout.decode().strip()
    return "sha256//" + b64


class Tls(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.cert, self.key = make_cert(self.tmp, "server")
        self.other_cert, _ = make_cert(self.tmp, "other")
        self.srv = self.server()
        self.srv.start(tls=(self.cert, self.key))
        self.srv.add_user("alice", "Alice Martin", "alice@example.org", PW)
        self.assertTrue(self.srv.url.startswith("https://"))

    def test_pinned_unpinned_and_wrong_pin(self):
        pin = pin_of(self.cert)
        logged = re.search(r"TLS public key pin: (\S+)", self.srv.log_tail(200))
        self.assertIsNotNone(logged, self.srv.log_tail())
        self.assertEqual(logged.group(1), pin)

        good = self.connector("pinned")
        good.add_profile("work", self.srv.url, "alice", PW)
        good.run("profile", "remove", "work")
        good.run("profile", "add", "work", "--server", self.srv.url, "--user", "alice",
                 "--password-stdin", "--pin", pin, input=PW + "\n")
        good.run("contacts", "add", "--last-name", "OverTls")
        self.assertRegex(good.run("sync").stdout, r"\b1 sent")

        plain = self.connector("unpinned")
        plain.add_profile("work", self.srv.url, "alice", PW)
        cp = plain.run("sync", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("cannot reach the server", cp.stderr)
        self.assertEqual(plain.json("status")["connection"], "offline")

        wrong = self.connector("wrong")
        wrong.run("profile", "add", "work", "--server", self.srv.url, "--user", "alice",
                  "--password-stdin", "--pin", pin_of(self.other_cert), input=PW + "\n")
        cp = wrong.run("sync", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("cannot reach the server", cp.stderr)

        bad = self.connector("bad")
        cp = bad.run("profile", "add", "work", "--server", self.srv.url, "--user", "alice",
                     "--password-stdin", "--pin", "md5//abc", input=PW + "\n", check=False)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("sha256//", cp.stderr)

    def test_ca_file(self):
        # a self-signed certificate is its own CA
        dev = self.connector("ca")
        dev.run("profile", "add", "work", "--server", self.srv.url, "--user", "alice",
                "--password-stdin", "--ca", self.cert, input=PW + "\n")
        dev.run("contacts", "add", "--last-name", "ViaCa")
        self.assertRegex(dev.run("sync").stdout, r"\b1 sent")


if __name__ == "__main__":
    unittest.main()
