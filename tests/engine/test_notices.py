"""Lobby notices on SQLite and PostgreSQL: one per zone and one for the hall, replaced in one
statement, so supervisors setting the same one at once never collide."""

from __future__ import annotations

import threading

from hallq.server.queue import notices
from hallq.server.queue.events import NoticeChanged
from tests.support.hall import FakeClock, Hall


def _set(hall: Hall, clock: FakeClock, zone: str | None, text: dict[str, str]) -> list:
    with hall.db.writing() as s:
        done = notices.set_notice(s, hall.context, hall.supervisor(), zone, text, clock())
    (event,) = done.events
    assert isinstance(event, NoticeChanged) and list(event.notices) == done.notices
    return done.notices


def test_one_notice_per_zone_replaced_and_cleared(hall: Hall, clock: FakeClock) -> None:
    _set(hall, clock, None, {"en": "Welcome"})
    _set(hall, clock, "A", {"zh-Hant": "甲區今日提早關閉"})
    listed = _set(hall, clock, None, {"en": "Welcome back"})
    assert [(n["zone"], n["text"]) for n in listed] == [
        (None, {"en": "Welcome back"}),
        ("A", {"zh-Hant": "甲區今日提早關閉"}),
    ]
    assert _set(hall, clock, "A", {}) == listed[:1]
    assert _set(hall, clock, None, {"en": ""}) == []


def test_supervisors_setting_the_same_notice_at_once_never_collide(
    hall: Hall, clock: FakeClock
) -> None:
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        start.wait()
        try:
            _set(hall, clock, "A", {"en": f"notice {n}"})
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    with hall.db.reading() as s:
        (only,) = notices.notices(s, hall.context.id)
    assert only["zone"] == "A" and only["text"]["en"].startswith("notice ")
