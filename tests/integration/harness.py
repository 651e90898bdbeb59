"""Harness for Atrium's integration tests.

Each scenario is one file, tests/integration/test_*.py, a unittest module run
as a script by ctest (/usr/bin/python3 -B FILE, working directory = top of the
source tree) with these environment variables:

    ATRIUMD     path of the server binary
    ATRIUM      path of the connector binary
    ATRIUM_SRC  top of the source tree

Run one by hand from the top of the tree after `make`:

    ATRIUMD=build/atriumd ATRIUM=build/atrium /usr/bin/python3 -B \
        tests/integration/test_NAME.py -v

(ATRIUMD/ATRIUM default to build/atriumd and build/atrium under ATRIUM_SRC.)
ATRIUM_KEEP_TMP=1 keeps each test's temporary directory (server data, logs,
connector homes) and prints where it is.

What it offers:

    free_port()                    an unused loopback TCP port
    Server(tmpdir)                 one atriumd on loopback, data in tmpdir
    Api(url, login, password)      the JSON API, every reply schema-checked
    Connector(home)                runs the atrium CLI with --home HOME
    TempDirTestCase                unittest base: self.tmp, self.server(),
                                   self.connector(); log tails on failure
    SmtpSink(tmpdir)               an SMTP server on loopback (aiosmtpd)
                                   keeping what it receives in a Maildir
    validate(name, obj)            check obj against a schema of
                                   docs/protocol.md
    Schemas                        the schema extractor/validator itself

Schemas come from docs/protocol.md: every fenced code block whose info string
is `json schema=NAME` holds the JSON schema NAME, e.g.

    ```json schema=Item/sync.response
    { "type": "object", ... }
    ```

A schema may refer to another one with {"$ref": "schema:NAME"} (optionally
"schema:NAME#/json/pointer") and to its own parts with "#/...". Asking for a
schema the document does not have is a failure, never a silent pass.

Names the harness uses: session.response, login.request, login.response,
api.request, api.response, error (the typed error object), http-error (the
body of an HTTP 4xx/5xx reply: {"error": {...}}), and for each method
METHOD.request / METHOD.response (e.g. Folder/sync.request).

Only the standard library and jsonschema (Debian's python3-jsonschema) are
used; run with /usr/bin/python3.
"""

import atexit
import base64
import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import warnings
import weakref

import jsonschema
from jsonschema.validators import validator_for

SRC = os.environ.get("ATRIUM_SRC") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

__all__ = [
    "SRC", "HarnessError", "SchemaError", "ProtocolError", "MethodError",
    "CommandError", "free_port", "Schemas", "default_schemas", "validate",
    "Reply", "Api", "Server", "Connector", "TempDirTestCase", "SmtpSink",
]


class HarnessError(Exception):
    """The harness could not do what it was asked (binary missing, a
    process did not start...)."""


class SchemaError(AssertionError):
    """A schema is missing or broken, or a body does not match its schema.
    An AssertionError, so unittest reports it as a test failure."""


class ProtocolError(AssertionError):
    """A reply breaks the protocol in a way a schema cannot express."""


class MethodError(AssertionError):
    """Api.result(): the method answered ["error", {...}, callId]."""

    def __init__(self, method, error):
        self.method = method
        self.error = error
        super().__init__("%s failed: %s" % (method, json.dumps(error)))


class CommandError(AssertionError):
    """A command exited non-zero although check=True."""

    def __init__(self, completed):
        self.completed = completed
        super().__init__(
            "command failed with status %s: %s\n--- stdout\n%s--- stderr\n%s"
            % (completed.returncode, " ".join(map(str, completed.args)),
               _tail_text(completed.stdout), _tail_text(completed.stderr)))


def _tail_text(text, lines=40):
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    parts = text.splitlines()[-lines:]
    return "".join(line + "\n" for line in parts)


def _binary(var, name):
    path = os.environ.get(var)
    if path:
        return os.path.abspath(path)
    guess = os.path.join(SRC, "build", name)
    if os.access(guess, os.X_OK):
        return guess
    raise HarnessError("$%s is not set and %s does not exist: run the test "
                       "through ctest or set %s" % (var, guess, var))


def free_port():
    """An unused TCP port on 127.0.0.1 (free when this returns)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- schemas

# Schemas are registered under https://schemas.atrium.invalid/<NAME, quoted>
# so that "#/..." references inside each of them resolve against it; every
# {"$ref": "schema:NAME..."} is rewritten to that URI when loading.
_SCHEMA_BASE = "https://schemas.atrium.invalid/"
_OPEN_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_CLOSE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*$")


def _schema_uri(name):
    return _SCHEMA_BASE + urllib.parse.quote(name, safe="")


def _schema_name(uri):
    return urllib.parse.unquote(uri[len(_SCHEMA_BASE):])


def _no_duplicate_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError("duplicate key %r" % key)
        obj[key] = value
    return obj


class Schemas:
    """The JSON schemas of one markdown document, by name."""

    def __init__(self, schemas, source="<schemas>"):
        """schemas: {name: schema}; source names the origin in messages."""
        self.source = source
        self._raw = dict(schemas)
        self._store = {}
        for name, schema in self._raw.items():
            self._store[_schema_uri(name)] = self._rewrite_refs(
                copy.deepcopy(schema), name)

    # -- loading

    @classmethod
    def from_markdown(cls, text, source="<markdown>"):
        """Extract every ```json schema=NAME block of a markdown text."""
        schemas = {}
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            m = _OPEN_FENCE.match(lines[i])
            if not m:
                i += 1
                continue
            fence, info = m.group(2), m.group(3)
            start = i + 1
            j = start
            while j < len(lines):
                c = _CLOSE_FENCE.match(lines[j])
                if c and c.group(1)[0] == fence[0] and \
                        len(c.group(1)) >= len(fence):
                    break
                j += 1
            i = j + 1
            name = None
            for word in info.split():
                if word.startswith("schema="):
                    name = word[len("schema="):].strip("\"'")
            if name is None:
                continue
            where = "%s:%d" % (source, start)  # line of the opening fence
            if not name:
                raise SchemaError("%s: empty schema name" % where)
            if name in schemas:
                raise SchemaError("%s: schema %r defined twice" % (where, name))
            body = "\n".join(lines[start:j])
            try:
                schema = json.loads(body, object_pairs_hook=_no_duplicate_keys)
            except ValueError as e:
                line = start + getattr(e, "lineno", 1)
                raise SchemaError("%s:%d: schema %r is not valid JSON: %s"
                                  % (source, line, name, e)) from None
            if not isinstance(schema, (dict, bool)):
                raise SchemaError("%s: schema %r is not an object" % (where, name))
            try:
                _validator_class(schema).check_schema(schema)
            except jsonschema.exceptions.SchemaError as e:
                raise SchemaError("%s: schema %r is not a valid JSON schema: "
                                  "%s" % (where, name, e.message)) from None
            schemas[name] = schema
        return cls(schemas, source)

    @classmethod
    def from_file(cls, path):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise SchemaError("cannot read the schemas: %s" % e) from None
        return cls.from_markdown(text, os.path.relpath(path, SRC))

    def _rewrite_refs(self, node, owner):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and \
                        value.startswith("schema:"):
                    target, sep, fragment = value[len("schema:"):].partition("#")
                    node[key] = _schema_uri(target) + sep + fragment
                else:
                    self._rewrite_refs(value, owner)
        elif isinstance(node, list):
            for value in node:
                self._rewrite_refs(value, owner)
        return node

    # -- queries

    def names(self):
        return sorted(self._raw)

    def __contains__(self, name):
        return name in self._raw

    def schema(self, name):
        """The schema NAME as written in the document."""
        try:
            return self._raw[name]
        except KeyError:
            raise SchemaError("%s has no schema named %r (a ```json schema=%s"
                              " block)" % (self.source, name, name)) from None

    def problems(self):
        """Dangling "schema:NAME" references, as a list of messages."""
        out = []

        def walk(node, owner):
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith(_SCHEMA_BASE):
                    target = _schema_name(ref.partition("#")[0])
                    if target not in self._raw:
                        out.append("schema %r refers to missing schema %r"
                                   % (owner, target))
                for value in node.values():
                    walk(value, owner)
            elif isinstance(node, list):
                for value in node:
                    walk(value, owner)

        for uri, schema in sorted(self._store.items()):
            walk(schema, _schema_name(uri))
        return out

    def validate(self, name, obj):
        """Raise SchemaError unless obj matches the schema NAME."""
        self.schema(name)  # fails when missing
        uri = _schema_uri(name)
        schema = self._store[uri]

        def missing(ref_uri):
            raise SchemaError("%s has no schema named %r (referred to from %r)"
                              % (self.source, _schema_name(ref_uri), name))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            resolver = jsonschema.RefResolver(
                base_uri=uri, referrer=schema, store=dict(self._store),
                handlers={"https": missing, "http": missing})
            cls = _validator_class(schema)
            validator = cls(schema, resolver=resolver,
                            format_checker=_FORMATS)
            try:
                errors = list(validator.iter_errors(obj))
            except jsonschema.exceptions.RefResolutionError as e:
                cause = getattr(e, "_cause", None) or e.__cause__ or e
                if isinstance(cause, SchemaError):
                    raise cause from None
                raise SchemaError("schema %r: cannot resolve a $ref: %s"
                                  % (name, cause)) from None
        if errors:
            errors.sort(key=lambda e: [str(p) for p in e.absolute_path])
            lines = ["does not match schema %r of %s:" % (name, self.source)]
            for e in errors[:8]:
                lines.append("  at %s: %s" % (_json_path(e.absolute_path),
                                              _short(e.message)))
            if len(errors) > 8:
                lines.append("  ... and %d more" % (len(errors) - 8))
            lines.append("  value: " + _short(json.dumps(obj), 1500))
            raise SchemaError("\n".join(lines))


_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _format_checker():
    """jsonschema's checker, with a strict RFC 3339 date-time (Debian's
    jsonschema would need an extra module to check it at all)."""
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value):
        if not isinstance(value, str):
            return True
        if not _RFC3339.match(value):
            return False
        import datetime
        datetime.datetime.fromisoformat(
            value.upper().replace("Z", "+00:00"))
        return True

    return checker


_FORMATS = _format_checker()


def _validator_class(schema):
    return validator_for(schema, default=jsonschema.Draft202012Validator)


def _json_path(path):
    out = "$"
    for p in path:
        out += "[%d]" % p if isinstance(p, int) else "." + str(p)
    return out


def _short(text, limit=300):
    return text if len(text) <= limit else text[:limit] + "..."


_default = {"path": None, "mtime": None, "schemas": None}


def default_schemas():
    """The schemas of $ATRIUM_PROTOCOL_DOC or docs/protocol.md (reloaded
    when the file changes)."""
    path = os.environ.get("ATRIUM_PROTOCOL_DOC") or \
        os.path.join(SRC, "docs", "protocol.md")
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError as e:
        raise SchemaError("cannot read the schemas: %s" % e) from None
    if _default["path"] != path or _default["mtime"] != mtime:
        _default.update(path=path, mtime=mtime,
                        schemas=Schemas.from_file(path))
    return _default["schemas"]


def validate(name, obj):
    """Raise SchemaError unless obj matches schema NAME of docs/protocol.md."""
    default_schemas().validate(name, obj)


# ------------------------------------------------------------------- API

class Reply(tuple):
    """(status, body): body is the parsed JSON (None for an empty body).
    Also .status, .body, .headers and .raw (the bytes received)."""

    def __new__(cls, status, body, headers, raw):
        self = tuple.__new__(cls, (status, body))
        self.headers = headers
        self.raw = raw
        return self

    @property
    def status(self):
        return self[0]

    @property
    def body(self):
        return self[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Api:
    """A client of the JSON API of one server, as one user.

    Every reply is checked against docs/protocol.md: the envelope, each
    method result (METHOD.response, or `error` for an error entry), the
    session and login replies, and every 4xx/5xx body (http-error). Requests
    built by login()/call()/batch() are checked too (login.request,
    api.request, METHOD.request) unless validate_request=False is passed,
    which is how a test sends deliberately bad input.

    auth: "auto" (bearer token once login() succeeded, else HTTP Basic),
    "basic", "bearer" or None (no credentials).
    """

    USING = ["atrium:core"]

    def __init__(self, server_url, login, password, *, schemas=None,
                 timeout=60):
        self.url = server_url.rstrip("/")
        self.user = login
        self.password = password
        self.token = None
        self.timeout = timeout
        self._schemas = schemas
        # No proxies (loopback), no redirects followed silently.
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), _NoRedirect())

    @property
    def schemas(self):
        return self._schemas if self._schemas is not None else default_schemas()

    def validate(self, name, obj):
        self.schemas.validate(name, obj)

    # -- HTTP

    def _auth_header(self, auth):
        if auth == "auto":
            auth = "bearer" if self.token else "basic"
        if auth == "bearer":
            if not self.token:
                raise HarnessError("no token: call login() first")
            return "Bearer " + self.token
        if auth == "basic":
            pair = ("%s:%s" % (self.user, self.password)).encode("utf-8")
            return "Basic " + base64.b64encode(pair).decode("ascii")
        if auth is None:
            return None
        raise ValueError("auth must be auto, basic, bearer or None")

    def request(self, method, path, body=None, *, auth="auto", headers=None,
                schema=None):
        """Send one HTTP request; return a Reply.

        body: dict/list (sent as JSON), bytes/str (sent as is) or None.
        schema: name of the schema a 2xx JSON body must match. Any 4xx/5xx
        body must be empty or JSON matching http-error.
        """
        hdrs = {"Accept": "application/json"}
        data = None
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body).encode("utf-8")
                hdrs["Content-Type"] = "application/json"
            elif isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = bytes(body)
        value = self._auth_header(auth)
        if value:
            hdrs["Authorization"] = value
        hdrs.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, headers=hdrs,
                                     method=method)
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                status, rheaders, raw = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, rheaders, raw = e.code, e.headers, e.read()
            e.close()
        where = "%s %s -> %d" % (method, path, status)
        parsed = None
        if raw:
            try:
                parsed = json.loads(raw.decode("utf-8"),
                                    object_pairs_hook=_no_duplicate_keys)
            except ValueError as e:
                if status >= 400 or schema is not None:
                    raise ProtocolError("%s: body is not JSON (%s): %r"
                                        % (where, e, raw[:300])) from None
                parsed = None
        try:
            if status >= 400:
                if raw:
                    self.validate("http-error", parsed)
            elif schema is not None and 200 <= status < 300:
                if not raw:
                    raise ProtocolError("%s: empty body" % where)
                self.validate(schema, parsed)
        except AssertionError as e:
            raise type(e)("%s: %s" % (where, e)) from None
        return Reply(status, parsed, rheaders, raw)

    # -- endpoints

    def login(self, *, device=None, validate_request=True):
        """POST /api/login; on success keep the token for later calls."""
        body = {"login": self.user, "password": self.password}
        if device is not None:
            body["device"] = device
        if validate_request:
            self.validate("login.request", body)
        reply = self.request("POST", "/api/login", body, auth=None,
                             schema="login.response")
        if reply.status == 200:
            self.token = reply.body["token"]
        return reply

    def logout(self):
        """POST /api/logout with the bearer token; forget it on success."""
        reply = self.request("POST", "/api/logout", auth="bearer",
                             schema="logout.response")
        if reply.status == 200:
            self.token = None
        return reply

    def session(self, *, auth="auto"):
        """GET /api/session."""
        return self.request("GET", "/api/session", auth=auth,
                            schema="session.response")

    def batch(self, calls, *, using=None, validate_request=True, auth="auto"):
        """POST /api with several method calls [(method, args, callId)...].
        Returns Reply(status, {"methodResponses": [...], ...})."""
        calls = [list(c) for c in calls]
        envelope = {"using": list(using or self.USING), "methodCalls": calls}
        if validate_request:
            self.validate("api.request", envelope)
            for name, args, call_id in calls:
                try:
                    self.validate(name + ".request", args)
                except SchemaError as e:
                    raise SchemaError(
                        "request %r (callId %r): %s\n(pass validate_request="
                        "False to send invalid input on purpose)"
                        % (name, call_id, e)) from None
        reply = self.request("POST", "/api", envelope, auth=auth,
                             schema="api.response")
        if reply.status == 200:
            self._check_responses(calls, reply.body["methodResponses"])
        return reply

    def call(self, method, args, call_id="c0", **kwargs):
        """POST /api with one method call; returns Reply like batch()."""
        return self.batch([(method, args, call_id)], **kwargs)

    def result(self, method, args, **kwargs):
        """Call one method and return its result arguments; fail on an HTTP
        error or a method error (MethodError carries the error object)."""
        status, body = self.call(method, args, "c0", **kwargs)
        if status != 200:
            raise ProtocolError("%s: HTTP %d: %s" % (method, status,
                                                     json.dumps(body)))
        for name, res, call_id in body["methodResponses"]:
            if call_id != "c0":
                continue
            if name == "error":
                raise MethodError(method, res)
            if name == method:
                return res
        raise ProtocolError("%s: no %s response in %s"
                            % (method, method, json.dumps(body)))

    def _check_responses(self, calls, responses):
        asked = [c[2] for c in calls]
        answered = set()
        for i, entry in enumerate(responses):
            if not (isinstance(entry, list) and len(entry) == 3):
                raise ProtocolError("methodResponses[%d] is not "
                                    "[name, args, callId]: %r" % (i, entry))
            name, args, call_id = entry
            if call_id not in asked:
                raise ProtocolError("methodResponses[%d]: unknown callId %r "
                                    "(asked: %r)" % (i, call_id, asked))
            answered.add(call_id)
            try:
                self.validate("error" if name == "error"
                              else name + ".response", args)
            except SchemaError as e:
                raise SchemaError("methodResponses[%d] (%s, callId %r): %s"
                                  % (i, name, call_id, e)) from None
        unanswered = [c for c in asked if c not in answered]
        if unanswered:
            raise ProtocolError("no response for callId(s) %r" % unanswered)


# ---------------------------------------------------------------- processes

_live = weakref.WeakSet()


def _die_with_parent():
    """preexec_fn: have Linux kill the child if the test process dies
    (a test killed by a ctest timeout must not leave servers behind)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Server:
    """One atriumd on 127.0.0.1, its data in TMPDIR/data and its output in
    TMPDIR/atriumd.log. The port is chosen once, so a restart (after stop()
    or kill9()) listens on the same address.

        with Server(tmp) as srv:         # stops the server on exit and
            srv.add_user(...)            # prints the log tail if the block
            srv.start()                  # raised
            ...
    """

    def __init__(self, tmpdir, *, binary=None, port=None):
        self.tmpdir = tmpdir
        self.data = os.path.join(tmpdir, "data")
        self.log_path = os.path.join(tmpdir, "atriumd.log")
        self.binary = binary or _binary("ATRIUMD", "atriumd")
        self.port = port or free_port()
        self.proc = None
        os.makedirs(self.data, exist_ok=True)
        _live.add(self)

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % (getattr(self, "scheme", "http"), self.port)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _log(self, line):
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write("--- harness %s: %s\n" % (time.strftime("%H:%M:%S"), line))

    def start(self, config=None, *, args=(), timeout=10, tls=None):
        """Start `atriumd serve` and wait until GET /api/session answers
        (any HTTP status). config: path of a configuration file, or a dict
        of settings ({"smtp_url": ..., "reminder_interval": 1}) written to
        TMPDIR/atriumd.conf."""
        if self.running():
            raise HarnessError("atriumd already running (pid %d)" % self.pid)
        if isinstance(config, dict):
            path = os.path.join(self.tmpdir, "atriumd.conf")
            with open(path, "w", encoding="utf-8") as f:
                for key, value in config.items():
                    f.write("%s = %s\n" % (key, value))
            config = path
        cmd = [self.binary, "serve", "--data", self.data,
               "--listen", "127.0.0.1:%d" % self.port]
        if config is not None:
            cmd += ["--config", str(config)]
        cmd += list(args)
        self.scheme = "http"
        if tls is not None:
            # tls: (certificate file, key file), PEM
            cmd += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
            self.scheme = "https"
        self._log("start: " + " ".join(cmd))
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                cwd=self.tmpdir, preexec_fn=_die_with_parent)
        import ssl
        unverified = ssl.create_default_context()
        unverified.check_hostname = False
        unverified.verify_mode = ssl.CERT_NONE
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPSHandler(context=unverified))
        deadline = time.monotonic() + timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                raise HarnessError("atriumd exited with status %d while "
                                   "starting\n%s" % (code, self.log_tail()))
            try:
                with opener.open(self.url + "/api/session", timeout=1):
                    pass
                return self
            except urllib.error.HTTPError:
                return self  # any status means it is serving
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.kill9()
                raise HarnessError("atriumd did not answer on %s within %ss\n%s"
                                   % (self.url, timeout, self.log_tail()))
            time.sleep(0.05)

    def stop(self, timeout=10):
        """SIGTERM, then wait until the process is gone (SIGKILL after
        `timeout` seconds). Returns the exit status (negative: signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._log("did not exit %ss after SIGTERM: SIGKILL" % timeout)
                self.proc.kill()
                self.proc.wait()
        self._log("stopped, status %s" % self.proc.returncode)
        return self.proc.returncode

    def kill9(self):
        """SIGKILL, as a crash would; waits until the process is gone."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log("killed with SIGKILL")
        return self.proc.returncode

    def cli(self, *args, input=None, check=True, timeout=120):
        """Run `atriumd ARGS... --data DIR` (admin subcommands)."""
        cmd = [self.binary] + [str(a) for a in args] + ["--data", self.data]
        cp = subprocess.run(cmd, input=input, text=True, capture_output=True,
                            timeout=timeout, cwd=self.tmpdir)
        if check and cp.returncode != 0:
            raise CommandError(cp)
        return cp

    def add_user(self, login, name, email, password):
        """`atriumd user add LOGIN --name NAME --email ADDR --data DIR
        --password-stdin`, the password fed on stdin (with a newline)."""
        return self.cli("user", "add", login, "--name", name,
                        "--email", email, "--password-stdin",
                        input=password + "\n")

    def api(self, login, password):
        return Api(self.url, login, password)

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return "(no log at %s)" % self.log_path
        return "--- last lines of %s\n%s" % (self.log_path,
                                             _tail_text(text, lines))

    def print_log_tail(self, lines=60):
        sys.stderr.write(self.log_tail(lines))
        sys.stderr.flush()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and exc_type is not KeyboardInterrupt:
            self.print_log_tail()
        self.stop()
        return False


class Connector:
    """The atrium CLI with its own home directory."""

    def __init__(self, home, atrium_path=None, *, timeout=300):
        self.home = home
        self.binary = atrium_path or _binary("ATRIUM", "atrium")
        self.timeout = timeout
        os.makedirs(home, exist_ok=True)

    def command(self, *args):
        return [self.binary, "--home", self.home] + [str(a) for a in args]

    def run(self, *args, input=None, check=True, env=None, timeout=None):
        """Run `atrium --home HOME ARGS...`; stdout/stderr as text. env:
        variables added to (or overriding) the test's environment."""
        full_env = dict(os.environ)
        full_env.update(env or {})
        cp = subprocess.run(self.command(*args), input=input, text=True,
                            capture_output=True, env=full_env,
                            timeout=timeout or self.timeout)
        if check and cp.returncode != 0:
            raise CommandError(cp)
        return cp

    def json(self, *args, **kwargs):
        """Run with --json appended and return the parsed stdout."""
        cp = self.run(*args, "--json", **kwargs)
        try:
            return json.loads(cp.stdout)
        except ValueError as e:
            raise ProtocolError("atrium %s --json: stdout is not JSON (%s)\n"
                                "--- stdout\n%s--- stderr\n%s"
                                % (" ".join(map(str, args)), e,
                                   _tail_text(cp.stdout),
                                   _tail_text(cp.stderr))) from None

    def popen(self, *args, log=None, env=None):
        """Start `atrium --home HOME ARGS...` in the background (e.g. a sync
        daemon), output to LOG (default HOME/atrium-ARGS0.log)."""
        full_env = dict(os.environ)
        full_env.update(env or {})
        log = log or os.path.join(self.home, "atrium-%s.log"
                                  % (args[0] if args else "run"))
        with open(log, "ab") as f:
            return subprocess.Popen(self.command(*args),
                                    stdin=subprocess.DEVNULL, stdout=f,
                                    stderr=f, env=full_env,
                                    preexec_fn=_die_with_parent)

    def add_profile(self, name, url, login, password, **kwargs):
        """`profile add NAME --server URL --user LOGIN --password-stdin`."""
        return self.run("profile", "add", name, "--server", url,
                        "--user", login, "--password-stdin",
                        input=password + "\n", **kwargs)


_MAILDIR_NAME = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)\.")


class SmtpSink:
    """An SMTP server on 127.0.0.1 (aiosmtpd's Mailbox handler, Debian's
    python3-aiosmtpd) that keeps every message it accepts in the Maildir
    TMPDIR/maildir; its output goes to TMPDIR/smtp.log. The port is chosen
    once, so it can be stopped and started again on the same address.

        sink = SmtpSink(tmp).start()
        ... "smtp_url": sink.url ...
        sink.wait_for(1)          # [email.message.Message], oldest first
        sink.stop()

    The handler adds X-MailFrom and X-RcptTo headers (the envelope)."""

    def __init__(self, tmpdir, *, port=None):
        self.tmpdir = tmpdir
        self.maildir = os.path.join(tmpdir, "maildir")
        self.log_path = os.path.join(tmpdir, "smtp.log")
        self.port = port or free_port()
        self.proc = None
        os.makedirs(tmpdir, exist_ok=True)
        _live.add(self)

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=10):
        """Start the sink and wait until it accepts connections."""
        if self.running():
            raise HarnessError("SMTP sink already running (pid %d)"
                               % self.proc.pid)
        cmd = ["/usr/bin/python3", "-m", "aiosmtpd", "-n",
               "-l", "127.0.0.1:%d" % self.port,
               "-c", "aiosmtpd.handlers.Mailbox", self.maildir]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                cwd=self.tmpdir, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                raise HarnessError("SMTP sink exited with status %d\n%s"
                                   % (code, self.log_tail()))
            try:
                with socket.create_connection(("127.0.0.1", self.port),
                                              timeout=1) as sock:
                    sock.settimeout(2)
                    if sock.recv(3) == b"220":
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill9()
                raise HarnessError("SMTP sink did not answer on port %d "
                                   "within %ss\n%s"
                                   % (self.port, timeout, self.log_tail()))
            time.sleep(0.05)

    def stop(self, timeout=10):
        """SIGTERM to its PID; waits until it is gone (SIGKILL after
        timeout)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def messages(self):
        """Every message received so far, as email.message.Message objects,
        in the order of arrival.

        The order comes from the Maildir name the sink gave each message,
        "SECONDS.M<microseconds>P<pid>Q<counter>.HOST": the time it was
        received (in microseconds) and the sink's own counter. File mtimes
        cannot decide: with a coarse file system clock two messages a few
        milliseconds apart have the same one, and the names, compared as
        text, misorder across a digit boundary ("M99980" > "M100020")."""
        import email
        import email.policy
        new = os.path.join(self.maildir, "new")
        cur = os.path.join(self.maildir, "cur")
        entries = []
        for d in (new, cur):
            try:
                names = os.listdir(d)
            except FileNotFoundError:
                continue
            for name in names:
                path = os.path.join(d, name)
                try:
                    st = os.stat(path)
                except FileNotFoundError:
                    continue
                m = _MAILDIR_NAME.match(name)
                if m:
                    key = (int(m.group(1)) * 1000000 + int(m.group(2)), int(m.group(3)))
                else:
                    key = (st.st_mtime_ns // 1000, 0)
                entries.append((key, name, path))
        out = []
        for _, _, path in sorted(entries):
            with open(path, "rb") as f:
                out.append(email.message_from_binary_file(
                    f, policy=email.policy.default))
        return out

    def wait_for(self, count, timeout=20):
        """Wait until at least count messages arrived; returns them all.
        Fails (AssertionError) after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.messages()
            if len(msgs) >= count:
                return msgs
            if time.monotonic() > deadline:
                raise AssertionError("SMTP sink: %d message(s) after %ss, "
                                     "expected %d" % (len(msgs), timeout,
                                                      count))
            time.sleep(0.1)

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return "(no log at %s)" % self.log_path
        return "--- last lines of %s\n%s" % (self.log_path,
                                             _tail_text(text, lines))


def _stop_leftovers():
    for server in list(_live):
        if server.running():
            server.kill9()


atexit.register(_stop_leftovers)


# ----------------------------------------------------------------- test base

class TempDirTestCase(unittest.TestCase):
    """self.tmp: a fresh directory per test, removed afterwards unless
    ATRIUM_KEEP_TMP=1. Servers made by self.server() are stopped after the
    test; if the test failed, their log tails are printed first."""

    maxDiff = None

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="atrium-%s-" % self._testMethodName)
        outcome = getattr(self, "_outcome", None)
        self._problems_before = self._problem_count(
            getattr(outcome, "result", None))
        self._servers = []
        self.addCleanup(self._remove_tmp)     # runs last
        self.addCleanup(self._stop_servers)   # runs first

    def server(self, name="atriumd", **kwargs):
        """A Server in self.tmp/NAME (not started)."""
        srv = Server(os.path.join(self.tmp, name), **kwargs)
        self._servers.append(srv)
        return srv

    def connector(self, name="home", **kwargs):
        """A Connector whose home is self.tmp/NAME."""
        return Connector(os.path.join(self.tmp, name), **kwargs)

    @staticmethod
    def _problem_count(result):
        return sum(len(getattr(result, attr, ())) for attr in
                   ("failures", "errors", "unexpectedSuccesses"))

    def _failed(self):
        """Has this test failed so far? (unittest has no public way to ask.)"""
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        errors = getattr(outcome, "errors", None)  # Python <= 3.10
        if errors is not None:
            return any(exc_info is not None for _, exc_info in errors)
        result = getattr(outcome, "result", None)  # Python >= 3.11
        return result is not None and \
            self._problem_count(result) > self._problems_before

    def _stop_servers(self):
        failed = self._failed()
        for srv in self._servers:
            if failed:
                srv.print_log_tail()
            srv.stop()

    def _remove_tmp(self):
        if os.environ.get("ATRIUM_KEEP_TMP") == "1":
            sys.stderr.write("kept %s\n" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
