"""What the replies to DLE EOT 1 and DLE EOT 4 mean (DEVICE-NOTES.md: 0x12 ok, 0x1E near
end, 0x72 out)."""

from __future__ import annotations

import pytest

from hallq.drivers.printer.base import PrinterState
from hallq.drivers.printer.status import state_from_replies


@pytest.mark.parametrize(
    ("online", "paper", "expected"),
    [
        (b"\x12", b"\x12", PrinterState.OK),
        (b"\x16", b"\x12", PrinterState.OK),  # drawer pin high: still online
        (b"\x12", b"\x1e", PrinterState.PAPER_NEAR_END),
        (b"\x1a", b"\x72", PrinterState.PAPER_OUT),  # out of paper also says offline
        (b"\x12", b"\x72", PrinterState.PAPER_OUT),
        (b"\x1a", b"\x7e", PrinterState.PAPER_OUT),  # both sensors
        (b"\x1a", b"\x12", PrinterState.OFFLINE),  # cover open
        (b"\x1a", b"\x1e", PrinterState.OFFLINE),
        (b"", b"", PrinterState.OFFLINE),  # no answer
        (b"\x12", b"", PrinterState.OFFLINE),
        (b"\x00", b"\x12", PrinterState.UNKNOWN),  # not a status byte: not a printer's
        (b"\x12", b"A", PrinterState.UNKNOWN),
        (b"\x1a\x12", b"\x12", PrinterState.OK),  # a late reply first: the last byte counts
    ],
)
def test_replies(online: bytes, paper: bytes, expected: PrinterState) -> None:
    assert state_from_replies(online, paper) is expected


def test_states_are_strings_for_the_wire() -> None:
    assert [state.value for state in PrinterState] == [
        "ok",
        "paper_near_end",
        "paper_out",
        "offline",
        "unknown",
    ]
    assert PrinterState("paper_out") is PrinterState.PAPER_OUT and PrinterState.OK == "ok"
