# Shared by bench/bench.sh and bench/sparse.sh (sourced): the CPU split and the no-default-route
# guard of the namespace lab.

# As on a real network, the target's packet processing must not run on the scanner's CPU: both
# veth ends process packets on the last CPU (RPS), and the scanners run pinned to the other CPUs
# (the same split the test lab uses; see docs/lab.md). Sets PIN (a command prefix, maybe empty).
split_cpus() {
  local ncpu mask ns
  ncpu=$(nproc)
  if [ "$ncpu" -ge 2 ]; then
    mask=$(printf '%x' $((1 << (ncpu - 1))))
    for ns in "$@"; do ip netns exec "$ns" sh -c "echo $mask > /sys/class/net/veth0/queues/rx-0/rps_cpus"; done
    PIN=(taskset -c "0-$((ncpu - 2))")
  else
    PIN=()
  fi
}

# Refuses to go on if any of the namespaces has a default route (nothing may leave the lab).
# usage: refuse_default_routes WHO NS...
refuse_default_routes() {
  local who=$1 ns fam
  shift
  for ns in "$@"; do
    for fam in -4 -6; do
      if [ -n "$(ip -n "$ns" $fam route show default)" ]; then
        echo "$who: $ns has a default route; refusing to run" >&2; exit 1
      fi
    done
  done
}

# The two namespaces joined by veth0, as both benchmarks build them: no default route, no
# router advertisements, ICMP rate limits off in the target (every REJECT answers), scanner
# 198.18.0.1/24 and fd00:5ca0::1/64, target .2 and ::2. The links are brought up by the caller.
# usage: veth_lab SCANNER_NS TARGET_NS
veth_lab() {
  local s=$1 t=$2 ns
  ip netns add "$s"; ip netns add "$t"
  for ns in "$s" "$t"; do ip -n "$ns" link set lo up; done
  ip -n "$s" link add veth0 type veth peer name veth0 netns "$t"
  for ns in "$s" "$t"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
  done
  ip netns exec "$t" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_ratemask=0 \
    net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000 \
    net.ipv6.icmp.ratelimit=0
  ip -n "$s" addr add 198.18.0.1/24 dev veth0
  ip -n "$t" addr add 198.18.0.2/24 dev veth0
  ip -n "$s" addr add fd00:5ca0::1/64 dev veth0 nodad
  ip -n "$t" addr add fd00:5ca0::2/64 dev veth0 nodad
}

# The benchmark target's TCP firewall rules, one nft statement per line (bench/accuracy.py
# knows the layout): DROP, the ICMP rejects and the TCP resets, in both families.
tcp_layout_rules() {
  cat <<'NFT'
    tcp dport { 135, 139, 4444, 60000 } drop
    meta nfproto ipv4 tcp dport { 23, 3389, 40000 } reject with icmp type admin-prohibited
    meta nfproto ipv6 tcp dport { 23, 3389, 40000 } reject with icmpv6 type admin-prohibited
    meta nfproto ipv4 tcp dport { 25, 45000 } reject with icmp type host-unreachable
    meta nfproto ipv6 tcp dport { 25, 45000 } reject with icmpv6 type addr-unreachable
    tcp dport { 110, 55555 } reject with tcp reset
    meta nfproto ipv4 tcp dport 111 reject with icmp type port-unreachable
    meta nfproto ipv6 tcp dport 111 reject with icmpv6 type port-unreachable
NFT
}
