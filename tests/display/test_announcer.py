"""The announcer's own rules, without a server: one queue, in order, never overlapping, every
language after the chime; recalls said again, the same call never twice; old calls dropped,
quiet hours kept; speech and audio errors reported and never the end of the announcements."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hallq.display import phrases
from hallq.display.announcer import Announcement, Announcer, Settings, in_quiet_hours
from hallq.drivers.audio import AudioError, Player, VlcPlayer, wav
from hallq.drivers.audio.chime import chime_path
from hallq.drivers.speech import SpeechError, open_engine
from hallq.drivers.speech.base import SpeechEngine

LANGUAGES = ["yue", "cmn", "en"]
HALL_LANGUAGES = ["zh-Hant", "zh-Hans", "en"]


def call(number: str, window: int = 5, *, count: int = 1, zone: str = "A", **more: Any) -> dict:
    return {
        "ticket_id": int(number[1:]) + 1000 * (ord(number[0]) - 64),
        "number": number,
        "counter": window,
        "zone": zone,
        "service": "property-transfer",
        "call_count": count,
        "recall": count > 1,
        "languages": more.pop("languages", LANGUAGES),
        "at": more.pop("at", "2026-11-30T02:00:00+00:00"),
        **more,
    }


class Speakers(Player):
    """Records what it plays, and when; plays each sound in ``seconds``; fails as told."""

    def __init__(self, seconds: float = 0.02) -> None:
        self.seconds = seconds
        self.played: list[tuple[Path, float, float]] = []
        self.fail_next = 0
        self.done = threading.Condition()

    def play(
        self, path: Path, volume: int = 100, on_playing: Callable[[], None] | None = None
    ) -> float:
        if self.fail_next:
            self.fail_next -= 1
            raise AudioError(f"cannot play {path}: the card is gone")
        start = time.monotonic()
        if on_playing:
            on_playing()
        time.sleep(self.seconds)
        with self.done:
            self.played.append((Path(path), start, time.monotonic()))
            self.done.notify_all()
        return self.seconds

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        with self.done:
            assert self.done.wait_for(lambda: len(self.played) >= count, timeout), self.played


class Server:
    """Stands in for the Socket.IO client: connected, keeps the device statuses sent."""

    connected = True

    def __init__(self) -> None:
        self.statuses: list[str] = []

    def call(self, event: str, data: Any, **_: Any) -> Any:
        self.statuses.append(data["status"])
        return {"ok": True}

    def disconnect(self) -> None:
        self.connected = False


class Flaky(SpeechEngine):
    """espeak-ng, but failing for some languages, or for the first few phrases."""

    name = "flaky"

    def __init__(self, fail_languages: tuple[str, ...] = (), fail_first: int = 0) -> None:
        super().__init__()
        self.real = open_engine("espeak")
        self.fail_languages, self.fail_first = fail_languages, fail_first

    def synthesize(self, text: str, language: str) -> bytes:
        if self.fail_first:
            self.fail_first -= 1
            raise SpeechError("the engine crashed")
        if language in self.fail_languages:
            raise SpeechError(f"no voice for {language}")
        return self.real.synthesize(text, language)

    def describe(self) -> str:
        return f"flaky {self.fail_languages} over {self.real.describe()}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def speakers() -> Speakers:
    return Speakers()


def make(
    tmp_path: Path,
    player: Player,
    engine: SpeechEngine | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    **settings: Any,
) -> tuple[Announcer, Server]:
    announcer = Announcer(
        "http://hall.invalid",
        "hqd_x",
        engine or open_engine("espeak"),
        player,
        tmp_path / "speech",
        Settings(**settings),
        monotonic=monotonic,
    )
    announcer.hall_languages = HALL_LANGUAGES
    server = Server()
    announcer.client = server  # type: ignore[assignment]
    return announcer, server


@pytest.fixture
def running() -> Iterator[Callable[[Announcer], Announcer]]:
    """Start an announcer's queue (its speaking thread), without a server."""
    started: list[Announcer] = []

    def start(announcer: Announcer) -> Announcer:
        thread = threading.Thread(target=announcer._work, daemon=True)
        thread.start()
        announcer._threads.append(thread)
        started.append(announcer)
        return announcer

    yield start
    for announcer in started:
        announcer.stop()


def phrase_seconds(announcer: Announcer, number: str, window: int, languages: list[str]) -> float:
    return sum(
        wav.duration(
            announcer.speech.wav(
                phrases.call_phrase(number, window, spoken, HALL_LANGUAGES), spoken
            ).read_bytes()
        )
        for spoken in languages
    )


def test_the_phrase_spells_the_ticket_and_always_says_the_window() -> None:
    assert phrases.spell("A023") == "A 0 2 3"
    assert phrases.call_phrase("A023", 5, "yue", HALL_LANGUAGES) == "請 A 0 2 3 號 到 5 號窗口"
    assert phrases.call_phrase("A023", 5, "cmn", HALL_LANGUAGES) == "请 A 0 2 3 号 到 5 号窗口"
    # A hall that writes only Traditional Chinese: Mandarin reads it too.
    assert phrases.call_phrase("B1002", 12, "cmn", ["zh-Hant", "en"]) == (
        "請 B 1 0 0 2 號 到 12 號窗口"
    )
    assert phrases.call_phrase("A023", 12, "en") == "Ticket A 0 2 3, please go to window 12."
    with pytest.raises(ValueError, match="klingon"):
        phrases.call_phrase("A023", 5, "klingon")


def test_ten_calls_are_said_in_order_one_at_a_time_each_in_every_language(
    tmp_path: Path, speakers: Speakers, running: Callable[[Announcer], Announcer]
) -> None:
    announcer = running(make(tmp_path, speakers)[0])
    calls = [call(f"A{n:03d}", window=1 + n % 9) for n in range(1, 11)]
    for each in calls:
        assert announcer.hear(each)
    speakers.wait_for(10, timeout=30)
    played = speakers.played
    # Never two at once, in the order called.
    assert all(later[1] >= earlier[2] for earlier, later in itertools.pairwise(played))
    assert [p.number for p in announcer.stats.played] == [c["number"] for c in calls]
    chime = wav.duration(chime_path().read_bytes())
    for each, (path, _start, _end) in zip(calls, played, strict=True):
        sound = path.read_bytes()
        # The chime, then each language's phrase, with the gaps between.
        said = phrase_seconds(announcer, each["number"], each["counter"], LANGUAGES)
        assert wav.duration(sound) == pytest.approx(chime + said + 3 * 0.35, abs=0.01)
        assert wav.rms(sound) > 0.02
        assert said > 3 * 1.0  # real speech: each language over a second


def test_a_recall_is_said_again_the_same_call_never_twice_other_zones_never(
    tmp_path: Path, speakers: Speakers
) -> None:
    announcer, _ = make(tmp_path, speakers, zone="A")
    assert announcer.hear(call("A023"))
    assert not announcer.hear(call("A023"))  # the same call again (a replayed snapshot)
    assert announcer.hear(call("A023", count=2))  # the clerk recalled it
    assert not announcer.hear(call("B001", zone="B"))
    assert announcer._queue.qsize() == 2
    # A board of the whole hall says every zone's calls.
    everything, _ = make(tmp_path / "all", speakers)
    assert everything.hear(call("B001", zone="B"))


def test_a_call_too_old_when_its_turn_comes_is_dropped_with_a_log_line(
    tmp_path: Path, speakers: Speakers, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    announcer, _ = make(tmp_path, speakers, monotonic=clock, max_age=60)
    announcer.hear(call("A001"))
    announcer.hear(call("A002"))
    first, second = announcer._queue.get(), announcer._queue.get()
    assert first is not None and second is not None
    assert announcer.announce(first) is not None
    clock.now += 61  # the speakers were busy, or the announcer away
    with caplog.at_level(logging.WARNING):
        assert announcer.announce(second) is None
    assert announcer.stats.dropped == 1
    assert "not announcing A002 → window 5: 61 s old" in caplog.text
    assert len(speakers.played) == 1


def test_quiet_hours_say_nothing(tmp_path: Path, speakers: Speakers) -> None:
    now = dt.datetime.now()
    quiet = ((now - dt.timedelta(hours=1)).time(), (now + dt.timedelta(hours=1)).time())
    announcer, _ = make(tmp_path, speakers, quiet_hours=quiet)
    announcer.timezone = None  # this machine's time, as the hall's is not known yet
    announcer.hear(call("A001"))
    assert announcer.announce(announcer._queue.get()) is None  # type: ignore[arg-type]
    assert announcer.stats.quiet == 1 and speakers.played == []
    across_midnight = (dt.time(22, 0), dt.time(7, 30))
    assert in_quiet_hours(across_midnight, dt.datetime(2026, 11, 30, 23, 0))
    assert in_quiet_hours(across_midnight, dt.datetime(2026, 12, 1, 7, 0))
    assert not in_quiet_hours(across_midnight, dt.datetime(2026, 12, 1, 7, 30))
    assert not in_quiet_hours(None, dt.datetime(2026, 12, 1, 3, 0))


def test_a_language_the_engine_cannot_say_is_reported_and_the_others_are_said(
    tmp_path: Path, speakers: Speakers
) -> None:
    announcer, server = make(tmp_path, speakers, engine=Flaky(fail_languages=("yue",)))
    announcer.hear(call("A001"))
    played = announcer.announce(announcer._queue.get())  # type: ignore[arg-type]
    assert played is not None
    sound = speakers.played[0][0].read_bytes()
    chime = wav.duration(chime_path().read_bytes())
    said = phrase_seconds(announcer, "A001", 5, ["cmn", "en"])
    assert wav.duration(sound) == pytest.approx(chime + said + 2 * 0.35, abs=0.01)
    assert server.statuses == ["speech_error"]


def test_a_broken_engine_or_player_is_reported_and_the_next_call_is_said(
    tmp_path: Path, speakers: Speakers, running: Callable[[Announcer], Announcer]
) -> None:
    announcer, server = make(tmp_path, speakers, engine=Flaky(fail_first=3))
    running(announcer)
    announcer.hear(call("A001"))  # every language fails: nothing to say
    announcer.hear(call("A002"))
    speakers.wait_for(1)
    assert [p.number for p in announcer.stats.played] == ["A002"]
    assert server.statuses == ["speech_error", "ok"]
    # The card goes; the next call after it is said, and the server hears both.
    speakers.fail_next = 1
    announcer.hear(call("A003"))
    announcer.hear(call("A004"))
    speakers.wait_for(2)
    assert [p.number for p in announcer.stats.played] == ["A002", "A004"]
    assert server.statuses == ["speech_error", "ok", "audio_error", "ok"]


def test_calls_made_while_away_are_said_after_the_reconnect(
    tmp_path: Path, speakers: Speakers
) -> None:
    announcer, _ = make(tmp_path, speakers, max_age=60)
    said_before = call("A001", at="2026-11-30T02:00:00+00:00")
    # Joining: what the snapshot lists was said before this announcer started.
    assert (
        announcer.catch_up({"at": "2026-11-30T02:00:05+00:00", "recent_calls": [said_before]}) == 0
    )
    assert announcer._queue.qsize() == 0 == announcer.catch_up({"recent_calls": []})
    # Back after a blip: the two calls made meanwhile, oldest first; the known one not again.
    meanwhile = [
        call("A003", at="2026-11-30T02:00:40+00:00"),
        call("A002", at="2026-11-30T02:00:20+00:00"),
    ]
    snapshot = {"at": "2026-11-30T02:00:50+00:00", "recent_calls": [*meanwhile, said_before]}
    assert announcer.catch_up(snapshot) == 2
    queued = [announcer._queue.get(), announcer._queue.get()]
    assert [(q.call["number"], q.age_at_receipt) for q in queued if q] == [
        ("A002", 30.0),
        ("A003", 10.0),
    ]
    # One made long before the reconnect is queued but dropped when its turn comes.
    late = call("A004", at="2026-11-30T01:00:00+00:00")
    announcer.catch_up({"at": "2026-11-30T02:01:00+00:00", "recent_calls": [late]})
    item = announcer._queue.get()
    assert isinstance(item, Announcement) and announcer.announce(item) is None


def test_a_real_announcement_through_vlc_is_speech(tmp_path: Path) -> None:
    """The whole sound through VLC's null output, kept as the demo keeps it: real speech."""
    kept = tmp_path / "kept"
    with VlcPlayer("dummy", capture_dir=kept) as player:
        announcer, server = make(tmp_path, player)
        announcer.hear(call("A023", languages=["en"]))
        played = announcer.announce(announcer._queue.get())  # type: ignore[arg-type]
    assert played is not None and played.waited < 1.0
    (captured,) = kept.glob("*.wav")
    sound = captured.read_bytes()
    chime = wav.duration(chime_path().read_bytes())
    assert wav.duration(sound) > chime + 1.0
    assert wav.rms(sound) > 0.02
    assert server.statuses == []  # nothing wrong to report
