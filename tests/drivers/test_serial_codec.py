"""The v1 frame codec: exact bytes, every kind of bad input counted once, frames split anywhere,
and (with hypothesis) byte soup that never breaks it, never costs a good frame and never
makes it hold more than one frame's bytes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallq.drivers.serial.codec import (
    ETX,
    MAX_BODY,
    MAX_DATA,
    MAX_FRAME,
    STX,
    CodecStats,
    Frame,
    FrameDecoder,
    encode,
)

# No example database in the source tree, and no deadline: the machine is shared.
PROPERTIES = settings(
    database=None,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
)

A023 = b"\x0201RA02323\x03"  # 0x30^0x31^0x52^0x41^0x30^0x32^0x33 = 0x23


def frame_bytes(body: bytes) -> bytes:
    return bytes([STX]) + body + bytes([ETX])


def with_checksum(payload: bytes) -> bytes:
    """A frame around ``payload`` (ADDR CMD DATA as bytes) with its right checksum."""
    check = 0
    for byte in payload:
        check ^= byte
    return frame_bytes(payload + f"{check:02X}".encode())


def decode(data: bytes) -> tuple[list[Frame], CodecStats]:
    decoder = FrameDecoder()
    return decoder.feed(data), decoder.stats


# --- encoding ----------------------------------------------------------------------------


def test_the_bytes_of_a_frame() -> None:
    assert encode(Frame(1, "R", "A023")) == A023
    assert encode(Frame(0xAB, "P")) == frame_bytes(b"ABP" + b"%02X" % (0x41 ^ 0x42 ^ 0x50))
    assert encode(Frame(255, "W", "x" * MAX_DATA)).__len__() == MAX_FRAME


@pytest.mark.parametrize(
    "frame",
    [
        Frame(1, "S", "4"),
        Frame(0, "A"),
        Frame(255, "K", "RECALL"),
        Frame(16, "W", " ~!\"#$%&'()*+,-./:;<=>?"),
        Frame(16, "W", "@[\\]^_`{|} 0123456789"),
        Frame(0x7F, "z", "x" * MAX_DATA),
    ],
)
def test_a_frame_comes_back_as_it_went(frame: Frame) -> None:
    frames, stats = decode(encode(frame))
    assert frames == [frame]
    assert stats == CodecStats(frames=1)


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        (Frame(256, "R"), "address"),
        (Frame(-1, "R"), "address"),
        (Frame(True, "R"), "address"),  # type: ignore[arg-type]
        (Frame(1, "RR"), "one ASCII letter"),
        (Frame(1, ""), "one ASCII letter"),
        (Frame(1, "1"), "one ASCII letter"),
        (Frame(1, "é"), "one ASCII letter"),
        (Frame(1, "W", "x" * (MAX_DATA + 1)), "at most 32"),
        (Frame(1, "W", "A\n"), "printable ASCII"),
        (Frame(1, "W", "暫停"), "printable ASCII"),
        (Frame(1, "W", "\x7f"), "printable ASCII"),
    ],
)
def test_an_invalid_frame_is_refused(frame: Frame, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        encode(frame)


# --- each kind of bad input, counted exactly ---------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"hello", CodecStats(noise=5)),
        (b"\x03\x00\xff", CodecStats(noise=3)),
        (A023.replace(b"23\x03", b"24\x03"), CodecStats(bad_checksum=1)),
        (A023.replace(b"RA023", b"RA024"), CodecStats(bad_checksum=1)),
        (frame_bytes(b""), CodecStats(malformed=1)),
        (frame_bytes(b"01R2"), CodecStats(malformed=1)),  # shorter than ADDR CMD CHK
        (with_checksum(b"G1RA023"), CodecStats(malformed=1)),  # G is no hex digit
        (with_checksum(b" 1RA023"), CodecStats(malformed=1)),  # int(" 1", 16) would take it
        (with_checksum(b"+1RA023"), CodecStats(malformed=1)),
        (frame_bytes(b"01RA023ZZ"), CodecStats(malformed=1)),  # the checksum is no hex
        (with_checksum(b"011A023"), CodecStats(malformed=1)),  # the command is no letter
        (with_checksum(b"01WA\x0123"), CodecStats(malformed=1)),  # non-printable data
        (with_checksum(b"01W\xe6\x9a\xab"), CodecStats(malformed=1)),  # UTF-8 is not ASCII
        (with_checksum(b"01W" + b"x" * (MAX_DATA + 1)), CodecStats(too_long=1)),
        (A023[:6] + A023, CodecStats(cut=1, frames=1)),
        (b"\x02\x02\x02" + A023, CodecStats(cut=3, frames=1)),
    ],
)
def test_each_kind_of_bad_input_is_counted_once(data: bytes, expected: CodecStats) -> None:
    frames, stats = decode(data)
    assert stats == expected
    assert len(frames) == expected.frames
    assert stats.dropped() == expected.bad_checksum + expected.too_long + expected.malformed + (
        expected.cut
    )


def test_lowercase_hex_is_read() -> None:
    body = b"abW"
    check = 0x61 ^ 0x62 ^ 0x57
    frames, stats = decode(frame_bytes(body + f"{check:02x}".encode()))
    assert frames == [Frame(0xAB, "W")]
    assert stats.frames == 1


def test_an_overlong_frame_is_dropped_as_soon_as_it_is_known_and_costs_nothing_more() -> None:
    decoder = FrameDecoder()
    # One byte past the longest body, with no ETX yet: known too long now.
    assert decoder.feed(b"\x02" + b"x" * MAX_BODY) == []
    assert decoder.stats.too_long == 0 and decoder.pending == MAX_BODY
    assert decoder.feed(b"x") == []
    assert decoder.stats.too_long == 1
    assert decoder.pending == 0
    # The rest of it, however long, is neither held nor counted again, nor noise…
    for _ in range(1000):
        decoder.feed(b"y" * 100)
        assert decoder.pending == 0
    # …up to its ETX, after which bytes are noise again, and the next frame is whole.
    assert decoder.feed(b"zz\x03ab" + A023) == [Frame(1, "R", "A023")]
    assert decoder.stats == CodecStats(frames=1, too_long=1, noise=2)


def test_an_overlong_frame_ends_at_the_next_stx_too() -> None:
    frames, stats = decode(b"\x02" + b"x" * 100 + A023)
    assert frames == [Frame(1, "R", "A023")]
    assert stats == CodecStats(frames=1, too_long=1)


def test_the_longest_frame_is_not_too_long() -> None:
    longest = encode(Frame(1, "W", "x" * MAX_DATA))
    decoder = FrameDecoder()
    for byte in longest:
        decoder.feed(bytes([byte]))
        assert decoder.pending <= MAX_BODY
    assert decoder.stats == CodecStats(frames=1)


def test_noise_before_between_and_after_frames() -> None:
    score, key = encode(Frame(1, "S", "4")), encode(Frame(1, "K", "NEXT"))
    frames, stats = decode(b"\x00\xff junk" + score + b"\x03\x03 more" + key + b"\r\n")
    assert frames == [Frame(1, "S", "4"), Frame(1, "K", "NEXT")]
    assert stats == CodecStats(frames=2, noise=7 + 7 + 2)


def test_a_frame_split_at_every_byte_boundary() -> None:
    stream = b"~" + A023 + encode(Frame(2, "S", "5")) + b"\x02" + encode(Frame(3, "K", "NEXT"))
    whole, whole_stats = decode(stream)
    assert len(whole) == 3
    for at in range(len(stream) + 1):
        decoder = FrameDecoder()
        got = decoder.feed(stream[:at]) + decoder.feed(stream[at:])
        assert got == whole, at
        assert decoder.stats == whole_stats, at
    for first in range(len(stream) + 1):  # and in three pieces
        for second in range(first, len(stream) + 1, 3):
            decoder = FrameDecoder()
            got = (
                decoder.feed(stream[:first])
                + decoder.feed(stream[first:second])
                + decoder.feed(stream[second:])
            )
            assert got == whole, (first, second)


def test_nothing_in_and_a_frame_under_way_is_held_not_counted() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(A023[:-1]) == []
    assert decoder.in_frame and decoder.pending == len(A023) - 2
    assert decoder.stats == CodecStats()
    decoder.reset()  # the line went down: its end will never come
    assert not decoder.in_frame and decoder.pending == 0
    assert decoder.stats == CodecStats(cut=1)
    assert decoder.feed(b"01RA02323\x03") == []  # the rest, with no STX, is noise
    assert decoder.stats.noise == len(A023) - 1


# --- properties ------------------------------------------------------------------------------

_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
frames = st.builds(
    Frame,
    address=st.integers(0, 255),
    command=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
    data=st.text(_PRINTABLE, max_size=MAX_DATA),
)
# Noise as a line makes it: anything, with the framing bytes well represented.
noise = st.binary(max_size=60) | st.lists(
    st.sampled_from([STX, ETX, 0x00, 0xFF, 0x30, 0x41, 0x0D]), max_size=60
).map(bytes)


@st.composite
def soups(draw: st.DrawFn) -> tuple[bytes, list[Frame], bool]:
    """``(stream, intact, exact)``: valid frames interleaved with noise and with frames that
    noise got into; ``intact`` the frames whose bytes are whole in the stream, in order;
    ``exact`` when nothing but them can come out (the noise holds no STX)."""
    stream = bytearray()
    intact: list[Frame] = []
    exact = True
    for kind in draw(st.lists(st.sampled_from(["frame", "noise", "touched"]), max_size=25)):
        if kind == "frame":
            frame = draw(frames)
            intact.append(frame)
            stream += encode(frame)
            continue
        dirt = draw(noise)
        if kind == "noise":
            stream += dirt
        else:  # noise inside a frame: it may come out changed, or not at all
            data = encode(draw(frames))
            at = draw(st.integers(1, len(data) - 1))
            stream += data[:at] + dirt + data[at:]
            exact = False
        exact = exact and STX not in dirt
    return bytes(stream), intact, exact


def is_subsequence(wanted: list[Frame], got: list[Frame]) -> bool:
    remaining = iter(got)
    return all(any(frame == other for other in remaining) for frame in wanted)


@PROPERTIES
@given(soups())
def test_byte_soup_never_raises_and_never_costs_a_good_frame(
    soup: tuple[bytes, list[Frame], bool],
) -> None:
    stream, intact, exact = soup
    decoder = FrameDecoder()
    got = decoder.feed(stream)
    assert is_subsequence(intact, got)
    if exact:
        assert got == intact
    stats = decoder.stats
    # Each STX began one attempt, which ended as one frame or one drop, or is under way.
    assert stream.count(STX) == stats.frames + stats.dropped() + decoder.in_frame
    assert stats.frames == len(got)
    assert 0 <= stats.noise <= len(stream) - stream.count(STX)
    assert decoder.pending <= MAX_BODY


@PROPERTIES
@given(soups(), st.lists(st.integers(0, 80), max_size=30))
def test_any_chunking_gives_what_all_at_once_gives(
    soup: tuple[bytes, list[Frame], bool], sizes: list[int]
) -> None:
    stream = soup[0]
    whole, whole_stats = decode(stream)

    one_at_a_time = FrameDecoder()
    got: list[Frame] = []
    for byte in stream:
        got += one_at_a_time.feed(bytes([byte]))
        assert one_at_a_time.pending <= MAX_BODY  # bounded at every step
    assert got == whole
    assert one_at_a_time.stats == whole_stats

    chunked = FrameDecoder()
    got, at = [], 0
    for size in sizes:
        got += chunked.feed(stream[at : at + size])
        at += size
    got += chunked.feed(stream[at:])
    assert got == whole
    assert chunked.stats == whole_stats


@PROPERTIES
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise_and_stay_bounded(data: bytes) -> None:
    decoder = FrameDecoder()
    for start in range(0, len(data), 97):
        for frame in decoder.feed(data[start : start + 97]):
            assert encode(frame)  # what comes out is always a frame that can be sent
        assert decoder.pending <= MAX_BODY
    assert data.count(STX) == decoder.stats.frames + decoder.stats.dropped() + decoder.in_frame


@PROPERTIES
@given(frames)
def test_every_valid_frame_round_trips(frame: Frame) -> None:
    data = encode(frame)
    assert len(data) <= MAX_FRAME
    assert decode(data)[0] == [frame]
