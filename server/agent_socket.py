"""How a device's agent (the kiosk's printer agent, the announcer, the counter agent) reaches
the hall server: a Socket.IO client of the hall namespace, joined as the device's agent (its
device commands come to it), that keeps trying until the server answers and then reconnects
by itself.

    client = agent_client()
    ...                                          # client.on(...) handlers
    connect_until_stopped(client, url, token, stopped)    # on a thread of its own
"""

from __future__ import annotations

import logging
import threading

import socketio

from hallq.server import wire

log = logging.getLogger(__name__)

FIRST_RETRY = 1.0  # seconds before the second try; doubled up to LONGEST_RETRY
LONGEST_RETRY = 10.0


def agent_client() -> socketio.Client:
    """A client that reconnects by itself once connected (1 s, doubling up to 10 s)."""
    return socketio.Client(
        reconnection=True,
        reconnection_delay=FIRST_RETRY,
        reconnection_delay_max=LONGEST_RETRY,
        handle_sigint=False,
    )


def connect_until_stopped(
    client: socketio.Client, server_url: str, token: str, stopped: threading.Event
) -> bool:
    """Connect as the device's agent, trying again with backoff until it works (True) or
    ``stopped`` is set (False). A server that is not up yet is not an error: an agent may
    start before it."""
    delay = FIRST_RETRY
    while not stopped.is_set():
        try:
            client.connect(
                server_url,
                namespaces=[wire.NAMESPACE],
                transports=["websocket"],
                auth={"token": token, "agent": True},
                wait_timeout=10,
            )
            return True
        except Exception as exc:
            log.warning("cannot reach %s (%s); trying again in %.0f s", server_url, exc, delay)
            stopped.wait(delay)
            delay = min(delay * 2, LONGEST_RETRY)
    return False
