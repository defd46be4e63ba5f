#!/usr/bin/env python3
# console_recv.py SOCKET OUT [UNTIL]: a tiny --console-socket receiver, as
# containerd's shim is one. Listens on the unix socket SOCKET, accepts one
# connection, takes the pty master passed with SCM_RIGHTS, writes the name the
# runtime sent ("name: ...") and then everything read from the master to the
# file OUT, until UNTIL appears in the output, EOF, or 20 s.
import array
import os
import socket
import sys
import time


def main():
    path, out = sys.argv[1], sys.argv[2]
    until = sys.argv[3].encode() if len(sys.argv) > 3 else None
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(1)
    s.settimeout(20)
    c, _ = s.accept()
    fds = array.array("i")
    msg, anc, _, _ = c.recvmsg(256, socket.CMSG_LEN(fds.itemsize))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[: fds.itemsize])
    with open(out, "wb", buffering=0) as f:
        f.write(b"name: " + msg.rstrip(b"\0") + b"\n")
        if not fds:
            f.write(b"no fd received\n")
            return 1
        m, got, end = fds[0], b"", time.time() + 20
        while time.time() < end and not (until and until in got):
            try:
                b = os.read(m, 4096)
            except OSError:
                break
            if not b:
                break
            got += b
            f.write(b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
