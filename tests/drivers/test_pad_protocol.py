"""The v1 pad and sign protocols: the bytes each request is, the events in what a pad sends,
what is counted rather than believed, text made fit for an ASCII display, and the entry
point that finds v1."""

from __future__ import annotations

import pytest

from hallq.drivers import plugins
from hallq.drivers.serial import pad_protocol_class
from hallq.drivers.serial.codec import MAX_DATA, Frame, FrameDecoder, encode
from hallq.drivers.serial.pad import Ack, Key, PadError, PadProtocol, Score, ascii_text
from hallq.drivers.serial.pad_v1 import PadProtocolV1
from hallq.drivers.serial.sign_v1 import PAUSED, SignProtocolV1


def sent(data: bytes) -> Frame:
    """The one frame in ``data`` (what the host would put on the wire)."""
    frames = FrameDecoder().feed(data)
    assert len(frames) == 1, data
    return frames[0]


def from_pad(*frames: Frame) -> bytes:
    return b"".join(encode(frame) for frame in frames)


def test_the_entry_point_loads_v1() -> None:
    assert plugins.load(plugins.PAD_PROTOCOLS, "v1") is PadProtocolV1
    assert pad_protocol_class("v1") is PadProtocolV1
    assert "v1" in plugins.names(plugins.PAD_PROTOCOLS)
    assert issubclass(PadProtocolV1, PadProtocol)
    assert PadProtocolV1.name == "v1"
    with pytest.raises(plugins.UnknownPlugin, match=r"no pad protocol 'v9'; available: .*v1"):
        pad_protocol_class("v9")


def test_the_host_s_frames() -> None:
    pad = PadProtocolV1(address=7)
    assert pad.request_rating("A023") == encode(Frame(7, "R", "A023"))
    assert pad.request_rating("A023") == b"\x0207RA02325\x03"
    assert sent(pad.cancel()) == Frame(7, "C")
    assert sent(pad.show("C017")) == Frame(7, "W", "C017")
    assert sent(pad.show("PAUSED")) == Frame(7, "W", "PAUSED")
    assert sent(pad.ping()) == Frame(7, "P")


def test_the_pad_s_events_in_order_across_reads() -> None:
    pad = PadProtocolV1()
    data = from_pad(
        Frame(1, "A"),
        Frame(1, "S", "4"),
        Frame(1, "K", "NEXT"),
        Frame(1, "K", "RECALL"),
        Frame(1, "K", "PAUSE"),
        Frame(1, "K", "RESUME"),
        Frame(1, "K", "HELP"),  # a key of a newer pad: passed on for the agent to refuse
        Frame(1, "E", "BUSY"),
    )
    events = []
    for at in range(0, len(data), 5):  # as a slow line delivers it
        events += pad.feed(data[at : at + 5])
    assert events == [
        Ack(),
        Score(4),
        Key("NEXT"),
        Key(Key.RECALL),
        Key("PAUSE"),
        Key("RESUME"),
        Key("HELP"),
        PadError("BUSY"),
    ]
    assert pad.stats["frames"] == 8
    assert pad.stats["dropped"] == 0


@pytest.mark.parametrize("score", ["0", "6", "9", "", "44", " 4", "x", "４"])
def test_a_score_that_is_not_1_to_5_is_counted_not_believed(score: str) -> None:
    pad = PadProtocolV1()
    data = (
        encode(Frame(1, "S", score)) if score.isascii() else b"\x0201S\xef\xbc\x9400\x03"
    ) + encode(Frame(1, "S", "5"))
    assert pad.feed(data) == [Score(5)]
    counted = pad.stats["bad_score"] + pad.stats["malformed"] + pad.stats["bad_checksum"]
    assert counted == 1


@pytest.mark.parametrize("good", ["1", "2", "3", "4", "5"])
def test_each_score(good: str) -> None:
    assert PadProtocolV1().feed(encode(Frame(1, "S", good))) == [Score(int(good))]


def test_frames_for_another_address_are_ignored_and_counted() -> None:
    pad = PadProtocolV1(address=2)
    data = from_pad(Frame(1, "S", "1"), Frame(2, "S", "3"), Frame(3, "K", "NEXT"), Frame(2, "A"))
    assert pad.feed(data) == [Score(3), Ack()]
    assert pad.stats["other_address"] == 2


def test_noise_bad_frames_and_unknown_commands_are_counted_never_raised() -> None:
    pad = PadProtocolV1()
    data = (
        b"\xff\x00noise"
        + encode(Frame(1, "S", "2"))[:-3]  # cut by the next STX
        + encode(Frame(1, "S", "2")).replace(b"S2", b"S3")  # the checksum no longer fits
        + encode(Frame(1, "Q", "?"))  # a command a pad does not send
        + encode(Frame(1, "K", "  "))  # a key with no name
        + encode(Frame(1, "S", "1"))
    )
    assert pad.feed(data) == [Score(1)]
    stats = pad.stats
    assert stats["noise"] == 7
    assert stats["cut"] == 1
    assert stats["bad_checksum"] == 1
    assert stats["unknown_command"] == 1
    assert stats["bad_key"] == 1
    assert stats["dropped"] == 2
    assert stats["frames"] == 3  # Q, K and S were frames; only S an event
    for name in ("too_long", "malformed", "bad_score", "other_address"):
        assert stats[name] == 0  # present from the start, for a monitor


def test_show_makes_any_text_fit_an_ascii_display() -> None:
    pad = PadProtocolV1()
    assert sent(pad.show("Ａ０２３")).data == "A023"  # full-width forms
    assert sent(pad.show("José — 3號")).data == "Jose - 3?"  # accents, a dash, a hanzi
    assert sent(pad.show("暫停服務")).data == "????"
    assert sent(pad.show("two\nlines\tand\x00nul")).data == "two lines and?nul"
    long = sent(pad.show("C017 " + "x" * 100)).data
    assert len(long) == MAX_DATA and long.startswith("C017 x")
    assert sent(pad.show("")).data == ""
    # And the number of a rating, should it ever be odd, is sent rather than refused.
    assert sent(pad.request_rating("Ａ023")).data == "A023"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PAUSED", "PAUSED"),
        ("  padded  ", "padded"),
        ("「A023」、", '"A023",'),
        ("ｶ", "?"),  # half-width katakana has no ASCII form
        ("e\u0301", "e"),  # a combining accent
    ],
)
def test_ascii_text(text: str, expected: str) -> None:
    assert ascii_text(text, MAX_DATA) == expected


@pytest.mark.parametrize("address", [-1, 256, True, "1"])
def test_an_address_out_of_range_is_refused(address: object) -> None:
    with pytest.raises(ValueError, match="address"):
        PadProtocolV1(address=address)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="address"):
        SignProtocolV1(address=address)  # type: ignore[arg-type]


def test_the_sign_shows_and_acks_on_the_same_framing() -> None:
    sign = SignProtocolV1(address=3)
    assert sent(sign.show("A023")) == Frame(3, "W", "A023")
    assert sent(sign.show(PAUSED)) == Frame(3, "W", "PAUSED")
    assert sent(sign.show("")) == Frame(3, "W", "")
    assert sent(sign.show("暫停服務")) == Frame(3, "W", "????")
    assert sent(sign.ping()) == Frame(3, "P")
    data = from_pad(Frame(3, "A"), Frame(4, "A"), Frame(3, "S", "5"), Frame(3, "E", "LED FAULT"))
    assert sign.feed(b"\x00" + data) == [Ack(), PadError("LED FAULT")]
    assert sign.stats["other_address"] == 1
    assert sign.stats["unknown_command"] == 1  # a sign sends no score
    assert sign.stats["noise"] == 1
