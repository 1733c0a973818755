#!/usr/bin/env python3
"""The block lab's ground truth for bench/sparse.sh (the same rule as tests/lab/block.rs;
tests/lab_block.rs checks that the two agree).

The target owns 198.19.0.0/PREFIX (and fd00:5ca1::/(96+PREFIX)). Address index i (its
offset in the block) is live iff 0 < i < size-1 and low32(h) % LIVE_EVERY == 0, with
h = splitmix64(KEY ^ i). Dead addresses drop everything. On a live host, with b = h >> 32:
TCP 22 open; 80 open if b & 1 else closed (RST); 443 open if (b >> 1) & 3 == 0, dropped
(filtered) if 1, else closed; every other port closed; it answers ping; it has a DNS
name (b<i>.block.sfwlab.test) if (b >> 3) & 1. (Ping-silent hosts, the Rust lab's
ping_silent_every, are not used by the benchmark.)

usage:
  block.py nft   [--prefix P] [--live-every N] [--key K] [--v6]    nftables ruleset (stdout)
  block.py truth [--prefix P] [--live-every N] [--key K]           one line per live host:
      index, IPv4 address, state of 80, state of 443, named (0/1)
  block.py count [...] [--scan-prefix Q]                           live hosts and open ports
  block.py check KIND [--prefix P] [--scan-prefix Q] [--ports 22,80,443] FILE...
      KIND xml-ports: an nmap-format XML (nmap or scanfw -oX): open ports vs the truth,
                      and the state of 22/80/443 on the live hosts;
      KIND xml-hosts: the same, plus the XML's up hosts vs the live hosts;
      KIND xml-up:    only the up hosts (for -sn);
      KIND masscan:   masscan -oL output;  KIND zmap: FILE:PORT... (one address a line)
      prints one summary line on stdout, the first few differences on stderr.
"""
import argparse
import ipaddress
import sys
import xml.etree.ElementTree as ET

M64 = (1 << 64) - 1
DEFAULT_KEY = 0x5CA1AB1E0B10C4ED
V4_BASE = int(ipaddress.IPv4Address("198.19.0.0"))
V6_BASE = int(ipaddress.IPv6Address("fd00:5ca1::"))
PORTS = (22, 80, 443)


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class Block:
    def __init__(self, prefix=16, live_every=16, key=DEFAULT_KEY):
        self.prefix, self.live_every, self.key = prefix, live_every, key
        self.size = 1 << (32 - prefix)

    def host(self, i):
        """None for a dead index, else {port: state} plus 'named'."""
        if not 0 < i < self.size - 1:
            return None
        h = splitmix64(self.key ^ i)
        if (h & 0xFFFFFFFF) % self.live_every:
            return None
        b = h >> 32
        return {
            22: "open",
            80: "open" if b & 1 else "closed",
            443: {0: "open", 1: "filtered"}.get((b >> 1) & 3, "closed"),
            "named": (b >> 3) & 1,
        }

    def live(self, limit=None):
        """{index: host} of the live hosts with index < limit."""
        n = self.size if limit is None else min(limit, self.size)
        out = {}
        for i in range(n):
            h = self.host(i)
            if h is not None:
                out[i] = h
        return out


def v4(i):
    return str(ipaddress.IPv4Address(V4_BASE + i))


def v6(i):
    return str(ipaddress.IPv6Address(V6_BASE + i))


def index_of(addr):
    a = ipaddress.ip_address(addr)
    base = V4_BASE if a.version == 4 else V6_BASE
    return int(a) - base


def nft(block, with_v6):
    live = block.live()
    lines = ["table inet sfwblock {"]
    fams = [("4", "ipv4_addr", "ip daddr", v4, f"198.19.0.0/{block.prefix}")]
    if with_v6:
        fams.append(("6", "ipv6_addr", "ip6 daddr", v6, f"fd00:5ca1::/{96 + block.prefix}"))
    rules = []
    for sfx, ty, daddr, fmt, net in fams:
        sets = {
            "live": list(live),
            "closed80_": [i for i, h in live.items() if h[80] == "closed"],
            "drop443_": [i for i, h in live.items() if h[443] == "filtered"],
            "closed443_": [i for i, h in live.items() if h[443] == "closed"],
        }
        for name, idx in sets.items():
            lines.append(f"  set block_{name}{sfx} {{")
            lines.append(f"    type {ty}")
            if idx:
                lines.append("    elements = { " + ", ".join(fmt(i) for i in idx) + " }")
            lines.append("  }")
        rules.append(f"{daddr} {net} {daddr} != @block_live{sfx} drop")
        if sets["closed80_"]:
            rules.append(f"{daddr} @block_closed80_{sfx} tcp dport 80 reject with tcp reset")
        if sets["drop443_"]:
            rules.append(f"{daddr} @block_drop443_{sfx} tcp dport 443 drop")
        if sets["closed443_"]:
            rules.append(f"{daddr} @block_closed443_{sfx} tcp dport 443 reject with tcp reset")
        rules.append(f"{daddr} {net} accept")
    lines.append("  chain input {")
    lines.append("    type filter hook input priority 0; policy accept;")
    lines += ["    " + r for r in rules]
    lines.append("  }")
    lines.append("}")
    print("\n".join(lines))


def parse_ports(spec):
    out = set()
    for part in spec.split(","):
        if part:
            a, _, b = part.partition("-")
            out.update(range(int(a), int(b or a) + 1))
    return out


def in_ranges(spec, port):
    for part in spec.split(","):
        if part:
            a, _, b = part.partition("-")
            if int(a) <= port <= int(b or a):
                return True
    return False


def read_xml(path):
    """Yields (addr, status, {port: state} of the listed ports, [(state, count, ranges)] of
    the <extraports>) per <host>, streamed (the /16 files are big; nothing is expanded)."""
    for _, el in ET.iterparse(path, events=("end",)):
        if el.tag != "host":
            continue
        addr = None
        for a in el.findall("address"):
            if a.get("addrtype") in ("ipv4", "ipv6"):
                addr = a.get("addr")
        st = el.find("status")
        status = st.get("state") if st is not None else "up"
        listed, extra = {}, []
        ps = el.find("ports")
        if ps is not None:
            for ep in ps.findall("extraports"):
                spec = ",".join(er.get("ports", "") for er in ep.findall("extrareasons"))
                extra.append((ep.get("state"), int(ep.get("count", "0")), spec))
            for p in ps.findall("port"):
                listed[int(p.get("portid"))] = p.find("state").get("state")
        el.clear()
        if addr is not None:
            yield addr, status, listed, extra


def state_of(listed, extra, port):
    if port in listed:
        return listed[port]
    for state, _, spec in extra:
        if in_ranges(spec, port):
            return state
    return None


def summarize(live, found_open, scanned_ports, up=None, states=None):
    """One line: open ports (and up hosts, state errors) vs the truth; details on stderr."""
    truth_open = {(i, p) for i, h in live.items() for p in scanned_ports & set(PORTS) if h[p] == "open"}
    missed = sorted(truth_open - found_open)
    false = sorted(found_open - truth_open)
    parts = [f"open {len(truth_open & found_open)}/{len(truth_open)} (missed {len(missed)}, false {len(false)})"]
    for what, lst in (("missed open", missed), ("false open", false)):
        for i, p in lst[:5]:
            print(f"  {what}: index {i} port {p}", file=sys.stderr)
    if up is not None:
        m = sorted(set(live) - up)
        f = sorted(up - set(live))
        parts.insert(0, f"up {len(set(live) & up)}/{len(live)} (missed {len(m)}, false {len(f)})")
        for what, lst in (("missed up", m), ("false up", f)):
            for i in lst[:5]:
                print(f"  {what}: index {i}", file=sys.stderr)
    if states is not None:
        wrong, checked = states
        parts.append(f"state errors {wrong}/{checked}")
    print("; ".join(parts))


def check(args):
    block = Block(args.prefix, args.live_every, args.key)
    limit = 1 << (32 - args.scan_prefix)
    live = block.live(limit)
    ports = parse_ports(args.ports)
    found_open = set()
    if args.kind in ("xml-ports", "xml-hosts", "xml-up"):
        up = set()
        wrong = checked = 0
        ours = ports & set(PORTS)
        for path in args.files:
            for addr, status, listed, extra in read_xml(path):
                i = index_of(addr)
                if not 0 <= i < limit:
                    continue
                if status == "up":
                    up.add(i)
                for p, s in listed.items():
                    if s == "open":
                        found_open.add((i, p))
                for s, _, spec in extra:
                    if s == "open":
                        found_open.update((i, p) for p in parse_ports(spec))
                h = live.get(i)
                if h is None or status != "up" or args.kind == "xml-up":
                    continue
                # 22/80/443 as the lab says; every other scanned port closed.
                checked += len(ports)
                for p in ours:
                    got = state_of(listed, extra, p)
                    if got != h[p]:
                        wrong += 1
                        print(f"  state: {addr}:{p} got {got} want {h[p]}", file=sys.stderr)
                others = sum(1 for p, s in listed.items() if p not in PORTS and p in ports and s != "closed")
                for s, count, spec in extra:
                    if s != "closed":
                        others += count - sum(1 for p in ours if in_ranges(spec, p))
                if others:
                    wrong += others
                    print(f"  state: {addr}: {others} other ports not closed", file=sys.stderr)
        if args.kind == "xml-up":
            m, f = sorted(set(live) - up), sorted(up - set(live))
            for what, lst in (("missed up", m), ("false up", f)):
                for i in lst[:5]:
                    print(f"  {what}: index {i}", file=sys.stderr)
            print(f"up {len(set(live) & up)}/{len(live)} (missed {len(m)}, false {len(f)})")
            return
        summarize(live, found_open, ports, up if args.kind == "xml-hosts" else None, (wrong, checked))
    elif args.kind == "masscan":
        for path in args.files:
            for line in open(path):
                f = line.split()
                if len(f) >= 4 and f[0] == "open" and f[1] == "tcp":
                    i = index_of(f[3])
                    if 0 <= i < limit:
                        found_open.add((i, int(f[2])))
        summarize(live, found_open, ports)
    elif args.kind == "zmap":
        for spec in args.files:
            path, _, port = spec.rpartition(":")
            for line in open(path):
                line = line.strip()
                if line and not line.startswith("saddr"):
                    i = index_of(line.split(",")[0])
                    if 0 <= i < limit:
                        found_open.add((i, int(port)))
        summarize(live, found_open, ports)
    else:
        sys.exit(f"block.py: unknown check kind {args.kind}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["nft", "truth", "count", "check"])
    ap.add_argument("kind", nargs="?")
    ap.add_argument("files", nargs="*")
    ap.add_argument("--prefix", type=int, default=16)
    ap.add_argument("--scan-prefix", type=int)
    ap.add_argument("--live-every", type=int, default=16)
    ap.add_argument("--key", type=lambda s: int(s, 0), default=DEFAULT_KEY)
    ap.add_argument("--ports", default="22,80,443")
    ap.add_argument("--v6", action="store_true")
    args = ap.parse_args()
    if args.scan_prefix is None:
        args.scan_prefix = args.prefix
    block = Block(args.prefix, args.live_every, args.key)
    if args.cmd == "nft":
        nft(block, args.v6)
    elif args.cmd == "truth":
        for i, h in block.live().items():
            print(i, v4(i), h[80], h[443], h["named"])
    elif args.cmd == "count":
        live = block.live(1 << (32 - args.scan_prefix))
        n_open = sum(1 for h in live.values() for p in PORTS if h[p] == "open")
        print(f"{len(live)} live hosts, {n_open} open ports (22/80/443) in 198.19.0.0/{args.scan_prefix}")
    else:
        check(args)


main()
