"""A bare Flask-SocketIO app: the baseline ``fanout.py`` measures HallQ against.

Run by gunicorn with one gevent worker, as ``hallq serve`` runs HallQ:

    gunicorn -k gevent -w 1 --chdir bench _bare_app:app

Clients join the namespace ``/hall`` (any ``auth``) and with it the room ``hall``;
``POST /emit {"event": …, "data": …}`` sends that event to the room, then answers.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_socketio import SocketIO, join_room

NAMESPACE = "/hall"
ROOM = "hall"

app = Flask(__name__)
socketio = SocketIO(
    app, async_mode="gevent", cors_allowed_origins=[], logger=False, engineio_logger=False
)


@app.get("/healthz")
def healthz() -> Any:
    return {"ok": True}


@app.post("/emit")
def emit() -> Any:
    body = request.get_json(force=True)
    socketio.emit(body["event"], body["data"], to=ROOM, namespace=NAMESPACE)
    return {"ok": True}


@socketio.on("connect", namespace=NAMESPACE)
def connect(auth: Any = None) -> bool:
    join_room(ROOM)
    return True
