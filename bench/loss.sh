#!/usr/bin/env bash
# Random loss (issue 9, "Loss"): scanfw's wall time and exactness without loss and through a link
# that drops 5 % of the packets entering the target at random, in a lab of two network
# namespaces that this script builds and tears down (the scanner namespace has no default
# route: nothing leaves the machine). scanfw only; nmap's lossy runs are in bench/bench.sh.
#
# usage: sudo bench/loss.sh [CASE...]     (default: udp connect)
#   udp      `-sU -n -p UDP_PORTS 198.18.0.2` against a target that rate-limits its ICMP errors
#            per peer (net.ipv4.icmp_ratelimit=ICMP_MS, the default rate mask, as the lab's
#            `with_icmp_ratelimit_ms`), ROUNDS runs without loss, then ROUNDS with 5 % loss:
#            median of each, the ratio lossy / loss-free (goal: at most 3) and each run's wrong
#            ports
#   connect  `-sT -n -p CONNECT_PORTS 198.18.0.2` (ICMP limit off), ROUNDS runs without loss, then
#            CONNECT_RUNS with 5 % loss: median of each, the ratio, and how many lossy runs
#            were exact (goal: all)
#   hold     build the lab (loss off, ICMP limit on) and keep it up for manual runs
# env:  ROUNDS (1), CONNECT_RUNS (10), UDP_PORTS (1-300), ICMP_MS (100: 10 errors per second
#       per peer after a burst of 6; 1000 is Linux's default), CONNECT_PORTS (- : all),
#       LOSS (5, percent), CAP seconds per run (900), SCANFW (binary path)
#
# Target layout as in bench/bench.sh (bench/accuracy.py knows it): TCP listeners on 8 ports,
# nftables DROP/REJECT rules on 12 more; UDP as the test lab's udp_standard within 1-300: DNS
# 53 and echo 7 answering, silent sockets on 199 and 9999, DROP 135 and 250, admin-prohibited
# 138, host-unreachable 139, port-unreachable 111 (accuracy.py `udp-loss`, IPv4); every other
# port closed.
# The loss rule is `iifname "veth0" numgen random mod 100 < LOSS drop` ahead of the layout's
# rules (lost probes, and lost ACKs and RSTs of connect(); the target's replies are not
# dropped). Both veth ends process packets on the last CPU (RPS) and scanfw runs pinned to the
# other CPUs (bench/common.sh). Needs root, iproute2, nftables, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/common.sh
. "$here/common.sh"
SCANFW=${SCANFW:-$root/target/release/scanfw}
ROUNDS=${ROUNDS:-1}
CONNECT_RUNS=${CONNECT_RUNS:-10}
UDP_PORTS=${UDP_PORTS:-1-300}
ICMP_MS=${ICMP_MS:-100}
CONNECT_PORTS=${CONNECT_PORTS:--}
LOSS=${LOSS:-5}
CAP=${CAP:-900}
S=sfwloss-s-$$
T=sfwloss-t-$$
work=$(mktemp -d)
OPEN="1 22 80 443 8080 31337 50000 65535"

[ "$(id -u)" = 0 ] || { echo "loss: needs root (network namespaces, raw sockets)" >&2; exit 2; }
for tool in ip nft python3; do
  command -v $tool >/dev/null || { echo "loss: $tool not found" >&2; exit 2; }
done
[ -x "$SCANFW" ] || (cd "$root" && cargo build --release --quiet)

cleanup() {
  [ -n "${svc_pid:-}" ] && kill "$svc_pid" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  ip netns del "$T" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab() {
  veth_lab "$S" "$T"
  ip -n "$S" link set veth0 up; ip -n "$T" link set veth0 up
  split_cpus "$S" "$T"
  refuse_default_routes loss "$S" "$T"
  ip netns exec "$T" nft -f - <<NFT
table inet sfwbench {
  chain input {
    type filter hook input priority 0; policy accept;
$(tcp_layout_rules)
    udp dport { 135, 250 } drop
    meta nfproto ipv4 udp dport 138 reject with icmp type admin-prohibited
    meta nfproto ipv4 udp dport 139 reject with icmp type host-unreachable
    meta nfproto ipv4 udp dport 111 reject with icmp type port-unreachable
  }
}
NFT
  # TCP listeners that accept and close at once; UDP: a DNS answerer on 53 (the query's id,
  # QR and AA set, the question copied, as the test lab's), echo on 7, and 199 and 9999 bound
  # sockets that never answer (as silent as a DROP). Replies must name the probe they answer.
  ip netns exec "$T" python3 - $OPEN > "$work/svc.log" 2>&1 <<'PY' &
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in map(int, sys.argv[1:]):
    for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port)); s.listen(4096); s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, "tcp")
for port, kind in ((53, "dns"), (7, "echo"), (199, "silent"), (9999, "silent")):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", port)); u.setblocking(False)
    sel.register(u, selectors.EVENT_READ, kind)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        try:
            if key.data == "tcp":
                while True:
                    key.fileobj.accept()[0].close()
            data, peer = key.fileobj.recvfrom(4096)
            if key.data == "echo":
                key.fileobj.sendto(data, peer)
            elif key.data == "dns" and len(data) >= 12 and not data[2] & 0x80:
                flags = bytes([0x84 | (data[2] & 0x79), 0])
                key.fileobj.sendto(data[:2] + flags + data[4:6] + bytes(6) + data[12:], peer)
        except OSError:
            pass
PY
  svc_pid=$!
  for _ in $(seq 50); do grep -q ready "$work/svc.log" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$work/svc.log" || { echo "loss: listeners did not start:" >&2; cat "$work/svc.log" >&2; exit 1; }
}

icmp_limit() { # icmp_limit on|off: the per-peer limit alone decides (the global budget stays
  # lifted), as in the test lab's with_icmp_ratelimit_ms
  if [ "$1" = on ]; then
    ip netns exec "$T" sysctl -qw net.ipv4.icmp_ratelimit="$ICMP_MS" net.ipv4.icmp_ratemask=6168
  else
    ip netns exec "$T" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_ratemask=0
  fi
}

loss() { # loss on|off
  if [ "$1" = on ]; then
    ip netns exec "$T" nft -f - <<NFT
table inet sfwloss {
  chain input {
    type filter hook input priority -10; policy accept;
    iifname "veth0" numgen random mod 100 < $LOSS counter drop
  }
}
NFT
  else
    ip netns exec "$T" nft delete table inet sfwloss
  fi
}

dropped() { # packets the loss rule dropped so far
  ip netns exec "$T" nft list table inet sfwloss | awk '/counter/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

now() { date +%s.%N; }

# run NAME TECH PORTS ARGS...: one scanfw run in the scanner namespace (pinned, killed after CAP
# seconds); appends the wall time (or "capped") to NAME.times and the number of wrong ports
# (bench/accuracy.py) to NAME.wrong, the first wrong ports to NAME.why.
run() {
  local name=$1 tech=$2 ports=$3 t0 t1 rc=0; shift 3
  t0=$(now)
  ip netns exec "$S" "${PIN[@]}" timeout "$CAP" "$SCANFW" "$@" -oX "$work/s.xml" \
    >/dev/null 2>"$work/$name.err" || rc=$?
  t1=$(now)
  if [ $rc = 124 ]; then echo capped >> "$work/$name.times"; echo capped >> "$work/$name.wrong"; return; fi
  [ $rc = 0 ] || { echo "loss: $name failed (exit $rc):" >&2; cat "$work/$name.err" >&2; exit 1; }
  python3 -c "print(f'{$t1-$t0:.3f}')" >> "$work/$name.times"
  python3 "$here/accuracy.py" "$work/s.xml" "$tech" "$ports" 198.18.0.2 2>>"$work/$name.why" \
    | awk '{print $3}' >> "$work/$name.wrong"
}

median() {
  python3 - "$1" <<'PY'
import statistics, sys
vals = open(sys.argv[1]).read().split()
nums = [float(v) for v in vals if v != "capped"]
m = statistics.median(nums + [float("inf")] * (len(vals) - len(nums))) if vals else float("inf")
print("capped" if m == float("inf") else f"{m:.3f}")
PY
}

# case NAME TECH PORTS CLEAN_RUNS LOSSY_RUNS ARGS...: prints loss-free and lossy medians, the
# ratio and the exactness of every run
loss_case() {
  local name=$1 tech=$2 ports=$3 clean=$4 lossy=$5 mc ml ratio exact d0 d1; shift 5
  for _ in $(seq "$clean"); do run "$name.clean" "$tech" "$ports" "$@"; done
  loss on
  for _ in $(seq "$lossy"); do run "$name.lossy" "$tech" "$ports" "$@"; done
  d1=$(dropped)
  loss off
  mc=$(median "$work/$name.clean.times")
  ml=$(median "$work/$name.lossy.times")
  ratio=$(python3 -c "
c, l = '$mc', '$ml'
print('n/a' if 'capped' in (c, l) else f'{float(l)/float(c):.2f}')")
  exact=$(grep -cx 0 "$work/$name.lossy.wrong" || true)
  printf '%-8s loss-free %8ss  %s%% loss %8ss  ratio %-5s  exact: loss-free %d/%d, lossy %d/%d (loss rule dropped %s packets)\n' \
    "$name" "$mc" "$LOSS" "$ml" "$ratio" "$(grep -cx 0 "$work/$name.clean.wrong" || true)" "$clean" \
    "$exact" "$lossy" "$d1"
  printf '         loss-free runs: %s| lossy runs: %s| wrong ports per lossy run: %s\n' \
    "$(tr '\n' ' ' < "$work/$name.clean.times")" "$(tr '\n' ' ' < "$work/$name.lossy.times")" \
    "$(tr '\n' ' ' < "$work/$name.lossy.wrong")"
  [ -s "$work/$name.lossy.why" ] && { echo "         first wrong ports:"; head -10 "$work/$name.lossy.why"; }
  return 0
}

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(udp connect)
lab
echo "loss: scanfw $("$SCANFW" --version | awk '{print $2}'); $(nproc) CPUs; $LOSS % loss; target ICMP limit 1 per ${ICMP_MS} ms per peer"
for c in "${cases[@]}"; do
  case $c in
    udp)
      icmp_limit on
      loss_case udp udp-loss "$UDP_PORTS" "$ROUNDS" "$ROUNDS" -sU -n -p "$UDP_PORTS" 198.18.0.2
      icmp_limit off ;;
    connect) loss_case connect connect "$CONNECT_PORTS" "$ROUNDS" "$CONNECT_RUNS" \
      -sT -n -p "$CONNECT_PORTS" 198.18.0.2 ;;
    hold)
      icmp_limit on
      echo "loss: lab up: scanner netns $S, target netns $T; Ctrl-C to tear down"
      while sleep 3600; do :; done ;;
    *) echo "loss: unknown case $c" >&2; exit 2 ;;
  esac
done
