"""A printer on USB, by vendor and product id in hex (``usb://04b8:0202``, an Epson TM-T88).

python-escpos's ``Usb`` finds the device through pyusb, which needs libusb and a device this
user may open (a udev rule). When either is missing, ``open()`` says which, naming the
address, instead of pyusb's bare "No backend available" or python-escpos's tuple of ints.
"""

from __future__ import annotations

from typing import Any, Self

from escpos.escpos import Escpos
from escpos.printer import Usb

from . import url_options
from .base import PrinterUrlError
from .escpos_connection import EscposConnection

OPTIONS: dict[str, tuple[url_options.Converter, Any]] = {
    "timeout": (url_options.seconds, 3.0),  # a write; python-escpos's default is forever
    "status_timeout": (url_options.seconds, 1.0),
    "in_ep": (url_options.integer, 0x82),  # endpoints: python-escpos's (Epson's) defaults
    "out_ep": (url_options.integer, 0x01),
}


def _usb_id(text: str, url: str) -> int:
    try:
        value = int(text, 16)
    except ValueError:
        value = -1
    if len(text) != 4 or not 0 <= value <= 0xFFFF:
        raise PrinterUrlError(
            f"{url!r}: {text!r} is not a USB id (four hex digits, as in usb://04b8:0202)"
        )
    return value


class UsbConnection(EscposConnection):
    def __init__(
        self,
        vendor: int,
        product: int,
        *,
        timeout: float = 3.0,
        status_timeout: float = 1.0,
        in_ep: int = 0x82,
        out_ep: int = 0x01,
    ) -> None:
        super().__init__()
        self.vendor, self.product = vendor, product
        self.timeout, self.status_timeout = timeout, status_timeout
        self.in_ep, self.out_ep = in_ep, out_ep

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        parts = url_options.split(url, "usb")
        vendor_text, colon, product_text = parts.netloc.partition(":")
        if not colon or parts.path not in ("", "/"):
            raise PrinterUrlError(
                f"{url!r}: a USB printer is usb://VENDOR:PRODUCT, e.g. usb://04b8:0202"
            )
        vendor, product = _usb_id(vendor_text, url), _usb_id(product_text, url)
        return cls(vendor, product, **url_options.read(url, parts.query, options, OPTIONS))

    @property
    def address(self) -> str:
        return f"usb://{self.vendor:04x}:{self.product:04x}"

    def describe(self) -> str:
        return f"USB printer {self.address}"

    def _make_printer(self) -> Escpos:
        return Usb(
            self.vendor,
            self.product,
            timeout=int(self.timeout * 1000),  # pyusb counts milliseconds
            in_ep=self.in_ep,
            out_ep=self.out_ep,
        )

    def _open_failure(self, exc: BaseException) -> str:
        import usb.core  # installed with python-escpos[usb]; imported only when USB is used

        if isinstance(exc, usb.core.NoBackendError):
            return "libusb is not installed (Debian: apt-get install libusb-1.0-0)"
        cause = exc.__context__ or exc
        if isinstance(cause, AssertionError):  # how python-escpos says "find() found none"
            return (
                f"no USB device {self.vendor:04x}:{self.product:04x} "
                "(not plugged in or switched off? `lsusb` lists what is there)"
            )
        if isinstance(cause, usb.core.USBError) and cause.errno == 13:  # EACCES
            return "permission denied (a udev rule must let this user open it)"
        return super()._open_failure(cause)

    def _read_reply(self, printer: Escpos) -> bytes:
        import usb.core

        device: Any = printer.device  # a usb.core.Device; pyusb ships no type hints
        try:
            reply = device.read(self.in_ep, 16, int(self.status_timeout * 1000))
        except usb.core.USBTimeoutError:
            return b""  # it said nothing
        return bytes(reply)
