"""Free TCP ports on the loopback interface."""

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing listens on right now.

    The port is free when this returns; another process may still take it before the caller
    binds it, which on a test machine is rare enough.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
