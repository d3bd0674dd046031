"""The two real-time status queries a printer answers, and what their replies mean.

ESC/POS printers answer ``DLE EOT n`` at once, even while offline or out of paper (that is
what the queries are for). A reply is one byte whose bits 1 and 4 are always set and bits 0
and 7 always clear, so a byte of anything else did not come from a printer's status.

``DLE EOT 1`` (printer):  bit 3 set = offline (cover open, paper out, an error)
``DLE EOT 4`` (roll paper): bits 2-3 = near-end sensor, bits 5-6 = paper end
    0x12 paper ok, 0x1E near end, 0x72 out (DEVICE-NOTES.md, "Thermal printing")
"""

from __future__ import annotations

from .base import PrinterState

DLE_EOT = b"\x10\x04"
ONLINE_QUERY = DLE_EOT + b"\x01"
PAPER_QUERY = DLE_EOT + b"\x04"

FIXED_BITS = 0x12  # bits 1 and 4: set in every status byte
_FIXED_MASK = 0x93  # bits 0, 1, 4 and 7: the ones whose value is fixed
OFFLINE_BIT = 0x08  # DLE EOT 1
PAPER_NEAR_END_BITS = 0x0C  # DLE EOT 4
PAPER_END_BITS = 0x60  # DLE EOT 4

# What an emulated printer answers, by the state it is set to.
ONLINE_REPLY = bytes([FIXED_BITS])  # 0x12
OFFLINE_REPLY = bytes([FIXED_BITS | OFFLINE_BIT])  # 0x1A
PAPER_OK_REPLY = bytes([FIXED_BITS])  # 0x12
PAPER_NEAR_END_REPLY = bytes([FIXED_BITS | PAPER_NEAR_END_BITS])  # 0x1E
PAPER_OUT_REPLY = bytes([FIXED_BITS | PAPER_END_BITS])  # 0x72


def is_status_byte(value: int) -> bool:
    return value & _FIXED_MASK == FIXED_BITS


def state_from_replies(online: bytes, paper: bytes) -> PrinterState:
    """The state the replies to ``ONLINE_QUERY`` and ``PAPER_QUERY`` say; no reply to either
    (an empty ``bytes``) is ``OFFLINE``.

    Paper is read before the offline bit because a printer out of paper also says offline:
    "paper out" tells the hall what to do about it. A reply of several bytes (a late answer
    to an earlier query arriving with this one) is read by its last byte, the newest.
    """
    if not online or not paper:
        return PrinterState.OFFLINE
    printer, roll = online[-1], paper[-1]
    if not (is_status_byte(printer) and is_status_byte(roll)):
        return PrinterState.UNKNOWN
    if roll & PAPER_END_BITS:
        return PrinterState.PAPER_OUT
    if printer & OFFLINE_BIT:
        return PrinterState.OFFLINE
    if roll & PAPER_NEAR_END_BITS:
        return PrinterState.PAPER_NEAR_END
    return PrinterState.OK
