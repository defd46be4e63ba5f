#!/usr/bin/python3
"""cri.py: a small CRI client for uniroot's tests (Debian 12 has no crictl).

    cri.py SOCKET version
    cri.py SOCKET runp POD.json [HANDLER]          prints the pod sandbox id
    cri.py SOCKET create POD_ID CTR.json POD.json  prints the container id
    cri.py SOCKET start|stop|rm ID                 (stop: CRI_STOP_TIMEOUT s, default 10)
    cri.py SOCKET stopp|rmp POD_ID
    cri.py SOCKET inspect ID | inspectp POD_ID     the status, verbose, as JSON
    cri.py SOCKET wait ID STATE [SECONDS]         until the container's state is STATE
                                                   (e.g. CONTAINER_EXITED; default 10 s)
    cri.py SOCKET list                             one JSON line per container: id, pod,
                                                   state, log path, the pod's address
    cri.py SOCKET ps | pods                        ids of every container / pod sandbox
    cri.py SOCKET up N HANDLER POD.json CTR.json   N pods at once, each with one
        container created and started; "{i}" in the templates becomes the pod's
        number; one JSON line per pod: ids, seconds from RunPodSandbox to the
        end of StartContainer ("run"), and the error if any step failed
    cri.py SOCKET down [WORKERS]                   stop and remove every container,
        then every pod sandbox, WORKERS (default 8) at a time; prints how many failed

Speaks runtime.v1.RuntimeService over gRPC (python3-grpcio) with message
classes built by python3-protobuf from the CRI API's file descriptor, which
containerd's binary carries (Go's protobuf packages register each .proto's
gzipped FileDescriptorProto): the field numbers are those of the very
containerd under test. CRI_CONTAINERD names the binary (default: containerd
on PATH). Templates are the CRI messages in protobuf's JSON mapping.
"""
import json
import os
import shutil
import sys
import threading
import time
import zlib
from concurrent import futures

import grpc
from google.protobuf import descriptor_pb2, json_format, message_factory

SERVICE = "/runtime.v1.RuntimeService/"
GZIP = b"\x1f\x8b\x08\x00\x00\x00\x00\x00"


def cri_descriptor(binary):
    """The FileDescriptorProto of package runtime.v1 found in BINARY."""
    with open(binary, "rb") as f:
        data = f.read()
    i = data.find(GZIP)
    while i >= 0:
        try:
            raw = zlib.decompressobj(31).decompress(data[i:i + (1 << 20)])
            fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
            if fd.package == "runtime.v1" and any(s.name == "RuntimeService" for s in fd.service):
                return fd
        except Exception:  # not a gzip stream, or not a descriptor
            pass
        i = data.find(GZIP, i + 1)
    raise SystemExit("cri.py: no runtime.v1 CRI descriptor in %s" % binary)


def strip_options(fd):
    """Drop gogoproto's options and import: only the wire layout matters here."""
    del fd.dependency[:]
    fd.ClearField("options")
    for m in fd.message_type:
        strip_message(m)
    for s in fd.service:
        for meth in s.method:
            meth.ClearField("options")


def strip_message(m):
    map_entry = m.options.map_entry
    m.ClearField("options")
    if map_entry:
        m.options.map_entry = True
    for f in m.field:
        f.ClearField("options")
    for n in m.nested_type:
        strip_message(n)


class Cri:
    def __init__(self, sock, binary):
        fd = cri_descriptor(binary)
        strip_options(fd)
        self.msgs = message_factory.GetMessages([fd])
        self.ch = grpc.insecure_channel("unix:" + sock)

    def msg(self, name, **kw):
        return self.msgs["runtime.v1." + name](**kw)

    def parse(self, name, obj):
        return json_format.ParseDict(obj, self.msg(name))

    def call(self, method, req, timeout=120):
        resp = self.msgs["runtime.v1.%sResponse" % method]
        f = self.ch.unary_unary(SERVICE + method, request_serializer=lambda m: m.SerializeToString(),
                                response_deserializer=resp.FromString)
        return f(req, timeout=timeout)

    # -- the calls the tests make
    def runp(self, pod, handler=""):
        req = self.msg("RunPodSandboxRequest", config=self.parse("PodSandboxConfig", pod),
                       runtime_handler=handler)
        return self.call("RunPodSandbox", req).pod_sandbox_id

    def create(self, pod_id, ctr, pod):
        req = self.msg("CreateContainerRequest", pod_sandbox_id=pod_id,
                       config=self.parse("ContainerConfig", ctr),
                       sandbox_config=self.parse("PodSandboxConfig", pod))
        return self.call("CreateContainer", req).container_id

    def start(self, cid):
        self.call("StartContainer", self.msg("StartContainerRequest", container_id=cid))

    def stop(self, cid):
        t = int(os.environ.get("CRI_STOP_TIMEOUT", "10"))
        self.call("StopContainer", self.msg("StopContainerRequest", container_id=cid, timeout=t))

    def rm(self, cid):
        self.call("RemoveContainer", self.msg("RemoveContainerRequest", container_id=cid))

    def stopp(self, pid):
        self.call("StopPodSandbox", self.msg("StopPodSandboxRequest", pod_sandbox_id=pid))

    def rmp(self, pid):
        self.call("RemovePodSandbox", self.msg("RemovePodSandboxRequest", pod_sandbox_id=pid))

    def inspect(self, cid):
        r = self.call("ContainerStatus", self.msg("ContainerStatusRequest", container_id=cid, verbose=True))
        return status_json(r)

    def inspectp(self, pid):
        r = self.call("PodSandboxStatus", self.msg("PodSandboxStatusRequest", pod_sandbox_id=pid, verbose=True))
        return status_json(r)

    def wait(self, cid, state, seconds):
        """0 once CID's state is STATE, 1 (its state on stderr) after SECONDS."""
        end = time.monotonic() + seconds
        while True:
            r = self.call("ContainerStatus", self.msg("ContainerStatusRequest", container_id=cid))
            now = self.msgs["runtime.v1.ContainerStatus"].DESCRIPTOR.fields_by_name["state"]
            name = now.enum_type.values_by_number[r.status.state].name
            if name == state:
                return 0
            if time.monotonic() > end:
                print("cri.py: %s is %s, not %s" % (cid, name, state), file=sys.stderr)
                return 1
            time.sleep(0.05)

    def list(self):
        out = []
        for c in self.call("ListContainers", self.msg("ListContainersRequest")).containers:
            st = self.inspect(c.id)["status"]
            pod = self.inspectp(c.pod_sandbox_id)["status"]
            out.append({"id": c.id, "pod": c.pod_sandbox_id, "state": st["state"],
                        "log_path": st["log_path"], "ip": pod["network"]["ip"]})
        return out

    def ps(self):
        return [c.id for c in self.call("ListContainers", self.msg("ListContainersRequest")).containers]

    def pods(self):
        return [p.id for p in self.call("ListPodSandbox", self.msg("ListPodSandboxRequest")).items]

    def version(self):
        return self.call("Version", self.msg("VersionRequest"))


def status_json(resp):
    """The status as protobuf JSON (field names as in the .proto), the verbose
    info's values (JSON strings) decoded."""
    out = json_format.MessageToDict(resp, preserving_proto_field_name=True, including_default_value_fields=True)
    for k, v in out.get("info", {}).items():
        try:
            out["info"][k] = json.loads(v)
        except ValueError:
            pass
    return out


def fill(template, i):
    return json.loads(template.replace("{i}", str(i)))


def up(cri, n, handler, pod_t, ctr_t):
    """N pods in parallel threads, all released at once."""
    results = [None] * n
    gate = threading.Barrier(n)

    def one(i):
        r = {"i": i}
        pod, ctr = fill(pod_t, i), fill(ctr_t, i)
        gate.wait()
        t0 = time.monotonic()
        try:
            r["pod"] = cri.runp(pod, handler)
            r["ctr"] = cri.create(r["pod"], ctr, pod)
            cri.start(r["ctr"])
            r["run"] = round(time.monotonic() - t0, 4)
        except grpc.RpcError as e:
            r["error"] = "%s: %s" % (e.code().name, e.details())
        results[i] = r

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        print(json.dumps(r))


def down(cri, workers):
    """Stop and remove every container, then every pod sandbox, WORKERS at a
    time: all 50 at once would make containerd's own 10 s limit on handling a
    task's exit (its delete through the shim) expire on a loaded 2-core host,
    and containerd 1.6 then leaves that pod's shim running."""
    failed = []

    def each(fns, ids):
        def run(i):
            for fn in fns:
                try:
                    fn(i)
                except grpc.RpcError as e:
                    failed.append("%s %s: %s" % (fn.__name__, i, e.details()))
                    return
        with futures.ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, ids))

    each([cri.stop, cri.rm], cri.ps())
    each([cri.stopp, cri.rmp], cri.pods())
    for f in failed:
        print(f, file=sys.stderr)
    print("down: %d failed" % len(failed))
    return 1 if failed else 0


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    sock, cmd, args = argv[1], argv[2], argv[3:]
    binary = os.environ.get("CRI_CONTAINERD") or shutil.which("containerd") or "/usr/bin/containerd"
    cri = Cri(sock, binary)
    read = lambda p: open(p).read()
    try:
        if cmd == "version":
            v = cri.version()
            print(v.runtime_name, v.runtime_version, v.runtime_api_version)
        elif cmd == "runp":
            print(cri.runp(json.loads(read(args[0])), args[1] if len(args) > 1 else ""))
        elif cmd == "create":
            print(cri.create(args[0], json.loads(read(args[1])), json.loads(read(args[2]))))
        elif cmd in ("start", "stop", "rm", "stopp", "rmp"):
            getattr(cri, cmd)(args[0])
        elif cmd in ("inspect", "inspectp"):
            print(json.dumps(getattr(cri, cmd)(args[0]), indent=1))
        elif cmd == "wait":
            return cri.wait(args[0], args[1], float(args[2]) if len(args) > 2 else 10)
        elif cmd == "list":
            for line in cri.list():
                print(json.dumps(line))
        elif cmd in ("ps", "pods"):
            print("\n".join(getattr(cri, cmd)()))
        elif cmd == "up":
            up(cri, int(args[0]), args[1], read(args[2]), read(args[3]))
        elif cmd == "down":
            return down(cri, int(args[0]) if args else 8)
        else:
            raise SystemExit("cri.py: unknown command %s" % cmd)
    except grpc.RpcError as e:
        print("cri.py: %s: %s: %s" % (cmd, e.code().name, e.details()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
