"""A loopback TCP proxy that integration tests control, to cut the network
between a connector and atriumd in the middle of a request or a reply.

    proxy = Proxy(upstream_port); proxy.start(); ... proxy.url ...
    proxy.cut_request_after(n, reset=False)   # forward n bytes upstream, then cut
    proxy.cut_reply_after(n, reset=False)     # forward n bytes back, then cut
    proxy.stall()                             # stop forwarding, keep sockets open
    proxy.heal()                              # forward everything again
    proxy.stop()

A cut closes both sides (FIN), or with reset=True resets the client's side
(RST).  A rule applies once, to the connection that reaches it; later
connections pass.  Only loopback addresses are used.

Each connection has two pump threads, one per direction.  A cut only shuts
the sockets down (which wakes the other pump); the descriptors are closed
by whichever pump ends last.  Closing them at the cut instead would let the
other pump, still holding the old descriptor numbers, shut down the next
connection's sockets once the kernel hands those numbers out again.
"""
import socket
import struct
import threading
import time


class Proxy:
    def __init__(self, upstream_port, host="127.0.0.1"):
        self.host = host
        self.upstream_port = upstream_port
        self.lock = threading.Lock()
        self.rule = None          # ("request"|"reply", bytes, reset) or None
        self.stalled = False
        self.sent_up = 0          # bytes forwarded upstream since the rule was set
        self.sent_down = 0
        self.cuts = 0
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.running = False
        self.conns = []

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    def start(self):
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self.running = False
        try:
            self.listener.close()
        except OSError:
            pass
        for c in list(self.conns):
            c.cut(reset=False)

    def _set(self, rule=None, stalled=False):
        with self.lock:
            self.rule = rule
            self.stalled = stalled
            self.sent_up = self.sent_down = 0

    def cut_request_after(self, n, reset=False):
        self._set(("request", n, reset))

    def cut_reply_after(self, n, reset=False):
        self._set(("reply", n, reset))

    def stall(self):
        self._set(None, True)

    def heal(self):
        self._set(None, False)

    def _accept(self):
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection((self.host, self.upstream_port), timeout=10)
            except OSError:
                _shutdown(client, socket.SHUT_RDWR)
                _close(client)
                continue
            upstream.settimeout(None)
            conn = _Conn(client, upstream)
            self.conns.append(conn)
            threading.Thread(target=self._pump, args=(conn, "request"), daemon=True).start()
            threading.Thread(target=self._pump, args=(conn, "reply"), daemon=True).start()

    def _pump(self, conn, direction):
        src, dst = ((conn.client, conn.upstream) if direction == "request"
                    else (conn.upstream, conn.client))
        try:
            while not conn.done:
                try:
                    data = src.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                while True:
                    with self.lock:
                        stalled = self.stalled
                    if not stalled or conn.done:
                        break
                    time.sleep(0.05)
                with self.lock:
                    rule = self.rule
                    count = self.sent_up if direction == "request" else self.sent_down
                    if rule is not None and rule[0] == direction and count + len(data) >= rule[1]:
                        keep = max(0, rule[1] - count)
                        self.rule = None
                    else:
                        keep = None
                    if direction == "request":
                        self.sent_up += len(data)
                    else:
                        self.sent_down += len(data)
                if keep is not None:
                    try:
                        dst.sendall(data[:keep])
                    except OSError:
                        pass
                    self.cuts += 1
                    conn.cut(reset=rule[2])
                    return
                try:
                    dst.sendall(data)
                except OSError:
                    break
            conn.cut(reset=False)
        finally:
            conn.pump_ended()


class _Conn:
    """A client connection and its upstream one, shared by two pumps."""

    def __init__(self, client, upstream):
        self.client = client
        self.upstream = upstream
        self.lock = threading.Lock()
        self.done = False
        self.pumps = 2

    def cut(self, reset):
        """Ends both directions once: FIN both ways, or RST to the client
        (SO_LINGER 0 and no FIN; the reset goes out when the socket is
        closed).  Shutting down wakes a pump blocked in recv()."""
        with self.lock:
            if self.done:
                return
            self.done = True
        if reset:
            try:
                self.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            except OSError:
                pass
            _shutdown(self.client, socket.SHUT_RD)
        else:
            _shutdown(self.client, socket.SHUT_RDWR)
        _shutdown(self.upstream, socket.SHUT_RDWR)

    def pump_ended(self):
        """The last pump out closes both descriptors."""
        with self.lock:
            self.pumps -= 1
            last = self.pumps == 0
        if last:
            _close(self.client)
            _close(self.upstream)


def _shutdown(s, how):
    try:
        s.shutdown(how)
    except OSError:
        pass


def _close(s):
    try:
        s.close()
    except OSError:
        pass
