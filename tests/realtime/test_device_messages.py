"""``device.updated`` reaches the device's own screens and the supervisors' and admins' sockets,
never another device's or a clerk's."""

from __future__ import annotations

from flask import Flask

from hallq.server import wire
from tests.realtime.conftest import connect, login, named
from tests.support.hall import Hall


def test_a_kiosk_out_of_paper_is_heard_by_the_supervisors_not_by_other_screens(
    app: Flask, hall: Hall
) -> None:
    http = app.test_client()
    supervisor = connect(app, login(http, "supervisor")["Authorization"].split()[1])
    admin = connect(app, login(http, "admin")["Authorization"].split()[1])
    clerk = connect(app, login(http, "clerk1")["Authorization"].split()[1])
    board = connect(app, hall.tokens["display-a"])
    other_kiosk = connect(app, hall.tokens["kiosk-2"])
    screen = connect(app, hall.tokens["kiosk-1"])
    agent = connect(app, hall.tokens["kiosk-1"], agent=True)

    answer = agent.emit(
        wire.DEVICE_STATUS,
        {"status": "paper_out", "detail": "cover open"},
        namespace=wire.NAMESPACE,
        callback=True,
    )

    assert answer["ok"] is True
    told = {
        "name": "kiosk-1",
        "kind": "kiosk",
        "status": {"status": "paper_out", "detail": "cover open"},
    }
    assert named(supervisor, wire.DEVICE_UPDATED) == [told]
    assert named(admin, wire.DEVICE_UPDATED) == [told]
    assert named(screen, wire.DEVICE_UPDATED) == [told]
    assert named(clerk, wire.DEVICE_UPDATED) == []
    assert named(board, wire.DEVICE_UPDATED) == []
    assert named(other_kiosk, wire.DEVICE_UPDATED) == []
