"""The lobby's voice: a call → the announcement playing, and what synthesis costs.

The demo set-up: ``hallq serve`` on the sample hall (announcements in Cantonese, Mandarin and
English), and the announcer (``display.announcer.Announcer``, in this process, with the
display-lobby token) speaking with espeak-ng through VLC's null output (no sound card here).

(a) synthesis: ``EspeakEngine.synthesize`` of the call's phrase, per language, for new
    numbers (no cache);
(b) ``ticket.called`` → VLC playing: from the event reaching the announcer to VLC saying it
    plays, for a new number (its phrases synthesised, then joined with the chime: "not
    cached") and for the recall of the same ticket (the joined sound kept: "cached");
(c) call-next → VLC playing: the same, from the clerk's request being sent.
Each announcement is cut short once playing (``Player.stop``), so the next starts with an
empty queue: the figures are the time to start speaking, not the queue.

    .venv/bin/python bench/announcer.py [--calls 50] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    API,
    DB_CHOICES,
    Http,
    clerk_at_window,
    hall_server,
    ms,
    percentile,
    print_setup,
    print_table,
)

from hallq.display import phrases
from hallq.display.announcer import Announcer, Settings
from hallq.drivers.audio import Player, VlcPlayer
from hallq.drivers.speech import open_engine

LANGUAGES = ("yue", "cmn", "en")
HALL_LANGUAGES = ("zh-Hant", "zh-Hans", "en")


class CutShort(Player):
    """VLC's null output, each sound stopped soon after it starts; notes when it started."""

    def __init__(self) -> None:
        self.vlc = VlcPlayer("dummy")
        self.started: list[float] = []
        self.playing = threading.Event()

    def play(
        self, path: Path, volume: int = 100, on_playing: Callable[[], None] | None = None
    ) -> float:
        def started() -> None:
            self.started.append(time.perf_counter())
            if on_playing is not None:
                on_playing()
            threading.Timer(0.05, self.vlc.stop).start()
            self.playing.set()

        return self.vlc.play(path, volume, on_playing=started)

    def describe(self) -> str:
        return self.vlc.describe() + ", each sound cut short once playing"

    def close(self) -> None:
        self.vlc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=DB_CHOICES, default="sqlite")
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    engine = open_engine("espeak")
    print_setup(
        "the announcer: a call → VLC playing, and synthesis",
        database=args.db,
        speech=engine.describe(),
        languages=", ".join(LANGUAGES),
    )

    synthesis: dict[str, list[float]] = {spoken: [] for spoken in LANGUAGES}
    for n in range(args.calls):
        for spoken in LANGUAGES:
            text = phrases.call_phrase(f"S{n:03d}", 1 + n % 9, spoken, HALL_LANGUAGES)
            t0 = time.perf_counter()
            engine.synthesize(text, spoken)
            synthesis[spoken].append((time.perf_counter() - t0) * 1000)

    work = Path(tempfile.mkdtemp(prefix="hallq-bench-announcer-"))
    player = CutShort()
    with hall_server(args.db) as setup:
        announcer = Announcer(
            setup.url,
            setup.hall.tokens["display-lobby"],
            engine,
            player,
            work / "speech",
            Settings(max_age=600),
        ).start()
        try:
            deadline = time.monotonic() + 20
            while not announcer.client.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            kiosk = Http(setup.url, setup.hall.tokens["kiosk-1"])
            clerk = clerk_at_window(setup.url, 1)
            first_call: list[float] = []  # call-next sent → playing, new number
            recall: list[float] = []  # recall sent → playing, the same sound kept
            for _ in range(args.calls):
                kiosk.json("POST", f"{API}/tickets", {"service": "property-transfer"}, (201,))
                for action, into in (("call-next", first_call), ("recall", recall)):
                    player.playing.clear()
                    t0 = time.perf_counter()
                    clerk.json("POST", f"{API}/counters/1/{action}", {})
                    if not player.playing.wait(20):
                        raise RuntimeError(f"the {action} was not announced")
                    into.append((player.started[-1] - t0) * 1000)
                    time.sleep(0.15)  # the cut-short sound ends, the queue is empty again
                clerk.json("POST", f"{API}/counters/1/start", {})
                clerk.json("POST", f"{API}/counters/1/finish", {})
            kiosk.close()
            clerk.close()
        finally:
            announcer.stop()
    played = list(announcer.stats.played)
    fresh = [p.waited * 1000 for p in played if not p.cached]
    kept = [p.waited * 1000 for p in played if p.cached]
    built = [p.built * 1000 for p in played if not p.cached]

    def row(name: str, values: list[float]) -> list[str]:
        figures = [ms(percentile(values, p)) for p in (50, 90, 99)]
        return [name, str(len(values)), *figures, ms(max(values))]

    print_table(
        ["measure", "n", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        [
            *(row(f"synthesis, {spoken} phrase", v) for spoken, v in synthesis.items()),
            row("ticket.called → playing, not cached", fresh),
            row("  of which synthesis + join", built),
            row("ticket.called → playing, cached (recall)", kept),
            row("call-next sent → playing, not cached", first_call),
            row("recall sent → playing, cached", recall),
        ],
    )
    print("  target: ticket.called → playing p99 <= 300 ms with the phrase cached.")


if __name__ == "__main__":
    main()
