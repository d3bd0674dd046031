"""Sound for the announcer: WAVs in memory (``wav``), the chime (``chime``) and playing a file
to the end through libvlc (``player``).

    announcement = wav.join([make_chime(), *phrases], gap=0.3)
    with VlcPlayer(capture_dir=None) as player:
        player.play(path_of(announcement), volume=90, on_playing=lambda: ...)

Only ``VlcPlayer`` needs libvlc, and it loads it when one is made.
"""

from __future__ import annotations

from . import wav
from .chime import chime_path, make_chime
from .player import AudioError, Player, VlcPlayer, sound_output_present

__all__ = [
    "AudioError",
    "Player",
    "VlcPlayer",
    "chime_path",
    "make_chime",
    "sound_output_present",
    "wav",
]
