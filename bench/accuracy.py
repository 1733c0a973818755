#!/usr/bin/env python3
"""Compares an nmap-format XML file (from nmap or scanfw) with the lab layout.

usage: accuracy.py FILE.xml TECHNIQUE(syn|connect|fin|null|xmas|ack|udp|udp-loss) PORTSPEC HOSTS...
Prints: "<hosts> <ports checked> <wrong>" and the first wrong ports on stderr.
"""
import sys
import xml.etree.ElementTree as ET

OPEN = {1, 22, 80, 443, 8080, 31337, 50000, 65535}
DROP = {135, 139, 4444, 60000}
ADMIN = {23, 3389, 40000}
HOSTUNREACH = {25, 45000}
TCPRESET = {110, 55555}
PORTUNREACH = {111}


UDP_OPEN = {53, 7}
# bench/loss.sh's UDP layout: UDP_OPEN plus these.
UDP_SILENT = {199, 9999, 135, 250}
UDP_ADMIN = {138}
UDP_HOSTUNREACH = {139}


def expected(port, technique):
    if technique == "udp-loss":
        if port in UDP_SILENT:
            return ("open|filtered", "no-response")
        if port in UDP_ADMIN:
            return ("filtered", "admin-prohibited")
        if port in UDP_HOSTUNREACH:
            return ("filtered", "host-unreach")
        technique = "udp"
    if technique == "udp":
        return ("open", "udp-response") if port in UDP_OPEN else ("closed", "port-unreach")
    if technique in ("fin", "null", "xmas", "ack"):
        # nmap's ground truth on this lab (docs/lab.md): ICMP rejects as for SYN.
        if port in ADMIN:
            return ("filtered", "admin-prohibited")
        if port in HOSTUNREACH:
            return ("filtered", "host-unreach")
        if port in PORTUNREACH:
            return ("filtered", "port-unreach")
        if technique == "ack":
            return ("filtered", "no-response") if port in DROP else ("unfiltered", "reset")
        if port in OPEN or port in DROP:
            return ("open|filtered", "no-response")
        return ("closed", "reset")
    closed = ("closed", "reset" if technique == "syn" else "conn-refused")
    if port in OPEN:
        return ("open", "syn-ack")
    if port in DROP:
        return ("filtered", "no-response")
    if port in ADMIN:
        return ("filtered", "admin-prohibited" if technique == "syn" else "host-unreach")
    if port in HOSTUNREACH:
        return ("filtered", "host-unreach")
    if port in TCPRESET:
        return closed
    if port in PORTUNREACH:
        return ("filtered", "port-unreach") if technique == "syn" else closed
    return closed


def ranges(text):
    out = set()
    for part in text.split(","):
        if not part:
            continue
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


def main():
    path, technique, spec, *hosts = sys.argv[1:]
    ports = ranges(spec.replace("-", "1-65535") if spec == "-" else spec)
    root = ET.parse(path).getroot()
    seen = {}
    for host in root.iter("host"):
        addr = host.find("address").get("addr")
        states = {}
        for ep in host.iter("extraports"):
            for er in ep.iter("extrareasons"):
                for p in ranges(er.get("ports", "")):
                    states[p] = (ep.get("state"), er.get("reason"))
        for port in host.iter("port"):
            st = port.find("state")
            states[int(port.get("portid"))] = (st.get("state"), st.get("reason"))
        seen[addr] = states
    wrong = 0
    shown = 0
    for h in hosts:
        states = seen.get(h, {})
        for p in ports:
            got = states.get(p)
            want = expected(p, technique)
            if got != want:
                wrong += 1
                if shown < 5:
                    print(f"  {h}:{p} got {got} want {want}", file=sys.stderr)
                    shown += 1
    print(len(hosts), len(ports) * len(hosts), wrong)


main()
