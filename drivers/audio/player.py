"""Playing a WAV to the end, through libvlc, one item at a time.

    with VlcPlayer() as player:                     # the sound card, or a null output if none
        took = player.play(path, volume=80, on_playing=show_on_the_board)

``play()`` blocks until the item has been heard: it is paced by the file's own duration, not
by VLC's "end reached" event alone, which with the null and file outputs comes about a second
before the real end. ``on_playing`` is called (on the caller's thread) the moment VLC says
output has started, so a board can show the call as it is spoken.

Without a sound card (a demo machine, CI), ``output="auto"`` plays to VLC's null output: the
timing is the same, nothing is heard. ``capture_dir`` then keeps each item as it was played
(``0001-<stem>.wav``, ``0002-…``, mono 16-bit 22,050 Hz) for people to listen to later.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from . import wav

__all__ = ["AudioError", "Player", "VlcPlayer"]

log = logging.getLogger(__name__)

_START_TIMEOUT = 5.0  # seconds for VLC to open an item and start output
_END_SLACK = 5.0  # seconds past an item's duration before playback counts as stuck
_CAPTURE = "transcode{acodec=s16l,channels=1,samplerate=22050}:std{access=file,mux=wav,dst='%s'}"
# A path VLC's stream-output chain syntax takes as it is, without quoting rules to get right.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_./-]+")
_OUTPUT_NAME = re.compile(r"[a-z0-9_]+")


class AudioError(RuntimeError):
    """An item could not be played (missing or unplayable file, VLC error, timeout), or the
    player could not be set up (libvlc missing)."""


class Player(ABC):
    """Something that plays sound files one at a time, start to end."""

    @abstractmethod
    def play(
        self, path: Path, volume: int = 100, on_playing: Callable[[], None] | None = None
    ) -> float:
        """Play one WAV to the end (blocking; paced by the file's duration, not by VLC's early
        end event); return the seconds it took. Call on_playing() the moment output starts.
        Raise AudioError if it cannot be played (missing/unplayable file, VLC error, timeout)."""

    def describe(self) -> str:
        """Which output this plays to, for logs."""
        return type(self).__name__

    def stop(self) -> None:  # noqa: B027 - a player that cannot be cut short ignores it
        """Cut the sound now playing short (from another thread): its ``play()`` returns."""

    def close(self) -> None:  # noqa: B027 - nothing to let go of by default
        """Let the output go; closing twice is fine."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


def sound_output_present() -> bool:
    """Whether this machine can make sound: an ALSA card, or a PulseAudio/PipeWire server."""
    if os.environ.get("PULSE_SERVER"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    for socket_path in ("pulse/native", "pipewire-0"):
        with contextlib.suppress(OSError):
            if Path(runtime, socket_path).exists():
                return True
    try:
        cards = Path("/proc/asound/cards").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(cards.strip()) and "no soundcards" not in cards


class _Item:
    """What VLC's event thread tells about the item now playing (it only sets flags here: a
    callback must not call back into libvlc)."""

    def __init__(self) -> None:
        self.playing = threading.Event()
        self.finished = threading.Event()  # end reached, or an error
        self.error = False
        self.started_at = 0.0

    def on_playing(self, _event: Any) -> None:
        if not self.playing.is_set():
            self.started_at = time.monotonic()
            self.playing.set()

    def on_end(self, _event: Any) -> None:
        self.finished.set()

    def on_error(self, _event: Any) -> None:
        self.error = True
        self.finished.set()


class VlcPlayer(Player):
    """One libvlc instance, reused for every item; one item at a time (a lock serialises
    ``play()`` calls from several threads).

    ``output``: ``"auto"`` plays to the system's sound output when there is one (an ALSA card
    in /proc/asound/cards, or a PulseAudio/PipeWire server: ``PULSE_SERVER`` or the user's
    socket), otherwise to VLC's null output so the announcer keeps its rhythm with no card;
    ``"dummy"``: always the null output; ``"default"``: whatever VLC chooses; any other name
    is a VLC audio output module (``"alsa"``, ``"pulse"``).

    ``capture_dir``: every item played is also written there as it was decoded
    (``0001-<stem>.wav``, numbered on from what the folder already holds), through VLC's
    stream output duplicated beside the sound output: the item is still heard (when there is
    a card) and still takes its real time. The capture is made before the volume is applied,
    so ``volume`` does not change it.
    """

    def __init__(self, output: str = "auto", capture_dir: Path | None = None) -> None:
        try:
            import vlc  # libvlc is loaded here, so the rest of drivers.audio works without it
        except Exception as exc:  # OSError, ImportError or NameError, by python-vlc version
            raise AudioError(
                f"cannot use VLC: {type(exc).__name__}: {exc} (Debian: apt install libvlc5 "
                "vlc-plugin-base)"
            ) from exc
        self._vlc = vlc
        if output != "auto" and output != "default" and not _OUTPUT_NAME.fullmatch(output):
            raise AudioError(f"not a VLC audio output name: {output!r}")
        self.output = output
        if output == "auto" and sound_output_present():
            chosen, why = "default", "a sound output was found"
        elif output == "auto":
            chosen, why = "dummy", "no sound card: null output"
        else:
            chosen, why = output, "as configured"
        self._chosen, self._why = chosen, why
        arguments = ["--no-video", "--quiet"]
        if chosen != "default":
            arguments.insert(0, f"--aout={chosen}")
        self._instance = vlc.Instance(arguments)
        if self._instance is None:
            raise AudioError(f"libvlc could not start with {' '.join(arguments)}")
        self.capture_dir = capture_dir
        self._scratch: Path | None = None
        if capture_dir is not None:
            capture_dir.mkdir(parents=True, exist_ok=True)
            self._scratch = _scratch_dir()
            self._captured = _last_number(capture_dir)
        self._lock = threading.Lock()
        self._cut = threading.Event()  # stop(): the item playing ends now
        self._closed = False
        self._version = vlc.libvlc_get_version().decode("utf-8", "replace")

    def describe(self) -> str:
        text = f"VLC {self._version}, output {self._chosen} ({self._why})"
        if self.capture_dir is not None:
            text += f", keeping what it plays in {self.capture_dir}"
        return text

    def stop(self) -> None:
        self._cut.set()

    def close(self) -> None:
        self._cut.set()  # a play in progress ends first, then the instance goes
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._instance.release()
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)

    def play(
        self, path: Path, volume: int = 100, on_playing: Callable[[], None] | None = None
    ) -> float:
        """Play ``path`` to its end and return the seconds that took (from this call).

        Paced by the later of VLC's end event and the file's own duration after output
        started. ``on_playing`` runs once, on this thread, as output starts; should it raise,
        the error is logged and the item still plays to the end. ``AudioError`` when the file
        is missing or VLC cannot play it, when output does not start within 5 s, or when the
        item has not ended 5 s after its duration."""
        if not 0 <= volume <= 100:
            raise ValueError(f"volume is 0 to 100: {volume}")
        with self._lock:
            if self._closed:
                raise AudioError("the player is closed")
            begun = time.monotonic()
            self._cut.clear()
            path = Path(path)
            expected = _wav_duration(path)  # None: not a WAV; VLC's own length is used
            capture = None if self._scratch is None else self._scratch / "playing.wav"
            try:
                self._play_item(path, volume, on_playing, expected, capture)
                if capture is not None:
                    self._keep_capture(capture, path)
            finally:
                if capture is not None:
                    capture.unlink(missing_ok=True)
            return time.monotonic() - begun

    # --- one item ----------------------------------------------------------------------------

    def _play_item(
        self,
        path: Path,
        volume: int,
        on_playing: Callable[[], None] | None,
        expected: float | None,
        capture: Path | None,
    ) -> None:
        vlc = self._vlc
        item = _Item()
        media = self._instance.media_new_path(str(path))
        if capture is not None:
            media.add_option(f':sout=#duplicate{{dst=display,dst="{_CAPTURE % capture}"}}')
        player = self._instance.media_player_new()
        events = player.event_manager()
        handlers = (
            (vlc.EventType.MediaPlayerPlaying, item.on_playing),
            (vlc.EventType.MediaPlayerEndReached, item.on_end),
            (vlc.EventType.MediaPlayerEncounteredError, item.on_error),
        )
        for kind, handler in handlers:
            events.event_attach(kind, handler)
        try:
            player.set_media(media)
            player.audio_set_volume(volume)
            if player.play() != 0:
                raise AudioError(f"VLC refused to play {path}")
            self._wait(path, player, item, volume, on_playing, expected)
        finally:
            player.stop()  # synchronous in libvlc 3: the capture file is closed after it
            for kind, _handler in handlers:
                events.event_detach(kind)
            player.release()
            media.release()

    def _wait(
        self,
        path: Path,
        player: Any,
        item: _Item,
        volume: int,
        on_playing: Callable[[], None] | None,
        expected: float | None,
    ) -> None:
        started = item.playing.wait(_START_TIMEOUT)
        if item.error:
            raise AudioError(f"VLC cannot play {path} (missing or unreadable)")
        if not started:
            raise AudioError(f"VLC did not start playing {path} within {_START_TIMEOUT:.0f} s")
        # Some outputs take the volume only once they are open: set it again now.
        player.audio_set_volume(volume)
        if on_playing is not None:
            try:
                on_playing()
            except Exception:
                log.exception("on_playing failed while %s started; playing on", path)
        length = expected or 0.0
        while not item.finished.wait(0.05):
            if self._cut.is_set():
                return
            if expected is None:  # not a WAV: VLC's length, known once it has read the file
                length = max(length, player.get_length() / 1000)
            if time.monotonic() > item.started_at + length + _END_SLACK:
                raise AudioError(
                    f"VLC was still playing {path} {_END_SLACK:.0f} s after its end ({length:.1f} s)"
                )
        if item.error:
            raise AudioError(f"VLC could not play {path} to the end (decoding error)")
        if expected is None:
            length = max(length, player.get_length() / 1000)
            if length <= 0:
                raise AudioError(f"VLC cannot play {path}: it found no sound in it")
        # The null and file outputs report the end before the real end: wait out the rest.
        remaining = item.started_at + length - time.monotonic()
        if remaining > 0:
            self._cut.wait(remaining)

    # --- capture -----------------------------------------------------------------------------

    def _keep_capture(self, capture: Path, path: Path) -> None:
        if not capture.is_file():
            raise AudioError(f"VLC played {path} but wrote no capture")
        assert self.capture_dir is not None
        self._captured += 1
        kept = self.capture_dir / f"{self._captured:04d}-{path.stem}.wav"
        try:
            os.replace(capture, kept)
        except OSError:  # another file system: copied beside it first, so it appears whole
            partial = kept.with_name(f".{kept.name}.tmp")
            shutil.copyfile(capture, partial)
            os.replace(partial, kept)
        log.debug("kept what was played of %s as %s", path, kept)


def _wav_duration(path: Path) -> float | None:
    """The file's duration if it is a WAV; ``AudioError`` if there is no such file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise AudioError(f"cannot play {path}: no such file") from exc
    except OSError as exc:
        raise AudioError(f"cannot play {path}: {exc}") from exc
    try:
        return wav.duration(data)
    except ValueError:
        return None


def _scratch_dir() -> Path:
    """A private folder whose path VLC's stream-output syntax takes without quoting."""
    for base in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        if _PLAIN_PATH.fullmatch(base) and os.path.isdir(base):
            return Path(tempfile.mkdtemp(prefix="hallq-capture-", dir=base))
    raise AudioError("no temporary folder with a plain path for VLC's capture")


def _last_number(folder: Path) -> int:
    """The highest ``NNNN-`` prefix in the folder, so a new player numbers on after it."""
    numbers = [int(p.name[:4]) for p in folder.glob("[0-9][0-9][0-9][0-9]-*.wav")]
    return max(numbers, default=0)
