#!/usr/bin/python3
"""deploy_manifests.py TOP IMAGE IMAGE_TREE IMAGE_BASE: check deploy/ against itself and the tree.

Parses every manifest in deploy/kubernetes (PyYAML, Debian's python3-yaml) and both containerd
runtime entries (tomllib), and asserts what a node depends on: the image names (IMAGE, the
Makefile's UNIROOT_IMAGE; IMAGE_BASE, its default base, against the Containerfile's), hostPID
and privilege, the host paths and where they are mounted, the readiness probe's command, the agent's command line, the RuntimeClass handler against the
runtime name in the entries, and that every path the manifests run exists in IMAGE_TREE (the
`make install DESTDIR=... PREFIX=/usr/local` tree the image is built from). Prints TAP-like
lines and "N passed, N failed" (tests/integration/lib.sh's format); called by
deploy_manifests.sh.
"""
import glob
import os
import re
import sys
import tomllib

import yaml

TOP, IMAGE, TREE = sys.argv[1:4]
passed = failed = 0


def check(name, cond, why=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"not ok - {name}: {why}")


def load_manifests():
    docs = {}
    for path in sorted(glob.glob(os.path.join(TOP, "deploy/kubernetes/*.yaml"))):
        try:
            with open(path) as f:
                got = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            check(f"{os.path.basename(path)} parses", False, str(e).replace("\n", " "))
            continue
        check(f"{os.path.basename(path)} parses ({len(got)} objects)", bool(got), "empty")
        for d in got:
            ok = isinstance(d, dict) and all(k in d for k in ("apiVersion", "kind", "metadata"))
            check(f"{os.path.basename(path)}: {d.get('kind') if isinstance(d, dict) else d} has "
                  "apiVersion, kind, metadata.name", ok and "name" in d["metadata"], repr(d)[:100])
            if ok:
                docs.setdefault(d["kind"], []).append(d)
    return docs


def load_entry(name):
    path = os.path.join(TOP, "deploy/containerd", name)
    with open(path) as f:
        text = f.read()
    check(f"{name}: has the @BINDIR@ placeholder", "@BINDIR@/uniroot" in text, "missing")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        check(f"{name} parses", False, str(e))
        return {}


docs = load_manifests()

# The containerd entries: one runtime, same fields, the plugin of each layout.
entries = {2: ("uniroot-runtime.v2.toml", "io.containerd.grpc.v1.cri"),
           3: ("uniroot-runtime.v3.toml", "io.containerd.cri.v1.runtime")}
runtimes = {}
for ver, (fname, plugin) in entries.items():
    data = load_entry(fname)
    plugins = data.get("plugins", {})
    check(f"{fname}: only plugin {plugin}", list(plugins) == [plugin], f"plugins {list(plugins)}")
    rts = plugins.get(plugin, {}).get("containerd", {}).get("runtimes", {})
    check(f"{fname}: exactly one runtime", len(rts) == 1, f"runtimes {list(rts)}")
    for name, rt in rts.items():
        runtimes[ver] = (name, rt)
        ann = ["com.urunc.unikernel.*", "dev.uniroot.*"]
        check(f"{fname}: runtime {name} uses the runc shim", rt.get("runtime_type") == "io.containerd.runc.v2",
              repr(rt.get("runtime_type")))
        check(f"{fname}: runtime {name} passes pod and container annotations {ann}",
              rt.get("pod_annotations") == ann and rt.get("container_annotations") == ann, repr(rt))
        check(f"{fname}: runtime {name} BinaryName is @BINDIR@/uniroot",
              rt.get("options", {}).get("BinaryName") == "@BINDIR@/uniroot", repr(rt.get("options")))
if len(runtimes) == 2:
    check("both entries describe the same runtime", runtimes[2] == runtimes[3], f"{runtimes}")

# RuntimeClass: handler = the runtime's name in the entries.
rcs = docs.get("RuntimeClass", [])
check("one RuntimeClass", len(rcs) == 1, f"{len(rcs)}")
for rc in rcs:
    check("RuntimeClass apiVersion node.k8s.io/v1", rc["apiVersion"] == "node.k8s.io/v1", rc["apiVersion"])
    check("RuntimeClass is named uniroot", rc["metadata"]["name"] == "uniroot", rc["metadata"]["name"])
    names = {v[0] for v in runtimes.values()}
    check(f"RuntimeClass handler {rc.get('handler')!r} is the runtime name in the containerd entries",
          names == {rc.get("handler")}, f"entries name {names}")

# The DaemonSet.
dss = docs.get("DaemonSet", [])
check("one DaemonSet", len(dss) == 1, f"{len(dss)}")
for ds in dss[:1]:
    check("DaemonSet apiVersion apps/v1", ds["apiVersion"] == "apps/v1", ds["apiVersion"])
    spec = ds["spec"]
    tpl = spec["template"]
    pod = tpl["spec"]
    sel = spec.get("selector", {}).get("matchLabels", {})
    labels = tpl.get("metadata", {}).get("labels", {})
    check("selector matches the pod template's labels",
          sel and all(labels.get(k) == v for k, v in sel.items()), f"{sel} vs {labels}")
    check("hostPID: true", pod.get("hostPID") is True, repr(pod.get("hostPID")))
    check("no hostNetwork (the agent needs none)", not pod.get("hostNetwork"), "set")
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    host_of = {n: v.get("hostPath", {}).get("path") for n, v in vols.items()}
    inits = {c["name"]: c for c in pod.get("initContainers", [])}
    ctrs = {c["name"]: c for c in pod.get("containers", [])}
    for c in list(inits.values()) + list(ctrs.values()):
        check(f"container {c['name']}: image {IMAGE}", c.get("image") == IMAGE, repr(c.get("image")))
        check(f"container {c['name']}: privileged",
              c.get("securityContext", {}).get("privileged") is True, repr(c.get("securityContext")))
        for m in c.get("volumeMounts", []):
            check(f"container {c['name']}: mount {m['mountPath']} is a declared hostPath volume",
                  host_of.get(m["name"]) is not None, f"volume {m['name']} not declared or not hostPath")

    def mounts(c):
        return {m["mountPath"]: host_of.get(m["name"]) for m in c.get("volumeMounts", [])}

    # The installer: deploy/install --root R, with the host's / at R.
    inst = inits.get("install")
    check("init container install", inst is not None, f"init containers {list(inits)}")
    agent = ctrs.get("unirootd")
    check("container unirootd", agent is not None, f"containers {list(ctrs)}")
    bindir = None
    if inst:
        cmd = inst.get("command", [])
        check("install runs deploy/install as installed in the image (share/uniroot/install)",
              cmd[:1] == ["/usr/local/share/uniroot/install"], repr(cmd[:1]))
        args = dict(zip(cmd[1::1], cmd[2::1]))
        root = args.get("--root")
        check(f"install --root {root} is where the host's / is mounted",
              root is not None and mounts(inst).get(root) == "/", f"mounts {mounts(inst)}")
        bindir = args.get("--bindir", "/usr/local/bin")
        check("install restarts containerd when it changed the config", "--restart-containerd" in cmd, repr(cmd))
        check("install writes containerd's config", args.get("--config", "/etc/containerd/config.toml")
              == "/etc/containerd/config.toml", repr(args.get("--config")))
        for p in cmd[:1]:
            check(f"{p} exists in the image tree", os.access(os.path.join(TREE, p.lstrip("/")), os.X_OK), "missing")
    if agent:
        cmd = agent.get("command", [])
        check("unirootd runs in the host's mount namespace (nsenter --mount=/proc/1/ns/mnt)",
              cmd[:3] == ["nsenter", "--mount=/proc/1/ns/mnt", "--"], repr(cmd[:3]))
        check(f"unirootd is the binary install put in {bindir}", cmd[3:4] == [f"{bindir}/unirootd"], repr(cmd[3:4]))
        args = dict(zip(cmd[4::1], cmd[5::1]))
        m = mounts(agent)
        sock = args.get("--socket")
        state = args.get("--state-dir")
        check(f"unirootd --state-dir {state} is containerd's state directory, mounted from the host",
              state == "/run/containerd" and m.get(state) == state, f"mounts {m}")
        check("bpffs mounted at /sys/fs/bpf from the host", m.get("/sys/fs/bpf") == "/sys/fs/bpf", f"mounts {m}")
        check("tracefs mounted at /sys/kernel/tracing from the host",
              m.get("/sys/kernel/tracing") == "/sys/kernel/tracing", f"mounts {m}")
        sdir = os.path.dirname(sock or "")
        check(f"the agent's socket directory {sdir} is mounted from the same host path",
              sock is not None and m.get(sdir) == sdir, f"socket {sock}, mounts {m}")
        probe = agent.get("readinessProbe", {}).get("exec", {}).get("command")
        check(f"readiness probe is `unirootctl --socket {sock} status`",
              probe == ["unirootctl", "--socket", sock, "status"], repr(probe))
        check("unirootctl is on the image's PATH (/usr/local/bin)",
              os.access(os.path.join(TREE, "usr/local/bin/unirootctl"), os.X_OK), "missing")

# The Containerfile copies the install tree as is.
cf = open(os.path.join(TOP, "deploy/Containerfile")).read()
check("Containerfile copies the `make install` tree to /", re.search(r"^COPY \. /$", cf, re.M) is not None, "no COPY . /")
check("Containerfile installs python3 (deploy/install)", "python3" in cf, "missing")
m = re.search(r"^ARG BASE=(\S+)$", cf, re.M)
check("Containerfile's default base is Debian 12 (nsenter: util-linux is essential there)",
      m is not None and re.fullmatch(r"(docker\.io/library/)?debian:bookworm(-slim)?", m.group(1)) is not None,
      m.group(1) if m else "no ARG BASE=")
check("Containerfile builds FROM ${BASE}", re.search(r"^FROM \$\{BASE\}$", cf, re.M) is not None, "no FROM ${BASE}")
base = sys.argv[4] if len(sys.argv) > 4 else None
check(f"make's IMAGE_BASE ({base}) is the Containerfile's default base", m is not None and base == m.group(1),
      f"Containerfile {m.group(1) if m else None}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
