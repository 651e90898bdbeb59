"""Self-test of the integration harness: schema extraction from markdown,
"schema:NAME" references, the missing-schema rule, and the Api client's
checks against a fake HTTP server. Needs neither atriumd nor atrium."""

import http.server
import json
import os
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Api, ProtocolError, SchemaError, Schemas  # noqa: E402

FAKE_DOC = '''
# Fake protocol

Plain code blocks are ignored, even JSON ones:

```json
{"not": "a schema"}
```

```json schema=error
{
  "type": "object",
  "required": ["code", "scope", "retry", "message"],
  "properties": {
    "code": {"type": "string"},
    "scope": {"enum": ["item", "folder", "account", "server"]},
    "retry": {"enum": ["temporary", "wait", "final"]},
    "message": {"type": "string"},
    "field": {"type": "string"}
  },
  "additionalProperties": false
}
```

~~~json schema=http-error
{"type": "object", "required": ["error"],
 "properties": {"error": {"$ref": "schema:error"}},
 "additionalProperties": false}
~~~

A longer fence may hold a shorter one inside a string:

````json schema=common
{
  "$defs": {
    "id": {"type": "string", "minLength": 1, "maxLength": 64},
    "ids": {"type": "array", "items": {"$ref": "#/$defs/id"}},
    "note": {"type": "string", "description": "```"}
  }
}
````

```json schema=Item/sync.request
{"type": "object", "required": ["folderId"],
 "properties": {"folderId": {"$ref": "schema:common#/$defs/id"}}}
```

```json schema=Item/sync.response
{
  "type": "object",
  "required": ["folderId", "newToken", "moreAvailable"],
  "properties": {
    "folderId": {"$ref": "schema:common#/$defs/id"},
    "newToken": {"type": "string"},
    "moreAvailable": {"type": "boolean"},
    "removed": {"$ref": "schema:common#/$defs/ids"},
    "notCreated": {"type": "object",
                   "additionalProperties": {"$ref": "schema:error"}},
    "limits": {"$ref": "#/$defs/limits"}
  },
  "$defs": {"limits": {"type": "object",
                       "additionalProperties": {"type": "integer"}}}
}
```

```json schema=Broken/ref.response
{"type": "object", "properties": {"x": {"$ref": "schema:nowhere"}}}
```

```json schema=api.request
{"type": "object", "required": ["using", "methodCalls"],
 "properties": {"using": {"type": "array"},
                "methodCalls": {"type": "array", "items": {"type": "array",
                  "prefixItems": [{"type": "string"}, {"type": "object"},
                                  {"type": "string"}],
                  "minItems": 3, "maxItems": 3}}}}
```

```json schema=api.response
{"type": "object", "required": ["methodResponses"],
 "properties": {"methodResponses": {"type": "array", "items": {
   "type": "array", "minItems": 3, "maxItems": 3}}}}
```

```json schema=login.request
{"type": "object", "required": ["login", "password"],
 "properties": {"login": {"type": "string"}, "password": {"type": "string"}},
 "additionalProperties": false}
```

```json schema=login.response
{"type": "object", "required": ["token"],
 "properties": {"token": {"type": "string", "minLength": 16}}}
```

```json schema=when
{"type": "string", "format": "date-time"}
```

```json schema=session.response
{"type": "object", "required": ["user"],
 "properties": {"user": {"type": "string"}}}
```
'''

ERROR = {"code": "tooLong", "scope": "item", "retry": "final",
         "message": "subject is longer than 255", "field": "subject"}


class SchemaExtraction(unittest.TestCase):

    def setUp(self):
        self.s = Schemas.from_markdown(FAKE_DOC, "fake.md")

    def test_names(self):
        self.assertEqual(self.s.names(), sorted([
            "error", "http-error", "common", "Item/sync.request",
            "Item/sync.response", "Broken/ref.response", "api.request",
            "api.response", "login.request", "login.response",
            "session.response", "when"]))
        self.assertEqual(self.s.schema("common")["$defs"]["note"]
                         ["description"], "```")

    def test_valid_and_invalid(self):
        self.s.validate("error", ERROR)
        bad = dict(ERROR, scope="galaxy")
        with self.assertRaises(SchemaError) as cm:
            self.s.validate("error", bad)
        self.assertIn("$.scope", str(cm.exception))
        self.assertIn("'error'", str(cm.exception))

    def test_refs_between_schemas(self):
        self.s.validate("http-error", {"error": ERROR})
        with self.assertRaises(SchemaError):
            self.s.validate("http-error", {"error": {"code": "x"}})
        ok = {"folderId": "f1", "newToken": "t2", "moreAvailable": False,
              "removed": ["a", "b"], "notCreated": {"c1": ERROR},
              "limits": {"subject": 255}}
        self.s.validate("Item/sync.response", ok)
        # through schema:common#/$defs/ids, then its local #/$defs/id
        with self.assertRaises(SchemaError) as cm:
            self.s.validate("Item/sync.response", dict(ok, removed=["a", ""]))
        self.assertIn("$.removed[1]", str(cm.exception))
        # nested error object through schema:error
        with self.assertRaises(SchemaError):
            self.s.validate("Item/sync.response",
                            dict(ok, notCreated={"c1": {"code": 1}}))
        # a local "#/$defs" of the schema itself
        with self.assertRaises(SchemaError):
            self.s.validate("Item/sync.response",
                            dict(ok, limits={"subject": "long"}))

    def test_date_time_format(self):
        for ok in ["2025-03-01T10:00:00Z", "2025-03-01T10:00:00.250+01:00"]:
            self.s.validate("when", ok)
        for bad in ["2025-03-01", "2025-03-01 10:00:00Z", "2025-13-01T10:00:00Z",
                    "2025-03-01T10:00:00"]:
            with self.subTest(bad):
                with self.assertRaises(SchemaError):
                    self.s.validate("when", bad)

    def test_missing_schema_fails(self):
        with self.assertRaises(SchemaError) as cm:
            self.s.validate("Folder/sync.response", {})
        self.assertIn("no schema named 'Folder/sync.response'",
                      str(cm.exception))
        with self.assertRaises(SchemaError) as cm:
            self.s.validate("Broken/ref.response", {"x": 1})
        self.assertIn("'nowhere'", str(cm.exception))
        self.assertEqual(self.s.problems(), [
            "schema 'Broken/ref.response' refers to missing schema "
            "'nowhere'"])

    def test_bad_documents(self):
        cases = {
            "defined twice": "```json schema=a\n{}\n```\n"
                             "```json schema=a\n{}\n```\n",
            "not valid JSON": "text\n\n```json schema=a\n{\"type\": }\n```\n",
            "duplicate key": "```json schema=a\n{\"type\": \"string\", "
                             "\"type\": \"object\"}\n```\n",
            "not a valid JSON schema": "```json schema=a\n{\"type\": 5}\n```\n",
            "empty schema name": "```json schema=\n{}\n```\n",
        }
        for what, text in cases.items():
            with self.subTest(what):
                with self.assertRaises(SchemaError) as cm:
                    Schemas.from_markdown(text, "bad.md")
                self.assertIn(what, str(cm.exception))
        with self.assertRaises(SchemaError) as cm:
            Schemas.from_markdown("x\n```json schema=a\n{\n\"type\": }\n```\n",
                                  "bad.md")
        self.assertIn("bad.md:4:", str(cm.exception))

    def test_default_document(self):
        with tempfile.NamedTemporaryFile("w", suffix=".md") as f:
            f.write(FAKE_DOC)
            f.flush()
            old = os.environ.get("ATRIUM_PROTOCOL_DOC")
            os.environ["ATRIUM_PROTOCOL_DOC"] = f.name
            try:
                harness.validate("error", ERROR)
                with self.assertRaises(SchemaError):
                    harness.validate("Nope/none.response", {})
            finally:
                if old is None:
                    del os.environ["ATRIUM_PROTOCOL_DOC"]
                else:
                    os.environ["ATRIUM_PROTOCOL_DOC"] = old
        os.environ["ATRIUM_PROTOCOL_DOC"] = "/nonexistent/protocol.md"
        try:
            with self.assertRaises(SchemaError):
                harness.validate("error", ERROR)
        finally:
            if old is None:
                del os.environ["ATRIUM_PROTOCOL_DOC"]
            else:
                os.environ["ATRIUM_PROTOCOL_DOC"] = old


class FakeServer(http.server.BaseHTTPRequestHandler):
    """Answers with the (status, body) its test put in `replies[path]`."""
    replies = {}
    seen = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        FakeServer.seen.append((self.command, self.path,
                                self.headers.get("Authorization"), body))
        status, reply = FakeServer.replies[self.path]
        data = reply if isinstance(reply, bytes) else \
            json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


class ApiChecks(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.httpd = http.server.HTTPServer(("127.0.0.1", 0), FakeServer)
        cls.thread = threading.Thread(target=cls.httpd.serve_forever,
                                      daemon=True)
        cls.thread.start()
        cls.url = "http://127.0.0.1:%d" % cls.httpd.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.httpd.shutdown()
        cls.httpd.server_close()

    def setUp(self):
        FakeServer.replies = {}
        FakeServer.seen = []
        self.api = Api(self.url, "alice", "secret",
                       schemas=Schemas.from_markdown(FAKE_DOC, "fake.md"))

    def sync_reply(self, *entries):
        FakeServer.replies["/api"] = (200, {"methodResponses": list(entries)})

    def test_login_then_bearer(self):
        FakeServer.replies["/api/login"] = (200, {"token": "t" * 32})
        FakeServer.replies["/api/session"] = (200, {"user": "alice"})
        self.assertEqual(self.api.session().status, 200)
        self.assertTrue(FakeServer.seen[-1][2].startswith("Basic "))
        status, body = self.api.login()
        self.assertEqual((status, body), (200, {"token": "t" * 32}))
        self.assertEqual(json.loads(FakeServer.seen[-1][3]),
                         {"login": "alice", "password": "secret"})
        self.api.session()
        self.assertEqual(FakeServer.seen[-1][2], "Bearer " + "t" * 32)

    def test_reply_checked(self):
        FakeServer.replies["/api/login"] = (200, {"token": "short"})
        with self.assertRaises(SchemaError):
            self.api.login()

    def test_method_results_checked(self):
        good = {"folderId": "f1", "newToken": "2", "moreAvailable": False}
        self.sync_reply(["Item/sync", good, "a"], ["error", ERROR, "b"])
        status, body = self.api.batch([("Item/sync", {"folderId": "f1"}, "a"),
                                       ("Item/sync", {"folderId": "f2"}, "b")])
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(FakeServer.seen[-1][3]), {
            "using": ["atrium:core"],
            "methodCalls": [["Item/sync", {"folderId": "f1"}, "a"],
                            ["Item/sync", {"folderId": "f2"}, "b"]]})
        self.sync_reply(["Item/sync", dict(good, newToken=2), "c0"])
        with self.assertRaises(SchemaError):
            self.api.call("Item/sync", {"folderId": "f1"})
        self.sync_reply(["error", {"code": "x"}, "c0"])
        with self.assertRaises(SchemaError):
            self.api.call("Item/sync", {"folderId": "f1"})

    def test_result(self):
        good = {"folderId": "f1", "newToken": "2", "moreAvailable": True}
        self.sync_reply(["Item/sync", good, "c0"])
        self.assertEqual(self.api.result("Item/sync", {"folderId": "f1"}),
                         good)
        self.sync_reply(["error", ERROR, "c0"])
        with self.assertRaises(harness.MethodError) as cm:
            self.api.result("Item/sync", {"folderId": "f1"})
        self.assertEqual(cm.exception.error, ERROR)

    def test_method_without_schema_fails(self):
        self.sync_reply(["Folder/sync", {}, "c0"])
        with self.assertRaises(SchemaError):   # no Folder/sync.request
            self.api.call("Folder/sync", {})
        with self.assertRaises(SchemaError):   # no Folder/sync.response
            self.api.call("Folder/sync", {}, validate_request=False)

    def test_bad_request_refused_unless_asked(self):
        with self.assertRaises(SchemaError):
            self.api.call("Item/sync", {"folderId": ""})
        self.assertEqual(FakeServer.seen, [])
        FakeServer.replies["/api"] = (400, {"error": ERROR})
        status, body = self.api.call("Item/sync", {"folderId": ""},
                                     validate_request=False)
        self.assertEqual((status, body), (400, {"error": ERROR}))

    def test_call_ids(self):
        good = {"folderId": "f1", "newToken": "2", "moreAvailable": False}
        self.sync_reply(["Item/sync", good, "zz"])
        with self.assertRaises(ProtocolError):
            self.api.call("Item/sync", {"folderId": "f1"})
        self.sync_reply()
        with self.assertRaises(ProtocolError):
            self.api.call("Item/sync", {"folderId": "f1"})

    def test_http_errors_checked(self):
        FakeServer.replies["/api/session"] = (401, {"error": ERROR})
        self.assertEqual(self.api.session().status, 401)
        FakeServer.replies["/api/session"] = (401, {"error": "nope"})
        with self.assertRaises(SchemaError):
            self.api.session()
        FakeServer.replies["/api/session"] = (500, b"<html>oops</html>")
        with self.assertRaises(ProtocolError):
            self.api.session()


class RealProtocolDocument(unittest.TestCase):
    """docs/protocol.md, once written: loads, its references resolve and
    the names the harness needs are there."""

    NEEDED = ["session.response", "login.request", "login.response",
              "api.request", "api.response", "error", "http-error"]

    def test_document(self):
        path = os.path.join(harness.SRC, "docs", "protocol.md")
        schemas = Schemas.from_file(path)
        self.assertEqual(schemas.problems(), [])
        missing = [n for n in self.NEEDED if n not in schemas]
        self.assertEqual(missing, [], "schemas missing from docs/protocol.md")
        for name in schemas.names():
            if name.endswith(".request"):
                method = name[:-len(".request")]
                if method not in ("login", "api"):
                    self.assertIn(method + ".response", schemas,
                                  "%s has a request schema but no response "
                                  "schema" % method)


if __name__ == "__main__":
    unittest.main()
