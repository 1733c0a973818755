#!/usr/bin/env python3
"""Listeners for the benchmark lab, IPv4 and IPv6, until killed: TCP ports given on the
command line accept and close at once; UDP ports 53 and 7 answer every datagram."""
import selectors
import socket
import sys

sel = selectors.DefaultSelector()
for port in map(int, sys.argv[1:]):
    for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        s.listen(1024)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
UDP_OPEN = (53, 7)
for port in UDP_OPEN:
    for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        u = socket.socket(family, socket.SOCK_DGRAM)
        if family == socket.AF_INET6:
            u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        u.bind((addr, port))
        u.setblocking(False)
        sel.register(u, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        try:
            if key.fileobj.type == socket.SOCK_DGRAM:
                data, peer = key.fileobj.recvfrom(4096)
                key.fileobj.sendto(b"scanfw-bench " + data[:32], peer)
            else:
                conn, _ = key.fileobj.accept()
                conn.close()
        except OSError:
            pass
