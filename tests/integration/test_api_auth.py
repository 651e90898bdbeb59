"""Authentication and request-level errors of the JSON API (docs/protocol.md
§1-§4 and Account/changePassword in §6).

Scenario: one atriumd with two users. Basic and bearer authentication, wrong
passwords, login throttling per login name, logout, malformed Authorization
headers, unknown endpoints, oversized/non-JSON/non-request bodies, unknown
methods next to good ones in one request, and changing the password (which
revokes the user's other tokens but not the one used for the change).

Every reply is checked against its schema by the harness.
"""

import base64
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Api, MethodError, TempDirTestCase  # noqa: E402

PASSWORD = "Corr3ct-Horse-9"
BOB_PASSWORD = "Bl4ck-Kettle-Sings"
MAX_REQUEST_BYTES = 16 * 1024 * 1024


def atriumd_binary():
    """$ATRIUMD made absolute: the harness runs the binary from the test's
    temporary directory, where a relative path would not resolve."""
    path = os.environ.get("ATRIUMD")
    return os.path.abspath(path) if path else None


def basic(login, password):
    pair = ("%s:%s" % (login, password)).encode("utf-8")
    return "Basic " + base64.b64encode(pair).decode("ascii")


class AuthTest(TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.srv = self.server(binary=atriumd_binary())
        self.srv.add_user("alice", "Alice Example", "alice@example.test", PASSWORD)
        self.srv.add_user("bob", "Bob Example", "bob@example.test", BOB_PASSWORD)
        self.srv.start()

    # -- helpers

    def api(self, login="alice", password=PASSWORD):
        return Api(self.srv.url, login, password)

    def assertHttpError(self, reply, status, type_):
        self.assertEqual(reply.status, status, reply.body)
        self.assertIsNotNone(reply.body, "a %d reply needs an http-error body"
                             % status)
        self.assertEqual(reply.body["error"]["type"], type_, reply.body)
        return reply.body["error"]

    def assertSessionOf(self, reply, login):
        self.assertEqual(reply.status, 200, reply.body)
        self.assertEqual(reply.body["user"]["login"], login)

    def wait_for_early_second(self):
        """Sleep until the wall clock is early in a second, so that a few fast
        requests that follow all fall in the same second."""
        frac = time.time() % 1.0
        if frac > 0.3:
            time.sleep(1.0 - frac + 0.02)

    # -- tests

    def test_basic_and_bearer_both_work_for_session(self):
        api = self.api()
        r = api.session(auth="basic")
        self.assertSessionOf(r, "alice")
        self.assertEqual(r.body["user"]["name"], "Alice Example")
        self.assertEqual(r.body["user"]["email"], "alice@example.test")
        user_id = r.body["user"]["id"]

        login = api.login(device="test-device")
        self.assertEqual(login.status, 200, login.body)
        self.assertEqual(login.body["userId"], user_id)
        self.assertGreaterEqual(len(login.body["token"]), 32)

        r = api.session(auth="bearer")
        self.assertSessionOf(r, "alice")
        self.assertEqual(r.body["user"]["id"], user_id)
        self.assertIn("Item/sync", r.body["capabilities"]["atrium:core"]["methods"])
        self.assertEqual(r.body["limits"]["maxRequestBytes"], MAX_REQUEST_BYTES)

        # both schemes work for POST /api as well
        for auth in ("basic", "bearer"):
            res = api.result("Folder/sync", {}, auth=auth)
            # the default folders and the Global Address Book
            self.assertEqual(len(res["created"]), 4)

        # no credentials at all
        self.assertHttpError(api.session(auth=None), 401, "unauthorized")
        self.assertHttpError(api.call("Folder/sync", {}, auth=None), 401,
                             "unauthorized")

    def test_wrong_password_is_unauthorized(self):
        wrong = self.api(password="Not-The-Password-1")
        err = self.assertHttpError(wrong.session(auth="basic"), 401, "unauthorized")
        self.assertEqual(err["scope"], "account")
        self.assertHttpError(wrong.login(), 401, "unauthorized")
        self.assertIsNone(wrong.token)
        self.assertHttpError(wrong.call("Folder/sync", {}, auth="basic"), 401,
                             "unauthorized")
        # an unknown login answers exactly like a wrong password
        ghost = self.api(login="nobody", password=PASSWORD)
        self.assertHttpError(ghost.login(), 401, "unauthorized")
        self.assertHttpError(ghost.session(auth="basic"), 401, "unauthorized")
        # the right password still works (3 failures are below the limit)
        self.assertSessionOf(self.api().session(auth="basic"), "alice")
        self.assertEqual(self.api().login().status, 200)

    def _five_failures_then_sixth(self, right):
        wrong = self.api(password="Not-The-Password-1")
        for i in range(5):
            self.assertHttpError(wrong.login(), 401, "unauthorized")
        return right.login()

    def test_throttle_after_five_failures(self):
        right = self.api()
        # Start early in a clock second, so that the fifth failure and the
        # attempt after it fall in the same second (the next test covers the
        # case where they do not).
        self.wait_for_early_second()
        reply = self._five_failures_then_sixth(right)
        err = self.assertHttpError(reply, 429, "tooManyAttempts")
        self.assertIsNone(right.token)
        self.assertEqual(err["retry"], "wait")
        self.assertIn("retryAfter", err)
        self.assertGreaterEqual(err["retryAfter"], 1)
        self.assertLessEqual(err["retryAfter"], 15 * 60)
        header = reply.headers.get("Retry-After")
        self.assertIsNotNone(header, "429 without a Retry-After header")
        self.assertEqual(int(header), err["retryAfter"])

        # Basic authentication is an attempt too: refused while locked
        self.assertHttpError(right.session(auth="basic"), 429, "tooManyAttempts")

        # another login name is not affected
        bob = self.api("bob", BOB_PASSWORD)
        self.assertEqual(bob.login().status, 200)
        self.assertSessionOf(bob.session(auth="bearer"), "bob")
        self.assertSessionOf(bob.session(auth="basic"), "bob")

        # after retryAfter seconds the right password works and resets
        time.sleep(err["retryAfter"] + 1.05)
        ok = right.login()
        self.assertEqual(ok.status, 200, ok.body)
        wrong = self.api(password="Not-The-Password-1")
        self.assertHttpError(wrong.login(), 401, "unauthorized")
        self.assertEqual(self.api().login().status, 200,
                         "one failure after a successful login must not lock")

    def test_throttle_lock_holds_right_after_the_fifth_failure(self):
        """The lock must not depend on where in a clock second the fifth
        failure happened: the attempt right after it is refused."""
        right = self.api()
        wrong = self.api(password="Not-The-Password-1")
        for i in range(4):
            self.assertHttpError(wrong.login(), 401, "unauthorized")
        # fifth failure starts late in a second and ends in the next one
        frac = time.time() % 1.0
        if frac < 0.96:
            time.sleep(0.96 - frac)
        self.assertHttpError(wrong.login(), 401, "unauthorized")
        reply = right.login()
        self.assertHttpError(reply, 429, "tooManyAttempts")

    def test_logout_revokes_the_token(self):
        api = self.api()
        other = self.api()
        self.assertEqual(api.login().status, 200)
        self.assertEqual(other.login().status, 200)
        token = api.token
        self.assertSessionOf(api.session(auth="bearer"), "alice")

        r = api.logout()
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(r.body["revoked"])
        api.token = token  # try the revoked token again
        self.assertHttpError(api.session(auth="bearer"), 401, "unauthorized")
        self.assertHttpError(api.call("Folder/sync", {}, auth="bearer"), 401,
                             "unauthorized")
        # logging out twice does not work either
        self.assertHttpError(api.request("POST", "/api/logout", auth="bearer"),
                             401, "unauthorized")
        # the user's other token and the password are unaffected
        self.assertSessionOf(other.session(auth="bearer"), "alice")
        self.assertSessionOf(api.session(auth="basic"), "alice")

    def test_malformed_authorization_headers(self):
        api = self.api()
        self.assertEqual(api.login().status, 200)
        good = api.token
        headers = [
            "",
            "Bearer",
            "Bearer ",
            "Bearer abc",
            "Bearer " + good[:-1],                  # one character short
            "Bearer " + good + "0",                 # one character long
            "Bearer " + "0" * len(good),            # well formed, never issued
            "Bearer " + "z" * len(good),            # not hex
            "Basic",
            "Basic ",
            "Basic !!!not-base64!!!",
            "Basic " + base64.b64encode(b"alice").decode(),       # no colon
            "Basic " + base64.b64encode(b"alice\x00:" + PASSWORD.encode()).decode(),
            "Basic " + "QUFB" * 2000,                              # too long
            "Digest username=\"alice\"",
            "Token " + good,
            good,                                   # no scheme at all
        ]
        for value in headers:
            with self.subTest(header=value[:40]):
                r = api.request("GET", "/api/session", auth=None,
                                headers={"Authorization": value})
                self.assertHttpError(r, 401, "unauthorized")
                r = api.request("POST", "/api", {"using": ["atrium:core"],
                                                 "methodCalls": []},
                                auth=None, headers={"Authorization": value})
                self.assertHttpError(r, 401, "unauthorized")
        # none of that counted as a failed login or broke the good token
        self.assertSessionOf(api.session(auth="bearer"), "alice")
        self.assertEqual(self.api().login().status, 200)

    def test_unknown_endpoint_is_404(self):
        api = self.api()
        api.login()
        for method, path in [("GET", "/nothing-here"), ("POST", "/api/nothing"),
                             ("GET", "/api/session/extra"), ("GET", "/")]:
            with self.subTest(path=path):
                r = api.request(method, path, auth="bearer")
                self.assertHttpError(r, 404, "notFound")

    def test_request_body_over_16_mib_is_413(self):
        api = self.api()
        api.login()
        # valid JSON padded with spaces to exactly the limit: accepted
        envelope = b'{"using":["atrium:core"],"methodCalls":[["Folder/sync",{},"c0"]]}'
        at_limit = envelope + b" " * (MAX_REQUEST_BYTES - len(envelope))
        self.assertEqual(len(at_limit), MAX_REQUEST_BYTES)
        r = api.request("POST", "/api", at_limit, auth="bearer",
                        headers={"Content-Type": "application/json"},
                        schema="api.response")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.body["methodResponses"][0][0], "Folder/sync")
        # one byte more: refused before it is parsed
        over = at_limit + b" "
        t0 = time.monotonic()
        r = api.request("POST", "/api", over, auth="bearer",
                        headers={"Content-Type": "application/json"})
        err = self.assertHttpError(r, 413, "limitExceeded")
        self.assertTrue(re.search(r"16777216|16 ?MiB|maxRequestBytes", err["message"]),
                        "the message should name the limit: %r" % err["message"])
        self.assertLess(time.monotonic() - t0, 20)
        # the server is still fine
        self.assertSessionOf(api.session(auth="bearer"), "alice")

    def test_body_not_json_is_400_with_position(self):
        api = self.api()
        api.login()
        cases = [
            (b'{"using": [}', 1),
            (b'{\n  "using": ["atrium:core"],\n  "methodCalls": [[}\n', 3),
            (b'{"using": ["atrium:core"], "methodCalls": []} trailing', 1),
        ]
        for body, line in cases:
            with self.subTest(body=body):
                r = api.request("POST", "/api", body, auth="bearer",
                                headers={"Content-Type": "application/json"})
                err = self.assertHttpError(r, 400, "notJSON")
                m = re.search(r"line (\d+)\D+?(\d+)", err["message"])
                self.assertIsNotNone(m, "no position in %r" % err["message"])
                self.assertEqual(int(m.group(1)), line, err["message"])
                self.assertLessEqual(int(m.group(2)), len(body), err["message"])
        # an empty body is not JSON either
        r = api.request("POST", "/api", b"", auth="bearer")
        self.assertHttpError(r, 400, "notJSON")

    def test_json_but_not_a_request_is_400(self):
        api = self.api()
        api.login()
        for body in [{"methodCalls": [["Folder/sync", {}, "c0"]]},
                     {"using": ["atrium:core"]},
                     {"using": [], "methodCalls": []},
                     {"using": ["atrium:core"], "methodCalls": [["Folder/sync"]]},
                     {"using": ["atrium:core"], "methodCalls": {"a": 1}},
                     []]:
            with self.subTest(body=body):
                r = api.request("POST", "/api", body, auth="bearer")
                self.assertHttpError(r, 400, "notRequest")

    def test_json_scalar_is_not_a_request(self):
        """A bare JSON value (RFC 8259 allows any value at the top) is JSON,
        so it is notRequest, not notJSON."""
        api = self.api()
        api.login()
        for body in [b'"just a string"', b"42", b"null", b"true"]:
            with self.subTest(body=body):
                r = api.request("POST", "/api", body, auth="bearer",
                                headers={"Content-Type": "application/json"})
                self.assertHttpError(r, 400, "notRequest")

    def test_unknown_method_fails_alone(self):
        api = self.api()
        api.login()
        r = api.batch([("Folder/sync", {}, "a"),
                       ("Contact/explode", {"now": True}, "b"),
                       ("Folder/sync", {"sinceToken": None}, "c")],
                      validate_request=False)
        self.assertEqual(r.status, 200, r.body)
        responses = r.body["methodResponses"]
        self.assertEqual([x[2] for x in responses], ["a", "b", "c"])
        self.assertEqual(responses[0][0], "Folder/sync")
        self.assertEqual(len(responses[0][1]["created"]), 4)
        self.assertEqual(responses[1][0], "error")
        self.assertEqual(responses[1][1]["type"], "unknownMethod")
        self.assertEqual(responses[1][1]["retry"], "final")
        self.assertEqual(responses[2][0], "Folder/sync")
        self.assertEqual(len(responses[2][1]["created"]), 4)

    def test_change_password(self):
        api = self.api()        # makes the change
        other = self.api()      # another device of the same user
        self.assertEqual(api.login().status, 200)
        self.assertEqual(other.login().status, 200)
        new_password = "Purple-Otter-Dances-77"

        with self.assertRaises(MethodError) as cm:
            api.result("Account/changePassword",
                       {"oldPassword": "Not-The-Password-1",
                        "newPassword": new_password})
        self.assertEqual(cm.exception.error["type"], "wrongPassword")

        with self.assertRaises(MethodError) as cm:
            api.result("Account/changePassword",
                       {"oldPassword": PASSWORD, "newPassword": "abc"})
        err = cm.exception.error
        self.assertEqual(err["type"], "weakPassword")
        self.assertEqual(err["retry"], "final")
        # "the message says why": more than the bare verdict
        self.assertTrue(re.search(r"short|8|length|characters", err["message"]),
                        "no reason in %r" % err["message"])
        with self.assertRaises(MethodError) as cm:
            api.result("Account/changePassword",
                       {"oldPassword": PASSWORD, "newPassword": "password"})
        self.assertEqual(cm.exception.error["type"], "weakPassword")

        # failed attempts changed nothing
        self.assertSessionOf(other.session(auth="bearer"), "alice")
        self.assertSessionOf(self.api().session(auth="basic"), "alice")

        res = api.result("Account/changePassword",
                         {"oldPassword": PASSWORD, "newPassword": new_password})
        self.assertIn(res["strength"], ("fair", "strong"))

        # the token used for the change still works, the other one is revoked
        self.assertSessionOf(api.session(auth="bearer"), "alice")
        self.assertEqual(len(api.result("Folder/sync", {})["created"]), 4)
        self.assertHttpError(other.session(auth="bearer"), 401, "unauthorized")
        # the old password is refused, the new one accepted
        self.assertHttpError(self.api().session(auth="basic"), 401, "unauthorized")
        self.assertHttpError(self.api().login(), 401, "unauthorized")
        fresh = self.api(password=new_password)
        self.assertSessionOf(fresh.session(auth="basic"), "alice")
        self.assertEqual(fresh.login().status, 200)
        self.assertSessionOf(fresh.session(auth="bearer"), "alice")


if __name__ == "__main__":
    unittest.main()
