"""Receipt printers (ESC/POS): what to print (``document``), its bytes (``encode``), the
connection that sends them, chosen by the address's scheme, and a picture of the printout
(``preview``). ``emulator`` is a printer for the demo and the tests.

    printer = open_printer("tcp://10.0.0.7:9100")   # serial:///dev/ttyUSB0, usb://04b8:0202, file:///…
    if printer.status() in (PrinterState.OK, PrinterState.PAPER_NEAR_END):
        printer.send(encode(document))

Schemes are entry points (``hallq.printer_connections``, ``drivers/plugins.py``): a vendor's
package can add one without changing HallQ.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from .. import plugins
from .base import PrinterConnection, PrinterError, PrinterState, PrinterUrlError

__all__ = [
    "PrinterConnection",
    "PrinterError",
    "PrinterState",
    "PrinterUrlError",
    "connection_class",
    "open_printer",
]

log = logging.getLogger(__name__)


def connection_class(url: str) -> type[PrinterConnection]:
    """The class for the URL's scheme; ``PrinterUrlError`` listing the schemes there are."""
    scheme = urlsplit(url).scheme.lower()
    if not scheme:
        there = ", ".join(plugins.names(plugins.PRINTER_CONNECTIONS))
        raise PrinterUrlError(f"{url!r} is not a printer address: it needs a scheme ({there})")
    try:
        found = plugins.load(plugins.PRINTER_CONNECTIONS, scheme)
    except plugins.UnknownPlugin as exc:
        raise PrinterUrlError(f"cannot use printer {url!r}: {exc}") from exc
    if not (isinstance(found, type) and issubclass(found, PrinterConnection)):
        raise plugins.BrokenPlugin(
            f"the printer connection for {scheme}:// is {found!r}, not a PrinterConnection class"
        )
    return found


def open_printer(url: str, **options: Any) -> PrinterConnection:
    """The printer at ``url``, opened if it can be.

    A printer that cannot be reached now is not an error here (an agent starts before the
    printer is switched on): ``status()`` then says ``OFFLINE`` and ``send()`` raises
    ``PrinterError`` until it is back. A malformed address is a ``PrinterUrlError``.
    """
    connection = connection_class(url).from_url(url, **options)
    try:
        connection.open()
    except PrinterError as exc:
        log.warning("%s; will try again when asked", exc)
    return connection
