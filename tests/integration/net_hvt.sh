#!/bin/bash
# net_hvt.sh: the netecho test guest on uniroot-vmm (hvt) behind runtime/net's
# plumbing, as net_plumb.sh runs it on uniroot-spt: the guest takes the
# interface's address, gateway and MAC, answers ARP, ping and UDP from the peer
# namespace, and undo leaves the namespace as it was. Prints the ping RTT.
# Needs root and /dev/kvm (run.sh nests it where /dev/kvm is missing).
# uniroot-test: needs kvm
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/net_lib.inc"

if [ ! -e /dev/kvm ]; then
    skip "hvt guest" "no /dev/kvm here"
else
    guest_case hvt "$VMM" "$GUESTS/netecho.hvt"
    echo "# ping RTT median/min ms over 200 pings to the hvt guest: $LAST_RTT"
fi
finish
