"""A minimal, strict RESP2 client for the hostile-input tests.

Why not redis-py: it rewrites error replies (strips the code of known errors,
maps them to exception classes) and decodes replies, and these tests must see
every reply exactly as the server sent it: its type (simple string vs bulk),
its bytes, and the full error text. Any framing problem (a line not ending in
CRLF, an unknown type byte, a short bulk) raises ProtocolError.

Replies are tuples: ("int", n) ("bulk", bytes) ("nil",) ("simple", str)
("err", str) ("array", [replies]) ("nilarray",).
"""
import socket


class ProtocolError(Exception):
    pass


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode("utf-8", "surrogateescape")
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n" % len(a))
        out.append(a)
        out.append(b"\r\n")
    return b"".join(out)


class Conn:
    def __init__(self, port, host="127.0.0.1", timeout=60):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        if self.pos > (1 << 20):
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                if b"\n" in line or b"\r" in line:
                    raise ProtocolError("bare CR or LF inside a reply line: %r" % line[:200])
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = bytes(self.buf[self.pos:self.pos + n])
        if self.buf[self.pos + n:self.pos + n + 2] != b"\r\n":
            raise ProtocolError("bulk not followed by CRLF")
        self.pos += n + 2
        return data

    def read(self):
        line = self._line()
        if not line:
            raise ProtocolError("empty reply line")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return ("simple", rest.decode("latin-1"))
        if t == b"-":
            return ("err", rest.decode("latin-1"))
        if t == b":":
            try:
                return ("int", int(rest))
            except ValueError:
                raise ProtocolError("bad integer reply %r" % rest[:100])
        if t == b"$":
            n = int(rest)
            if n == -1:
                return ("nil",)
            if n < 0:
                raise ProtocolError("bad bulk length %d" % n)
            return ("bulk", self._exact(n))
        if t == b"*":
            n = int(rest)
            if n == -1:
                return ("nilarray",)
            if n < 0:
                raise ProtocolError("bad array length %d" % n)
            return ("array", [self.read() for _ in range(n)])
        raise ProtocolError("unknown reply type %r" % line[:100])

    def pipeline(self, commands):
        """Sends every command, then reads one reply per command, in order."""
        self.sock.sendall(b"".join(encode(c) for c in commands))
        return [self.read() for _ in commands]

    def call(self, *args):
        return self.pipeline([list(args)])[0]


def plain(reply):
    """Converts a reply to plain Python values (errors become ("err", text))."""
    t = reply[0]
    if t in ("int", "bulk", "simple"):
        return reply[1]
    if t in ("nil", "nilarray"):
        return None
    if t == "array":
        return [plain(x) for x in reply[1]]
    return reply
