"""The ding-dong before each announcement: two soft bell tones, a major third apart (E5 then
C5), each a few harmonic partials with exponential decay, peaking at −3 dBFS.

It is computed, not recorded, so it is the same on every machine and anyone can remake the
shipped file (``assets/sounds/chime.wav``; a test checks the two are equal byte for byte)::

    python -c "import hallq.drivers.audio as a, sys; sys.stdout.buffer.write(a.make_chime())" > assets/sounds/chime.wav

A hall that wants another chime gives the announcer its own WAV instead.
"""

from __future__ import annotations

import math
import sys
from array import array
from importlib import resources
from pathlib import Path

from .wav import RATE, _check_rate, _wav16

__all__ = ["CHIME_SECONDS", "chime_path", "make_chime"]

CHIME_SECONDS = 1.6
_PEAK = 10 ** (-3 / 20)  # −3 dBFS: loud enough over a hall's murmur, never clipping
_ATTACK = 0.006  # seconds of raised-cosine onset: a struck bell without the click
_RELEASE = 0.15  # seconds of fade at the very end, so the tail stops at zero
# (start in seconds, fundamental in Hz): "ding" (E5), then "dong" (C5) while the first rings
_STRIKES = ((0.0, 659.25), (0.5, 523.25))
# (multiple of the fundamental, amplitude, decay time constant in seconds): the higher
# partials die away sooner, which is what makes it a bell rather than an organ
_PARTIALS = ((1.0, 1.0, 0.42), (2.0, 0.35, 0.22), (3.0, 0.12, 0.12), (4.2, 0.05, 0.07))


def _strike(t: float, fundamental: float) -> float:
    """One bell tone ``t`` seconds after it is struck (before: nothing)."""
    if t < 0:
        return 0.0
    onset = 0.5 - 0.5 * math.cos(math.pi * t / _ATTACK) if t < _ATTACK else 1.0
    return onset * sum(
        amplitude * math.exp(-t / decay) * math.sin(2 * math.pi * fundamental * ratio * t)
        for ratio, amplitude, decay in _PARTIALS
    )


def make_chime(rate: int = RATE) -> bytes:
    """The chime as a mono 16-bit WAV at ``rate`` Hz, 1.6 s long. Deterministic: the same bytes
    on every call (it is scaled to its own computed peak, which it reaches exactly)."""
    _check_rate(rate)
    count = round(CHIME_SECONDS * rate)
    release_from = CHIME_SECONDS - _RELEASE
    signal = []
    for n in range(count):
        t = n / rate
        value = sum(_strike(t - start, fundamental) for start, fundamental in _STRIKES)
        if t > release_from:
            value *= 0.5 + 0.5 * math.cos(math.pi * (t - release_from) / _RELEASE)
        signal.append(value)
    scale = _PEAK * 32767 / max(abs(value) for value in signal)
    samples = array("h", (round(value * scale) for value in signal))
    if sys.byteorder == "big":
        samples.byteswap()
    return _wav16(samples.tobytes(), rate)


def chime_path() -> Path:
    """The shipped chime (``hallq.assets``: ``sounds/chime.wav``) as a file VLC can open."""
    resource = resources.files("hallq.assets") / "sounds" / "chime.wav"
    if not isinstance(resource, Path):
        # HallQ installed in a zip: not a case it supports (VLC needs a real file).
        raise FileNotFoundError(f"the chime is not a file on disk: {resource}")
    if not resource.is_file():
        raise FileNotFoundError(
            f"{resource} is missing: remake it with make_chime() (see hallq.drivers.audio.chime)"
        )
    return resource
