"""Speech for the announcer: an engine (``espeak``, ``clips``, ``command`` or a plugin's) that
turns a phrase into a WAV, and a cache of the WAVs it made.

    engine = open_engine("espeak", {"speed": "150"})
    cache = SpeechCache(Path("var/speech"), engine)
    path = cache.wav("請 A 0 2 3 號 到 5 號窗口", "cmn")

Engines are entry points (``hallq.speech``, ``drivers/plugins.py``): a package can add one
without changing HallQ.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import plugins
from .base import SpeechEngine, SpeechError
from .cache import SpeechCache

__all__ = ["SpeechCache", "SpeechEngine", "SpeechError", "engine_class", "open_engine"]


def engine_class(name: str) -> type[SpeechEngine]:
    """The engine class installed under ``name`` (``UnknownPlugin`` listing the names there
    are, ``BrokenPlugin`` when it cannot be imported or is not a ``SpeechEngine``)."""
    found = plugins.load(plugins.SPEECH, name)
    if not (isinstance(found, type) and issubclass(found, SpeechEngine)):
        raise plugins.BrokenPlugin(f"the speech engine {name!r} is {found!r}, not a SpeechEngine")
    return found


def open_engine(name: str, options: Mapping[str, str] | None = None) -> SpeechEngine:
    """The engine ``name`` made with ``options`` (strings, from the hall's configuration);
    ``SpeechError`` when the options are wrong."""
    return engine_class(name)(options)
