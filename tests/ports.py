"""Loopback ports for the private servers the tests start (Dovecot, Postfix, PostgreSQL)."""

from __future__ import annotations

import contextlib
import socket


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports on 127.0.0.1.

    The sockets stay bound until every port is chosen, so two ports asked for together are
    never the same one (successive ``bind(0)`` calls may hand out a port just released).
    """
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            s = stack.enter_context(socket.socket())
            s.bind(("127.0.0.1", 0))
            ports.append(int(s.getsockname()[1]))
        return ports
