"""``hallq announcer`` (a process of its own) against ``hallq serve``: a call-next in its zone
is said through VLC's null output and kept as a WAV (as the demo keeps it on a machine with no
sound card); another zone's call is not; the server hears the speakers are fine, and that they
are gone when the announcer stops."""

from __future__ import annotations

import time
from pathlib import Path

from hallq.drivers.audio import wav
from hallq.drivers.audio.chime import chime_path
from tests.e2e.conftest import Api, prepare_hall, wait_until
from tests.support.server import hallq_argv


def test_a_call_of_its_zone_is_said_and_kept(
    sqlite_url, start_server, api, server_factory, tmp_path: Path
) -> None:
    hall = prepare_hall(sqlite_url)
    server = start_server(sqlite_url)
    kept = tmp_path / "kept"
    announcer = server_factory(
        hallq_argv(
            "announcer",
            "--server",
            server.url,
            "--output",
            "dummy",
            "--keep",
            str(kept),
            "--cache",
            str(tmp_path / "speech"),
        ),
        env={"HALLQ_DEVICE_TOKEN": hall.tokens["display-a"]},  # zone A
        ready_path=None,
    )
    board: Api = api(server, hall.tokens["display-a"])

    def status() -> str:
        return (board.get("/api/v1/devices/me").body["status"] or {}).get("status", "")

    wait_until("the announcer's report", lambda: status() == "ok", timeout=30)
    kiosk: Api = api(server, hall.tokens["kiosk-1"])
    for service in ("property-transfer", "vehicle-transfer"):
        assert kiosk.post("/api/v1/tickets", {"service": service}).status == 201
    # Window 1 is in zone A; window 4 in zone B: only the first is said here.
    for window in (4, 1):
        clerk = api(server, api(server).login(f"clerk{window}"))
        assert clerk.post(f"/api/v1/counters/{window}/open").status == 200
        called = clerk.post(f"/api/v1/counters/{window}/call-next")
        assert called.status == 200, called.body
    (sound,) = wait_until("the announcement", lambda: list(kept.glob("*.wav")), timeout=40)
    data = sound.read_bytes()
    chime = wav.duration(chime_path().read_bytes())
    # The chime, then Cantonese, Mandarin and English: each phrase over a second.
    assert wav.duration(data) > chime + 3 * 1.0
    assert wav.rms(data) > 0.02
    log = announcer.log_text()
    assert "announced A001 → window 1" in log
    time.sleep(1.0)
    assert len(list(kept.glob("*.wav"))) == 1  # the zone B call was not said here
    assert "→ window 4" not in announcer.log_text()
    announcer.stop()
    wait_until("the announcer gone", lambda: status() == "offline", timeout=10)
