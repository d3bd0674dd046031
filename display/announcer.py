"""The announcer: a small program beside the lobby's speakers that says every call.

For each ``ticket.called`` of its zone (a recall too) it plays one sound: the chime, then the
call in each of the hall's spoken languages in order (``languages`` of the call, from the hall
file's ``announce``), e.g. Cantonese, Mandarin, English, repeated ``repeat`` times. Calls go
through one queue and one player, so two announcements never overlap, and they keep their
order.

- Phrases are synthesised once and kept (``SpeechCache`` under ``HALLQ_DATA_DIR/speech/``); the
  joined sound of a call is kept too, so a recall starts at once.
- A call older than ``max_age`` when its turn comes (the speakers were busy, or the announcer
  was away) is dropped with a log line: a hall does not want yesterday's number.
- In quiet hours (the hall's local time) nothing is played; the boards still show the call.
- A speech or audio error is reported to the server as the device's status and logged; the
  announcement is skipped (or said without the language that failed) and the next one plays.
- After a reconnect the snapshot's recent calls that were never heard are announced (if not
  too old): a network blip does not lose a call. Calls made before the announcer first
  joined are history: a restarted announcer does not say again what was said before.

It joins the server as its display device's *agent* (``auth.agent``): the device is reported
offline when the announcer stops.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import logging
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hallq.display import phrases
from hallq.drivers.audio import AudioError, Player, wav
from hallq.drivers.audio.chime import chime_path
from hallq.drivers.speech import SpeechCache, SpeechEngine, SpeechError
from hallq.server import wire
from hallq.server.agent_socket import agent_client, connect_until_stopped, hang_up

log = logging.getLogger(__name__)

HEARD_KEPT = 500  # calls remembered, so that a snapshot after a reconnect is not said twice


@dataclass(frozen=True)
class Settings:
    zone: str | None = None  # None: the device's own zone (or every zone, for a hall display)
    repeat: int = 1  # times the phrases are said after one chime
    volume: int = 100  # 0..100
    quiet_hours: tuple[dt.time, dt.time] | None = None  # (from, to) in the hall's local time
    max_age: float = 60.0  # seconds: an older call is not announced any more
    gap: float = 0.35  # seconds of silence between the chime and each phrase
    answer_timeout: float = 5.0


def parse_quiet_hours(text: str) -> tuple[dt.time, dt.time]:
    """``"22:00-07:30"`` → (22:00, 07:30); across midnight when ``from`` > ``to``."""
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"quiet hours are HH:MM-HH:MM, e.g. 22:00-07:30, not {text!r}") from None
    return start, end


def in_quiet_hours(hours: tuple[dt.time, dt.time] | None, local: dt.datetime) -> bool:
    if hours is None:
        return False
    start, end = hours
    now = local.time()
    return start <= now < end if start <= end else (now >= start or now < end)


@dataclass
class Announcement:
    call: dict[str, Any]  # wire.CallPayload
    received: float  # monotonic time it came
    age_at_receipt: float = 0.0  # seconds since the call when it came (a replayed call)


@dataclass
class Played:
    """One announcement played: for the logs and the benchmark."""

    number: str
    window: int
    recall: bool
    waited: float  # seconds from receipt to the sound starting
    built: float  # seconds to synthesise (when not cached) and join
    cached: bool


@dataclass
class Stats:
    played: collections.deque[Played] = field(
        default_factory=lambda: collections.deque(maxlen=1000)
    )
    dropped: int = 0
    quiet: int = 0
    failed: int = 0


class Announcer:
    def __init__(
        self,
        server_url: str,
        token: str,
        engine: SpeechEngine,
        player: Player,
        cache_dir: Path,
        settings: Settings | None = None,
        *,
        chime: Path | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.token = token
        self.engine = engine
        self.player = player
        self.settings = settings or Settings()
        self.speech = SpeechCache(cache_dir, engine)
        self.calls_dir = cache_dir / "calls"
        self.calls_dir.mkdir(parents=True, exist_ok=True)
        self.chime = (chime or chime_path()).read_bytes()
        self.monotonic = monotonic
        self.stats = Stats()
        self.zone: str | None = self.settings.zone
        self.timezone: ZoneInfo | None = None
        self.hall_languages: list[str] = []
        self._queue: queue.Queue[Announcement | None] = queue.Queue()
        self._heard: collections.OrderedDict[tuple[int, int], None] = collections.OrderedDict()
        self._heard_lock = threading.Lock()
        self._snapshots = 0
        self._problem: str | None = None  # what is wrong (as last reported), if anything
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self.client = agent_client()
        self._register()

    # --- the server -----------------------------------------------------------------------

    def _register(self) -> None:
        on = self.client.on

        @on("connect", namespace=wire.NAMESPACE)
        def _connected() -> None:
            log.info("connected to %s", self.server_url)

        @on("disconnect", namespace=wire.NAMESPACE)
        def _disconnected(*_reason: Any) -> None:
            log.warning("disconnected from %s; reconnecting", self.server_url)

        @on(wire.JOINED, namespace=wire.NAMESPACE)
        def _joined(who: Any = None) -> None:
            if isinstance(who, dict):
                self._learn_hall(who.get("hall"))
                if self.settings.zone is None:
                    self.zone = who.get("zone")
            # Tell the server where the speakers stand (again, after a reconnect).
            threading.Thread(target=self._report_state, daemon=True).start()

        @on(wire.STATE, namespace=wire.NAMESPACE)
        def _state(snapshot: Any = None) -> None:
            if isinstance(snapshot, dict):
                self.catch_up(snapshot)

        @on(wire.HALL_UPDATED, namespace=wire.NAMESPACE)
        def _hall(data: Any = None) -> None:
            if isinstance(data, dict):
                self._learn_hall(data.get("hall"))

        @on(wire.TICKET_CALLED, namespace=wire.NAMESPACE)
        def _called(call: Any = None) -> None:
            if isinstance(call, dict):
                self.hear(call)

        @on(wire.SESSION_ENDED, namespace=wire.NAMESPACE)
        def _ended(why: Any = None) -> None:
            log.error("the server ended this announcer's session (%s): give it a new token", why)

    def _learn_hall(self, hall: Any) -> None:
        if not isinstance(hall, dict):
            return
        try:
            self.timezone = ZoneInfo(str(hall.get("timezone")))
        except (KeyError, ValueError):
            log.warning("unknown time zone %r: quiet hours use this machine's", hall)
        self.hall_languages = [str(lang) for lang in hall.get("languages") or []]

    def _connect(self) -> None:
        connect_until_stopped(self.client, self.server_url, self.token, self._stopped)

    # --- hearing calls ----------------------------------------------------------------------

    def _ours(self, call: dict[str, Any]) -> bool:
        return self.zone is None or call.get("zone") == self.zone

    def _first_time(self, call: dict[str, Any]) -> bool:
        key = (int(call.get("ticket_id") or 0), int(call.get("call_count") or 0))
        with self._heard_lock:
            if key in self._heard:
                return False
            self._heard[key] = None
            while len(self._heard) > HEARD_KEPT:
                self._heard.popitem(last=False)
            return True

    def hear(self, call: dict[str, Any], age: float = 0.0) -> bool:
        """A call came (``ticket.called``): queued for the speakers if it is this zone's and new.
        Returns whether it was queued."""
        if not self._ours(call) or not isinstance(call.get("number"), str):
            return False
        if not self._first_time(call):
            return False
        self._queue.put(Announcement(call, self.monotonic(), age))
        return True

    def catch_up(self, snapshot: dict[str, Any]) -> int:
        """A snapshot (on joining, or a resync): the first only marks what was already said;
        later ones queue the calls made while the announcer was away, oldest first."""
        calls = [c for c in snapshot.get("recent_calls") or [] if isinstance(c, dict)]
        self._snapshots += 1
        if self._snapshots == 1:
            for call in calls:
                self._first_time(call)
            return 0
        taken_at = _instant(snapshot.get("at"))
        queued = 0
        for call in reversed(calls):  # the snapshot lists the newest first
            made_at = _instant(call.get("at"))
            age = (taken_at - made_at).total_seconds() if taken_at and made_at else 0.0
            queued += self.hear(call, max(0.0, age))
        if queued:
            log.info("%d call(s) made while away: announcing them", queued)
        return queued

    # --- speaking ---------------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stopped.is_set():
            item = self._queue.get()
            if item is None:
                break
            try:
                self.announce(item)
            except Exception:  # never let one announcement stop the next
                self.stats.failed += 1
                log.exception("announcing %s failed", item.call.get("number"))

    def announce(self, item: Announcement) -> Played | None:
        """Say one call: dropped when too old or in quiet hours; problems reported, not raised."""
        call = item.call
        number, window = str(call["number"]), int(call.get("counter") or 0)
        age = item.age_at_receipt + (self.monotonic() - item.received)
        if age > self.settings.max_age:
            self.stats.dropped += 1
            log.warning(
                "not announcing %s → window %s: %.0f s old (max %.0f s)",
                number,
                window,
                age,
                self.settings.max_age,
            )
            return None
        local = dt.datetime.now(self.timezone) if self.timezone else dt.datetime.now()
        if in_quiet_hours(self.settings.quiet_hours, local):
            self.stats.quiet += 1
            log.info("quiet hours: not announcing %s → window %s", number, window)
            return None
        started = self.monotonic()
        path, cached, whole = self.sound_of(call)
        built = self.monotonic() - started
        if path is None:
            return None
        playing: list[float] = []
        try:
            self.player.play(
                path, self.settings.volume, on_playing=lambda: playing.append(self.monotonic())
            )
        except AudioError as exc:
            self.stats.failed += 1
            log.error("could not play %s → window %s: %s", number, window, exc)
            self._trouble("audio_error", str(exc))
            return None
        if whole:
            self._fine()
        waited = (playing[0] if playing else self.monotonic()) - item.received
        played = Played(number, window, bool(call.get("recall")), waited, built, cached)
        self.stats.played.append(played)
        log.info(
            "announced %s → window %s%s (%.0f ms after the call came)",
            number,
            window,
            " (recall)" if played.recall else "",
            waited * 1000,
        )
        return played

    def phrases_of(self, call: dict[str, Any]) -> list[tuple[str, str]]:
        """(spoken language, phrase) for each language of the call, in order."""
        said = []
        for spoken in call.get("languages") or ["yue", "cmn", "en"]:
            try:
                text = phrases.call_phrase(
                    str(call["number"]), int(call["counter"]), spoken, self.hall_languages
                )
            except ValueError as exc:
                log.warning("%s", exc)
                continue
            said.append((spoken, text))
        return said

    def sound_of(self, call: dict[str, Any]) -> tuple[Path | None, bool, bool]:
        """The call's sound (chime and phrases), built once and kept: (its file, whether it
        was already there, whether every language is in it). The file is None when no
        language could be spoken; a sound missing a language is not kept (tried again)."""
        said = self.phrases_of(call)
        key = hashlib.sha256(
            repr((self.engine.describe(), said, self.settings.repeat, self.settings.gap)).encode()
        ).hexdigest()[:24]
        path = self.calls_dir / f"{key}.wav"
        if path.exists():
            return path, True, True
        parts: list[bytes] = []
        for spoken, text in said:
            try:
                parts.append(self.speech.wav(text, spoken).read_bytes())
            except SpeechError as exc:
                # Said in the other languages rather than not at all.
                self.stats.failed += 1
                log.error("cannot say %r in %s: %s", text, spoken, exc)
                self._trouble("speech_error", f"{spoken}: {exc}")
        if not parts:
            return None, False, False
        whole = len(parts) == len(said)
        if not whole:
            path = self.calls_dir / "incomplete.wav"
        sound = wav.join([self.chime, *parts * max(1, self.settings.repeat)], gap=self.settings.gap)
        fd, tmp = tempfile.mkstemp(dir=self.calls_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(sound)
        os.replace(tmp, path)
        return path, False, whole

    # --- the device's state -----------------------------------------------------------------

    def _trouble(self, status: str, detail: str) -> None:
        if self._problem != status:
            self._problem = status
            self._send_status(status, detail)

    def _fine(self) -> None:
        if self._problem is not None:
            self._problem = None
            self._send_status("ok", self.player.describe())

    def _report_state(self) -> None:
        # ``joined`` comes before the client counts itself connected: wait for that first.
        deadline = time.monotonic() + 10
        while not self.client.connected and time.monotonic() < deadline:
            if self._stopped.wait(0.05):
                return
        self._send_status(self._problem or "ok", self.player.describe())

    def _send_status(self, status: str, detail: str) -> None:
        if not self.client.connected:
            return
        try:
            self.client.call(
                wire.DEVICE_STATUS,
                {"status": status, "detail": detail[:200]},
                namespace=wire.NAMESPACE,
                timeout=self.settings.answer_timeout,
            )
        except Exception as exc:
            log.warning("could not report %s: %s", status, exc)

    # --- life -------------------------------------------------------------------------------

    def start(self) -> Announcer:
        for target, name in ((self._connect, "announcer-connect"), (self._work, "announcer")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._queue.put(None)
        self.player.stop()  # the announcement playing ends now, not in ten seconds
        for thread in self._threads:
            thread.join(15)
        hang_up(self.client)
        self.player.close()


def _instant(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
