#!/bin/bash
# runtime_net_hvt.sh: the guest's network through the runtime on uniroot-vmm
# (hvt, issue 10), as runtime_net.sh and runtime_net_e2e.sh check it on spt
# (their shared cases are in net_lib.inc): the netecho.hvt bundle created,
# started and deleted through the uniroot CLI answers ping and UDP from the
# peer at the container's address, the image through containerd (`ctr run
# --with-ns network:...`) too; after delete no tap or qdisc, address and route
# back; kill -9 of the running monitor, then delete, leaves nothing either.
# Needs root and /dev/kvm (run.sh nests it where /dev/kvm is missing).
# uniroot-test: needs kvm
if [ -z "${UR_PIDNS:-}" ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    UR_PIDNS=1 UR_NET_TAG=$$ exec unshare --pid --fork --mount-proc bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.inc"
export UNIROOT_VMM=$VMM
MKIMAGE=$UR_TOP/build/bin/uniroot-mkimage
[ -e /dev/kvm ] || { skip runtime-net-hvt "no /dev/kvm here"; finish; exit; }
for f in "$UNIROOT" "$VMM" "$MKIMAGE" "$GUESTS/netecho.hvt"; do
    [ -e "$f" ] || { skip runtime-net-hvt "$f is not built (make all)"; finish; exit; }
done
command -v jq >/dev/null || { skip runtime-net-hvt "jq is not installed (JSON checks)"; finish; exit; }
. "$(dirname "$0")/net_lib.inc"
at_exit rt_cleanup
GUEST_WAIT=300 # a nested guest boots slowly

B=$T_TMP/bh; HV=hvt net_bundle "$B" netecho $NSC
# ---- create, start, traffic, delete through the CLI
cli_create h1 "$B"
[[ "$(jq -r .vmm_cmdline "$RT_ROOT/h1/state.json")" == *"uniroot-vmm"*" --net:service=@5 --net-mac:service=$(if_mac) "* ]] &&
    ok "argv: uniroot-vmm gets the tap as fd 5 and the interface's MAC" || not_ok "argv" "$(jq -r .vmm_cmdline "$RT_ROOT/h1/state.json")"
cli_run h1 hvt
cli_delete h1

# ---- crash: kill -9 of the running monitor, then delete
ur create --bundle "$B" h2 >"$T_TMP/h2.out" 2>&1 && ur start h2 && guest_ready "$T_TMP/h2.out" $IP &&
    ok "crash: h2 runs" || not_ok "crash: h2" "$(cat "$T_TMP/h2.out")"
pid=$(jq -r .pid "$RT_ROOT/h2/state.json" 2>/dev/null)
[ "$(taps)" = 1 ] && grep -q uniroot-vmm "/proc/$pid/cmdline" && kill -9 "$pid" &&
    ok "crash: monitor $pid killed (-9)" || not_ok "crash: kill" "taps=$(taps) pid=$pid"
wait_status h2 stopped && ok "crash: h2 stopped" || not_ok "crash: h2 stopped" "$(ur state h2)"
expect "crash: delete after the monitor died" 0 "" -- ur delete h2
gone_clean "crash: kill -9 then delete"
[ ! -e "$RT_ROOT/h2" ] && ok "crash: no state left" || not_ok "crash: state left" "$(ls "$RT_ROOT")"

# ---- through containerd
if ctd_have; then ctr_case hvt; else skip "ctr hvt" "containerd, ctr or containerd-shim-runc-v2 is not installed"; fi
finish
