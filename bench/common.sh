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
