"""WAV in memory, in pure Python (``struct`` and ``array``; ``audioop`` is deprecated): how long
a clip is, how loud, one format for all, and several clips joined into one.

The announcer's format is mono, 16-bit, 22,050 Hz (what espeak-ng writes), so joining its own
phrases is a concatenation. Anything else (a hall's recorded clips: stereo, 44.1 kHz, 8-, 24-
or 32-bit, float) is converted first: channels averaged, samples truncated to 16 bits,
resampled by linear interpolation (no anti-alias filter: fine for speech clips and chimes,
not for music).

Everything takes and returns the bytes of a whole RIFF WAV file. What is not one, or is one in
a format this cannot read (ADPCM, µ-law, …), is a ``ValueError`` saying what is wrong.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["duration", "join", "rms", "silence", "to_format"]

RATE = 22050
_MIN_RATE, _MAX_RATE = 1000, 384_000
_PCM, _FLOAT, _EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
_BIG_ENDIAN_HOST = sys.byteorder == "big"  # WAV is little-endian; array() is the host's order
_FLIP_SIGN = bytes((b ^ 0x80) for b in range(256))  # unsigned 8-bit -> signed high byte


@dataclass(frozen=True)
class _Pcm:
    """What a WAV holds: its format and its whole frames (interleaved, little-endian)."""

    channels: int
    rate: int
    bits: int
    is_float: bool
    data: bytes

    @property
    def frames(self) -> int:
        return len(self.data) // (self.channels * self.bits // 8)


def _parse(wav: bytes) -> _Pcm:
    """Read the RIFF chunks; tolerant of what real files do (extra chunks, a data size larger
    than the file as streamed WAVs write it, a partial last frame), strict about the format."""
    if not isinstance(wav, bytes | bytearray | memoryview):
        raise ValueError(f"a WAV must be bytes, not {type(wav).__name__}")
    wav = bytes(wav)
    if len(wav) < 12 or wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        start = wav[:12]
        raise ValueError(f"not a WAV file: it starts with {start!r}, not b'RIFF....WAVE'")
    fmt: bytes | None = None
    data: bytes | None = None
    offset = 12
    while offset + 8 <= len(wav):
        chunk_id, size = struct.unpack_from("<4sI", wav, offset)
        body = wav[offset + 8 : offset + 8 + size]
        if chunk_id == b"fmt " and fmt is None:
            fmt = body
        elif chunk_id == b"data" and data is None:
            data = body  # may be shorter than `size` says: a streamed or truncated file
        offset += 8 + size + (size & 1)  # chunks are padded to an even length
    if fmt is None:
        raise ValueError("not a usable WAV file: it has no 'fmt ' chunk")
    if len(fmt) < 16:
        raise ValueError(f"not a usable WAV file: its 'fmt ' chunk is {len(fmt)} bytes, not 16+")
    if data is None:
        raise ValueError("not a usable WAV file: it has no 'data' chunk")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _EXTENSIBLE:
        if len(fmt) < 26:
            raise ValueError("not a usable WAV file: WAVE_FORMAT_EXTENSIBLE without a subformat")
        (tag,) = struct.unpack_from("<H", fmt, 24)  # the GUID's first two bytes are the tag
    if tag not in (_PCM, _FLOAT):
        raise ValueError(
            f"unsupported WAV encoding (format tag 0x{tag:04x}): only PCM and float are read"
        )
    is_float = tag == _FLOAT
    if (is_float and bits not in (32, 64)) or (not is_float and bits not in (8, 16, 24, 32)):
        kind = "float" if is_float else "PCM"
        raise ValueError(f"unsupported WAV sample size: {bits}-bit {kind}")
    if channels < 1:
        raise ValueError("not a usable WAV file: it says it has no channels")
    if not _MIN_RATE <= rate <= _MAX_RATE:
        raise ValueError(f"unsupported WAV sample rate: {rate} Hz")
    frame_size = channels * bits // 8
    if block_align != frame_size:
        raise ValueError(
            f"not a usable WAV file: frames of {block_align} bytes for {channels} channel(s) "
            f"of {bits} bits (should be {frame_size})"
        )
    whole = len(data) - len(data) % frame_size
    return _Pcm(channels, rate, bits, is_float, data[:whole])


def _samples16(pcm: _Pcm) -> array:
    """All samples (channels still interleaved) as signed 16-bit, by byte slicing where it can:
    it keeps the high bytes of wider samples, so no Python loop runs for integer PCM."""
    data = pcm.data
    if pcm.is_float:
        floats = array("f" if pcm.bits == 32 else "d", data)
        if _BIG_ENDIAN_HOST:
            floats.byteswap()
        out = array("h", (round(max(-1.0, min(1.0, x)) * 32767) for x in floats))
        return out
    if pcm.bits == 16:
        wide = data
    else:
        size = pcm.bits // 8
        buffer = bytearray(len(data) // size * 2)
        if pcm.bits == 8:  # unsigned, centred on 128
            buffer[1::2] = data.translate(_FLIP_SIGN)
        else:  # 24 or 32 bits: the two most significant bytes of each sample
            buffer[0::2] = data[size - 2 :: size]
            buffer[1::2] = data[size - 1 :: size]
        wide = bytes(buffer)
    out = array("h", wide)
    if _BIG_ENDIAN_HOST:
        out.byteswap()
    return out


def _downmix(samples: array, channels: int) -> array:
    if channels == 1:
        return samples
    columns = [samples[c::channels] for c in range(channels)]
    return array("h", (sum(frame) // channels for frame in zip(*columns, strict=True)))


def _resample(samples: array, source: int, target: int) -> array:
    """Linear interpolation between neighbouring samples; the length scales with the rate."""
    if source == target or not samples:
        return samples
    count = max(1, round(len(samples) * target / source))
    step = source / target
    last = len(samples) - 1
    out = array("h", bytes(2 * count))
    for j in range(count):
        position = j * step
        i = int(position)
        if i >= last:
            out[j] = samples[last]
        else:
            a = samples[i]
            out[j] = round(a + (samples[i + 1] - a) * (position - i))
    return out


def _check_rate(rate: int) -> None:
    if not isinstance(rate, int) or not _MIN_RATE <= rate <= _MAX_RATE:
        raise ValueError(
            f"a sample rate must be a whole number of Hz from 1000 to 384000: {rate!r}"
        )


def _mono16_data(wav: bytes, rate: int) -> bytes:
    """The sample bytes (little-endian) of ``wav`` as mono 16-bit at ``rate``."""
    pcm = _parse(wav)
    if pcm.channels == 1 and pcm.bits == 16 and not pcm.is_float and pcm.rate == rate:
        return pcm.data  # the announcer's own format: nothing to do
    samples = _resample(_downmix(_samples16(pcm), pcm.channels), pcm.rate, rate)
    if _BIG_ENDIAN_HOST:
        samples.byteswap()
    return samples.tobytes()


def _wav16(data: bytes, rate: int) -> bytes:
    """A canonical 44-byte-header WAV around mono 16-bit little-endian samples."""
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(data),
        b"WAVE",
        b"fmt ",
        16,
        _PCM,
        1,
        rate,
        rate * 2,
        2,
        16,
        b"data",
        len(data),
    )
    return header + data


def duration(wav: bytes) -> float:
    """Its length in seconds (whole frames present, whatever the header claims)."""
    pcm = _parse(wav)
    return pcm.frames / pcm.rate


def rms(wav: bytes) -> float:
    """Its loudness as the root mean square of all samples, 0 (silence) to 1 (full scale): a
    spoken phrase is around 0.05–0.2, a file of zeros 0."""
    samples = _samples16(_parse(wav))
    if not samples:
        return 0.0
    return math.sqrt(math.fsum(x * x for x in samples) / len(samples)) / 32768


def to_format(wav: bytes, rate: int = RATE) -> bytes:
    """The same sound as a mono 16-bit WAV at ``rate`` Hz."""
    _check_rate(rate)
    return _wav16(_mono16_data(wav, rate), rate)


def silence(seconds: float, rate: int = RATE) -> bytes:
    """A mono 16-bit WAV of ``seconds`` of silence."""
    _check_rate(rate)
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"silence must last zero seconds or more: {seconds!r}")
    return _wav16(bytes(2 * round(seconds * rate)), rate)


def join(parts: Sequence[bytes], gap: float = 0.25, rate: int = RATE) -> bytes:
    """One mono 16-bit WAV at ``rate``: the parts in order, ``gap`` seconds of silence between
    each two (none before the first or after the last). No parts: an empty WAV."""
    _check_rate(rate)
    pause = _mono16_data(silence(gap, rate), rate)
    pieces = []
    for number, part in enumerate(parts, start=1):
        try:
            pieces.append(_mono16_data(part, rate))
        except ValueError as exc:
            raise ValueError(f"part {number} of {len(parts)}: {exc}") from exc
    return _wav16(pause.join(pieces), rate)
