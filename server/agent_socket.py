"""How a device's agent (the kiosk's printer agent, the announcer, the counter agent) reaches
the hall server: a Socket.IO client of the hall namespace, joined as the device's agent (its
device commands come to it), that keeps trying until the server answers and then reconnects
by itself.

    client = agent_client()
    ...                                          # client.on(...) handlers
    connect_until_stopped(client, url, token, stopped)    # on a thread of its own
    hang_up(client)                                       # when the agent stops
"""

from __future__ import annotations

import logging
import threading

import socketio

from hallq.server import wire

log = logging.getLogger(__name__)

FIRST_RETRY = 1.0  # seconds before the second try; doubled up to LONGEST_RETRY
LONGEST_RETRY = 10.0
HANG_UP_WITHIN = 3.0  # seconds an ending agent waits for the server to take its goodbye


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


def hang_up(client: socketio.Client, within: float = HANG_UP_WITHIN) -> None:
    """Disconnect, waiting at most ``within`` seconds. A disconnect waits for the socket's
    reader to end, which a busy or gone server can hold up for long; an agent that is ending
    must not be held with it (a service manager would kill it, and its last log lines)."""
    if not client.connected:
        return
    thread = threading.Thread(target=client.disconnect, name="agent-hang-up", daemon=True)
    thread.start()
    thread.join(within)
    if thread.is_alive():
        log.warning("the server did not take the goodbye within %.0f s; leaving anyway", within)
