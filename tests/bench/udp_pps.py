#!/usr/bin/env python3
# tests/bench/udp_pps.py: UDP echo packets per second, for tests/bench/net.sh.
#
#   udp_pps.py HOST PORT COUNT [WINDOW] [TIMEOUT_S]
#
# Sends COUNT numbered datagrams to HOST:PORT, keeping at most WINDOW (default
# 32) unanswered at once, and counts the echoes that come back unchanged. When
# nothing comes back for TIMEOUT_S (default 0.5) the outstanding ones count as
# lost and sending goes on. Prints one line:
#   sent=N echoed=M lost=L secs=S pps=P
# (pps: echoes per second of the whole run). Exits 1 when no echo came back.
import socket
import sys
import time


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    window = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 0.5
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    s.settimeout(timeout)
    pending = set()
    sent = echoed = lost = 0
    t0 = time.monotonic()
    while sent < count or pending:
        while sent < count and len(pending) < window:
            msg = b"urbench %08d" % sent
            s.send(msg)
            pending.add(msg)
            sent += 1
        try:
            data = s.recv(2048)
        except socket.timeout:
            lost += len(pending)
            pending.clear()
            continue
        except ConnectionRefusedError:  # an ICMP unreachable: nobody listens
            continue
        if data in pending:
            pending.remove(data)
            echoed += 1
    secs = time.monotonic() - t0
    print("sent=%d echoed=%d lost=%d secs=%.3f pps=%.0f" % (sent, echoed, lost, secs, echoed / secs))
    return 0 if echoed else 1


if __name__ == "__main__":
    sys.exit(main())
