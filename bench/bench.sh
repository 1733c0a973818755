#!/usr/bin/env bash
# scanfw vs nmap, side by side in one run, in a lab of two network namespaces that this script
# builds and tears down (the scanner namespace has no default route: nothing leaves the machine).
#
# usage: sudo bench/bench.sh [CASE...]     cases: syn-all connect-all syn-lossy many-hosts
#        udp-all udp-ratelimit fin-all null-all xmas-all ack-all (default: all),
#        or hold (build the lab and keep it up for manual runs)
# env:   ROUNDS (default 5), LOSSY_ROUNDS (3), NMAP_LOSSY_CAP seconds (300), UDP_ROUNDS (1),
#        NMAP_UDP_CAP seconds (900), SCANFW (binary path)
#
# Each case runs scanfw and nmap alternately ROUNDS times on the same target and ports, prints
# each one's median wall time, the ratio scanfw/nmap, and each one's accuracy against the lab's
# known layout (wrong ports out of all ports checked). Needs root, iproute2, nftables, nmap,
# python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/common.sh
. "$here/common.sh"
SCANFW=${SCANFW:-$root/target/release/scanfw}
ROUNDS=${ROUNDS:-5}
LOSSY_ROUNDS=${LOSSY_ROUNDS:-3}
NMAP_LOSSY_CAP=${NMAP_LOSSY_CAP:-300}
UDP_ROUNDS=${UDP_ROUNDS:-1}
NMAP_UDP_CAP=${NMAP_UDP_CAP:-900}
S=sfwbench-s-$$
T=sfwbench-t-$$
work=$(mktemp -d)
OPEN="1 22 80 443 8080 31337 50000 65535"

[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces, raw sockets)" >&2; exit 2; }
for tool in ip nft nmap python3; do
  command -v $tool >/dev/null || { echo "bench: $tool not found" >&2; exit 2; }
done
[ -x "$SCANFW" ] || (cd "$root" && cargo build --release --quiet)

cleanup() {
  [ -n "${svc_pid:-}" ] && kill "$svc_pid" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  ip netns del "$T" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

lab() {
  veth_lab "$S" "$T"
  # 256 more target hosts for the many-host case: 198.18.1.0/24, all on the target.
  for i in $(seq 0 255); do echo "addr add 198.18.1.$i/32 dev veth0"; done | ip -n "$T" -batch -
  ip -n "$S" link set veth0 up; ip -n "$T" link set veth0 up
  ip -n "$S" route add 198.18.1.0/24 dev veth0
  split_cpus "$S" "$T"
  refuse_default_routes bench "$S" "$T"
  ip netns exec "$T" nft -f - <<NFT
table inet sfwbench {
  chain input {
    type filter hook input priority 0; policy accept;
$(tcp_layout_rules)
  }
}
NFT
  ip netns exec "$T" python3 "$here/services.py" $OPEN > "$work/svc.log" 2>&1 &
  svc_pid=$!
  for _ in $(seq 50); do grep -q ready "$work/svc.log" 2>/dev/null && break; sleep 0.1; done
}

loss() { # loss on|off: the target drops 5% of incoming packets at random
  if [ "$1" = on ]; then
    ip netns exec "$T" nft -f - <<'NFT'
table inet sfwloss {
  chain input {
    type filter hook input priority -10; policy accept;
    iifname "veth0" numgen random mod 100 < 5 drop
  }
}
NFT
  else
    ip netns exec "$T" nft delete table inet sfwloss
  fi
}

now() { date +%s.%N; }

# run NAME CAP OUTFILE CMD...: runs CMD in the scanner namespace, appends the wall time (or
# "capped") to $work/NAME.times
run() {
  local name=$1 cap=$2 out=$3; shift 3
  local t0 t1 rc=0
  t0=$(now)
  ip netns exec "$S" "${PIN[@]}" timeout "$cap" "$@" >/dev/null 2>"$work/$name.err" || rc=$?
  t1=$(now)
  if [ $rc = 124 ]; then echo capped >> "$work/$name.times"; return; fi
  [ $rc = 0 ] || { echo "bench: $name failed (exit $rc):" >&2; cat "$work/$name.err" >&2; exit 1; }
  python3 -c "print(f'{$t1-$t0:.3f}')" >> "$work/$name.times"
  python3 "$here/accuracy.py" "$out" "$TECH" "$PORTS" $HOSTS >> "$work/$name.acc" 2>>"$work/$name.wrong"
}

median() {
  python3 - "$1" <<'PY'
import statistics, sys
vals = open(sys.argv[1]).read().split()
nums = sorted(float(v) for v in vals if v != "capped")
capped = len(vals) - len(nums)
if not nums:
    print("capped")
else:
    m = statistics.median(nums + [float("inf")] * capped)
    print("capped" if m == float("inf") else f"{m:.3f}")
PY
}

accuracy() { # "wrong/checked" worst of the runs
  [ -s "$1" ] || { echo "n/a"; return; }
  awk '{ if ($3 > w) w = $3; c = $2 } END { printf "%d/%d wrong", w, c }' "$1"
}

# case NAME TECH PORTS HOSTS ROUNDS CAP scanfw-args -- nmap-args
bench_case() {
  local name=$1 rounds=$5 cap=$6
  TECH=$2 PORTS=$3 HOSTS=$4
  shift 6
  local sargs=() nargs=()
  while [ "$1" != -- ]; do sargs+=("$1"); shift; done
  shift
  nargs=("$@")
  for r in $(seq "$rounds"); do
    if [ $((r % 2)) = 1 ]; then
      run "$name.scanfw" 600 "$work/s.xml" "$SCANFW" "${sargs[@]}" -oX "$work/s.xml"
      run "$name.nmap" "$cap" "$work/n.xml" nmap "${nargs[@]}" -oX "$work/n.xml"
    else
      run "$name.nmap" "$cap" "$work/n.xml" nmap "${nargs[@]}" -oX "$work/n.xml"
      run "$name.scanfw" 600 "$work/s.xml" "$SCANFW" "${sargs[@]}" -oX "$work/s.xml"
    fi
  done
  local ms mn ratio
  ms=$(median "$work/$name.scanfw.times")
  mn=$(median "$work/$name.nmap.times")
  ratio=$(python3 -c "
s, n = '$ms', '$mn'
if n == 'capped': print(f'<= {float(s)/$cap:.3f} (nmap capped at ${cap}s)')
else: print(f'{float(s)/float(n):.3f}')")
  printf '%-12s scanfw %8ss  nmap %8ss  ratio %-28s  scanfw %-20s nmap %s\n' "$name" "$ms" "$mn" "$ratio" \
    "$(accuracy "$work/$name.scanfw.acc")" "$(accuracy "$work/$name.nmap.acc")"
  printf '             scanfw runs: %s | nmap runs: %s\n' "$(tr '\n' ' ' < "$work/$name.scanfw.times")" \
    "$(tr '\n' ' ' < "$work/$name.nmap.times")"
}

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(syn-all connect-all syn-lossy many-hosts fin-all null-all xmas-all ack-all udp-ratelimit udp-all)
lab
echo "bench: scanfw $("$SCANFW" --version | awk '{print $2}') vs $(nmap --version | head -1); $(nproc) CPUs; rounds $ROUNDS"
top1000=$(grep -v '^#' "$root/core/data/top-ports-tcp.txt" | grep -v '^$' | head -1000 | paste -sd, -)
for c in "${cases[@]}"; do
  case $c in
    syn-all) bench_case syn-all syn - 198.18.0.2 "$ROUNDS" 600 \
      -sS -n -p- 198.18.0.2 -- -sS -Pn -n -p- 198.18.0.2 ;;
    connect-all) bench_case connect-all connect - 198.18.0.2 "$ROUNDS" 600 \
      -sT -n -p- 198.18.0.2 -- -sT -Pn -n -p- 198.18.0.2 ;;
    syn-lossy)
      loss on
      bench_case syn-lossy syn - 198.18.0.2 "$LOSSY_ROUNDS" "$NMAP_LOSSY_CAP" \
        -sS -n -p- 198.18.0.2 -- -sS -Pn -n -p- 198.18.0.2
      loss off ;;
    many-hosts)
      hosts=$(for i in $(seq 0 255); do printf '198.18.1.%d ' "$i"; done)
      bench_case many-hosts syn "$top1000" "$hosts" "$ROUNDS" 600 \
        -sS -n -p "$top1000" 198.18.1.0/24 -- -sS -Pn -n -p "$top1000" 198.18.1.0/24 ;;
    fin-all|null-all|xmas-all|ack-all)
      t=${c%-all}; letter=$(echo "$t" | cut -c1 | tr a-z A-Z)
      bench_case "$c" "$t" - 198.18.0.2 "$ROUNDS" 600 \
        -s"$letter" -n -p- 198.18.0.2 -- -s"$letter" -Pn -n -p- 198.18.0.2 ;;
    udp-all) # every UDP port; per-destination ICMP rate limit off (icmp_ratelimit=0), the
      # kernel's global ICMP budget at its defaults (1000/s, burst 50), as on a stock host
      ip netns exec "$T" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_ratemask=6168 \
        net.ipv4.icmp_msgs_per_sec=1000 net.ipv4.icmp_msgs_burst=50
      bench_case udp-all udp - 198.18.0.2 "$UDP_ROUNDS" "$NMAP_UDP_CAP" \
        -sU -n -p- 198.18.0.2 -- -sU -Pn -n -p- 198.18.0.2
      ip netns exec "$T" sysctl -qw net.ipv4.icmp_ratemask=0 \
        net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000 ;;
    udp-ratelimit) # ports 1-300 against Linux's default limit: one ICMP error per second
      ip netns exec "$T" sysctl -qw net.ipv4.icmp_ratelimit=1000 net.ipv4.icmp_ratemask=6168 \
        net.ipv4.icmp_msgs_per_sec=1000 net.ipv4.icmp_msgs_burst=50
      bench_case udp-ratelimit udp 1-300 198.18.0.2 "$UDP_ROUNDS" "$NMAP_UDP_CAP" \
        -sU -n -p 1-300 198.18.0.2 -- -sU -Pn -n -p 1-300 198.18.0.2
      echo "             limit: 298 closed ports / 1 per second = 298 s"
      ip netns exec "$T" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_ratemask=0 \
        net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000 ;;
    hold) # keep the lab up for manual experiments until interrupted
      echo "bench: lab up: scanner netns $S, target netns $T; Ctrl-C to tear down"
      while sleep 3600; do :; done ;;
    *) echo "bench: unknown case $c" >&2; exit 2 ;;
  esac
done
