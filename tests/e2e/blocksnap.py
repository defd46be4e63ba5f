#!/usr/bin/python3
"""blocksnap.py: a containerd proxy snapshotter for tests that keeps every
snapshot as an ext4 image file and hands it out as
{type: ext4, source: IMAGE, options: [loop, rw|ro]}, so containerd's shim
mounts a loop block device on the bundle's rootfs - the layout a devmapper or
blockfile snapshotter gives, on a host without device-mapper.

    blocksnap.py SOCKET ROOTDIR [LABEL]

LABEL names every image's ext4 volume; "@key" instead gives each snapshot
made from a parent the first 16 characters of its key (with CRI, the
container's id; keys come as NAMESPACE/N/KEY) as its label, so each container's device is told apart.

Speaks containerd.services.snapshots.v1.Snapshots over gRPC (python3-grpcio)
with a small hand-written protobuf codec (field numbers from containerd's API).
Not for production: one process, state in memory, whole-image copies.
"""
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent import futures

import grpc

SERVICE = "containerd.services.snapshots.v1.Snapshots"
KIND_VIEW, KIND_ACTIVE, KIND_COMMITTED = 1, 2, 3
IMAGE_MB = 64


# ---- protobuf wire format -------------------------------------------------
def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_str(num, s):
    return field_bytes(num, s.encode()) if s else b""


def field_int(num, n):
    return varint(num << 3) + varint(n) if n else b""


def decode(buf):
    """{field number: [values]}; length-delimited values stay bytes."""
    out, i = {}, 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 2:
            n, i = read_varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def read_varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def get_str(msg, num):
    v = msg.get(num)
    return v[0].decode() if v else ""


def get_map(msg, num):
    out = {}
    for entry in msg.get(num, []):
        e = decode(entry)
        out[get_str(e, 1)] = get_str(e, 2)
    return out


def enc_map(num, d):
    return b"".join(field_bytes(num, field_str(1, k) + field_str(2, v)) for k, v in sorted(d.items()))


def enc_timestamp(num, t):
    return field_bytes(num, field_int(1, int(t)) + field_int(2, int((t % 1) * 1e9)))


# ---- the snapshotter -------------------------------------------------------
class Snapshots:
    def __init__(self, root, label):
        self.root = root
        self.label = label
        self.lock = threading.Lock()
        self.snaps = {}  # key -> dict(name, parent, kind, labels, created, updated, img)
        self.n = 0
        os.makedirs(os.path.join(root, "images"), exist_ok=True)

    def _new_image(self, key, parent):
        self.n += 1
        img = os.path.join(self.root, "images", "%d.img" % self.n)
        per_key = self.label == "@key"
        if parent:
            subprocess.run(["cp", "--sparse=always", self.snaps[parent]["img"], img], check=True)
            if per_key:
                subprocess.run(["e2label", img, key.rsplit("/", 1)[-1][:16]], check=True)
        else:
            with open(img, "wb") as f:
                f.truncate(IMAGE_MB << 20)
            label = "blocksnap" if per_key else self.label
            subprocess.run(["mkfs.ext4", "-q", "-F", "-L", label, img], check=True)
        return img

    def _mounts(self, s):
        opts = ["loop", "ro" if s["kind"] == KIND_VIEW else "rw"]
        m = field_str(1, "ext4") + field_str(2, s["img"]) + b"".join(field_str(4, o) for o in opts)
        return field_bytes(1, m)

    def _info(self, key, s):
        return (field_str(1, key) + field_str(2, s["parent"]) + field_int(3, s["kind"]) +
                enc_timestamp(4, s["created"]) + enc_timestamp(5, s["updated"]) + enc_map(6, s["labels"]))

    def _create(self, req, kind, ctx):
        m = decode(req)
        key, parent, labels = get_str(m, 2), get_str(m, 3), get_map(m, 4)
        with self.lock:
            if key in self.snaps:
                ctx.abort(grpc.StatusCode.ALREADY_EXISTS, "snapshot %s: already exists" % key)
            if parent and parent not in self.snaps:
                ctx.abort(grpc.StatusCode.NOT_FOUND, "parent %s: not found" % parent)
            now = time.time()
            s = dict(parent=parent, kind=kind, labels=labels, created=now, updated=now,
                     img=self._new_image(key, parent))
            self.snaps[key] = s
            return self._mounts(s)

    def Prepare(self, req, ctx):
        return self._create(req, KIND_ACTIVE, ctx)

    def View(self, req, ctx):
        return self._create(req, KIND_VIEW, ctx)

    def _get(self, key, ctx):
        s = self.snaps.get(key)
        if s is None:
            ctx.abort(grpc.StatusCode.NOT_FOUND, "snapshot %s: not found" % key)
        return s

    def Mounts(self, req, ctx):
        with self.lock:
            return self._mounts(self._get(get_str(decode(req), 2), ctx))

    def Commit(self, req, ctx):
        m = decode(req)
        name, key, labels = get_str(m, 2), get_str(m, 3), get_map(m, 4)
        with self.lock:
            s = self._get(key, ctx)
            if name in self.snaps:
                ctx.abort(grpc.StatusCode.ALREADY_EXISTS, "snapshot %s: already exists" % name)
            del self.snaps[key]
            s.update(kind=KIND_COMMITTED, updated=time.time())
            s["labels"].update(labels)
            self.snaps[name] = s
        return b""

    def Remove(self, req, ctx):
        key = get_str(decode(req), 2)
        with self.lock:
            s = self._get(key, ctx)
            if any(o["parent"] == key for o in self.snaps.values()):
                ctx.abort(grpc.StatusCode.FAILED_PRECONDITION, "snapshot %s has children" % key)
            del self.snaps[key]
            os.unlink(s["img"])
        return b""

    def Stat(self, req, ctx):
        key = get_str(decode(req), 2)
        with self.lock:
            return field_bytes(1, self._info(key, self._get(key, ctx)))

    def Update(self, req, ctx):
        info = decode(decode(req).get(2, [b""])[0])
        key = get_str(info, 1)
        with self.lock:
            s = self._get(key, ctx)
            s["labels"] = get_map(info, 6)
            s["updated"] = time.time()
            return field_bytes(1, self._info(key, s))

    def List(self, req, ctx):
        with self.lock:
            infos = [field_bytes(1, self._info(k, s)) for k, s in self.snaps.items()]
        for i in range(0, len(infos), 100):
            yield b"".join(infos[i:i + 100])

    def Usage(self, req, ctx):
        with self.lock:
            s = self._get(get_str(decode(req), 2), ctx)
            st = os.stat(s["img"])
        return field_int(1, st.st_blocks * 512) + field_int(2, 1)

    def Cleanup(self, req, ctx):
        return b""


def main():
    sock, root = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else "blocksnap"
    snap = Snapshots(root, label)
    ident = lambda b: b
    handlers = {}
    for name in ("Prepare", "View", "Mounts", "Commit", "Remove", "Stat", "Update", "Usage", "Cleanup"):
        handlers[name] = grpc.unary_unary_rpc_method_handler(
            getattr(snap, name), request_deserializer=ident, response_serializer=ident)
    handlers["List"] = grpc.unary_stream_rpc_method_handler(
        snap.List, request_deserializer=ident, response_serializer=ident)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_insecure_port("unix:" + sock)
    server.start()
    print("blocksnap: serving on", sock, flush=True)
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(os.path.join(root, "images"), ignore_errors=True)


if __name__ == "__main__":
    main()
