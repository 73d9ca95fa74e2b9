"""Listener ports handed out below the ephemeral range, so no client connection takes them."""

from __future__ import annotations

import socket
from pathlib import Path

from bus.localkafka.layout import free_port


def test_ports_are_free_distinct_and_below_the_ephemeral_range() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    if low > 11_000:
        assert all(port < low for port in ports), [p for p in ports if p >= low]
    for port in ports[:20]:
        with socket.socket() as listener:  # each can be bound by a listener now
            listener.bind(("127.0.0.1", port))


def test_a_port_someone_listens_on_is_not_handed_out() -> None:
    """800 listeners in the range free_port draws from: unchecked, 200 draws would hit one."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    listeners: list[socket.socket] = []
    try:
        for port in range(10_000, min(low, 40_000)):
            if len(listeners) == 800:
                break
            if port % 13:
                continue
            listener = socket.socket()
            try:
                listener.bind(("127.0.0.1", port))
            except OSError:
                listener.close()
                continue
            listener.listen()
            listeners.append(listener)
        taken = {listener.getsockname()[1] for listener in listeners}
        handed = [free_port() for _ in range(200)]
        assert not taken & set(handed)
    finally:
        for listener in listeners:
            listener.close()
