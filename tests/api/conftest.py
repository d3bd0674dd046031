"""Fixtures of the REST API suite: a ready hall in a SQLite file of the test's own, the app on a
fake clock, a test client, and helpers to call the API as a given user or device.

The sample hall (demo hours: every service open all day, no daily cap) is built once per session
with a login token for every user; each test works on its own copy of that database, so tests do
not pay for migrations and argon2 on every run. Tests that need another hall (real opening hours,
a daily cap) build one with ``make_hall``.

Helpers:
- ``assert_error(response, status, code)``: the wire contract's error shape, a 4xx status, and a
  message in the expected language (Chinese by default).
- ``Api``: ``api.get/post(path, who=...)`` where ``who`` is a device name (``kiosk-1``,
  ``counter-3``, ``display-a``), a user name (``clerk1``, ``supervisor``, ``admin``), a raw
  token, or None for no token.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hallq.server.app import create_app
from hallq.server.auth import LOGIN_LIFETIME, USER_PREFIX, new_token, token_hash
from hallq.server.hall_file import HallConfig
from hallq.server.models import LoginToken
from hallq.server.queue.hall import HallContext
from tests.support.hall import PASSWORD, FakeClock, build_hall

# Wednesday 5 March 2025, 10:00 in Hong Kong (the sample hall's time zone): a working morning.
BASE = dt.datetime(2025, 3, 5, 2, 0, tzinfo=dt.UTC)
API = "/api/v1"
DB_FILE = "hallq.sqlite3"

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


# --- the error shape -------------------------------------------------------------------------


# What the design's table promises in the answer to an issue.
ISSUED_FIELDS = {
    "id",
    "number",
    "service",
    "status",
    "position",
    "eta_minutes",
    "issued_at",
    "status_url",
}


def assert_error(
    response: Any, status: int, code: str | None = None, *, lang: str = "zh-Hant"
) -> dict[str, Any]:
    """The response is a refusal of the wire contract: a 4xx status, JSON
    ``{"error": {"code": str, "message": str}}``, with the given code, and a message in
    ``lang`` (zh-Hant: it has Chinese characters; en: it has none). Returns the error object."""
    body_text = response.get_data(as_text=True)
    assert response.status_code == status, f"{response.status_code} != {status}: {body_text[:500]}"
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/json", body_text[:200]
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"].strip(), body
    if code is not None:
        assert error["code"] == code, body
    if lang.startswith("zh"):
        assert CJK.search(error["message"]), f"not in Chinese: {error['message']!r}"
    elif lang == "en":
        assert not CJK.search(error["message"]), f"not in English: {error['message']!r}"
    if status == 401:
        assert response.headers.get("WWW-Authenticate", "").lower().startswith("bearer")
    return error


# --- halls -----------------------------------------------------------------------------------


@dataclass
class HallInfo:
    """What a test knows about its hall: ids, device tokens and users' login tokens."""

    url: str
    path: Path
    context: HallContext
    config: HallConfig
    users: dict[str, int]
    devices: dict[str, int]
    tokens: dict[str, str]  # device name -> token
    user_tokens: dict[str, str] = field(default_factory=dict)  # user name -> login token

    def service(self, code: str) -> Any:
        return self.config.service(code)


def login_tokens(url: str, users: dict[str, int], now: dt.datetime) -> dict[str, str]:
    """A login token for every user, made as a sign-in makes one (without paying argon2 for
    each: the sign-in itself is tested through the API)."""
    from hallq.server.db import Database

    database = Database(url)
    tokens = {}
    with database.writing() as session:
        for name, user_id in users.items():
            token = new_token(USER_PREFIX)
            session.add(
                LoginToken(
                    user_id=user_id,
                    token_hash=token_hash(token),
                    created_at=now,
                    expires_at=now + LOGIN_LIFETIME,
                )
            )
            tokens[name] = token
    database.dispose()
    return tokens


def _new_hall(
    path: Path, *, demo: bool = True, config: HallConfig | None = None, logins: bool = True
) -> HallInfo:
    url = f"sqlite:///{path}"
    hall = build_hall(url, demo=demo, config=config)
    hall.db.dispose()
    return HallInfo(
        url=url,
        path=path,
        context=hall.context,
        config=hall.config,
        users=dict(hall.users),
        devices=dict(hall.devices),
        tokens=dict(hall.tokens),
        user_tokens=login_tokens(url, hall.users, BASE) if logins else {},
    )


@pytest.fixture(scope="session")
def hall_template(tmp_path_factory: pytest.TempPathFactory) -> HallInfo:
    """The demo sample hall with users, device tokens and login tokens, built once."""
    return _new_hall(tmp_path_factory.mktemp("hall-template") / DB_FILE)


def _copy_database(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


@pytest.fixture
def hall(hall_template: HallInfo, tmp_path: Path) -> HallInfo:
    """This test's own copy of the demo hall."""
    path = tmp_path / DB_FILE
    _copy_database(hall_template.path, path)
    return HallInfo(
        url=f"sqlite:///{path}",
        path=path,
        context=hall_template.context,
        config=hall_template.config,
        users=dict(hall_template.users),
        devices=dict(hall_template.devices),
        tokens=dict(hall_template.tokens),
        user_tokens=dict(hall_template.user_tokens),
    )


@pytest.fixture
def make_hall(tmp_path: Path) -> Callable[..., HallInfo]:
    """``make_hall(demo=False, config=None, logins=False)``: another hall, in a file of this
    test's own (login tokens, made at ``BASE``, only when asked)."""
    made = 0

    def make(
        *, demo: bool = True, config: HallConfig | None = None, logins: bool = False
    ) -> HallInfo:
        nonlocal made
        made += 1
        folder = tmp_path / f"hall-{made}"
        folder.mkdir()
        return _new_hall(folder / DB_FILE, demo=demo, config=config, logins=logins)

    return make


# --- the app ---------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(BASE)


def build_app(info: HallInfo, clock: FakeClock) -> Flask:
    app = create_app(
        {
            "HALLQ_DATABASE_URL": info.url,
            "HALLQ_DATA_DIR": str(info.path.parent),
            "HALLQ_CLOCK": clock,
            "TESTING": True,
        }
    )
    return app


@pytest.fixture
def app(hall: HallInfo, clock: FakeClock) -> Iterator[Flask]:
    application = build_app(hall, clock)
    yield application
    application.extensions["hallq"].db.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Api:
    """Calls the API as someone: ``who`` is a device name, a user name, a token or None."""

    def __init__(self, client: FlaskClient, hall: HallInfo) -> None:
        self.client = client
        self.hall = hall

    # -- who ----------------------------------------------------------------------------

    def token(self, who: str) -> str:
        if who in self.hall.tokens:
            return self.hall.tokens[who]
        if who in self.hall.user_tokens:
            return self.hall.user_tokens[who]
        return who  # a raw token

    def headers(self, who: str | None, headers: dict[str, str] | None = None) -> dict[str, str]:
        out = dict(headers or {})
        if who is not None:
            out["Authorization"] = f"Bearer {self.token(who)}"
        return out

    # -- requests -----------------------------------------------------------------------

    def request(self, method: str, path: str, who: str | None = None, **kwargs: Any) -> Any:
        kwargs["headers"] = self.headers(who, kwargs.get("headers"))
        url = path if path.startswith("/api/") or path.startswith("/t/") else API + path
        return self.client.open(url, method=method, **kwargs)

    def get(self, path: str, who: str | None = None, **kwargs: Any) -> Any:
        return self.request("GET", path, who, **kwargs)

    def post(self, path: str, who: str | None = None, **kwargs: Any) -> Any:
        return self.request("POST", path, who, **kwargs)

    def put(self, path: str, who: str | None = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, who, **kwargs)

    def login(self, username: str, password: str = PASSWORD, **kwargs: Any) -> Any:
        return self.post("/auth/login", json={"username": username, "password": password}, **kwargs)

    def login_token(self, username: str, password: str = PASSWORD) -> str:
        response = self.login(username, password)
        assert response.status_code == 200, response.get_data(as_text=True)
        return str(response.get_json()["token"])

    # -- steps that must succeed --------------------------------------------------------

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, (
            f"{response.status_code} != {status}: {response.get_data(as_text=True)[:500]}"
        )
        return response.get_json() if status != 204 else None

    def issue(self, service: str, who: str = "kiosk-1", **body: Any) -> dict[str, Any]:
        if body.get("priority") == "priority":
            body.setdefault("reason", "elderly customer")  # staff say why they grant it
        return self.ok(self.post("/tickets", who, json={"service": service, **body}), 201)  # type: ignore[no-any-return]

    def ticket(self, ticket_id: int, who: str = "supervisor") -> dict[str, Any]:
        return self.ok(self.get(f"/tickets/{ticket_id}", who))  # type: ignore[no-any-return]

    def open(self, n: int, who: str | None = None) -> dict[str, Any]:
        return self.ok(self.post(f"/counters/{n}/open", who or f"clerk{n}"))  # type: ignore[no-any-return]

    def act(self, n: int, move: str, who: str | None = None, **kwargs: Any) -> Any:
        return self.post(f"/counters/{n}/{move}", who or f"clerk{n}", **kwargs)

    def call(self, n: int, who: str | None = None) -> dict[str, Any]:
        return self.ok(self.act(n, "call-next", who))  # type: ignore[no-any-return]

    def counter(self, n: int) -> dict[str, Any]:
        counters = self.ok(self.get("/counters", "display-a"))["counters"]
        return next(c for c in counters if c["number"] == n)  # type: ignore[no-any-return]

    def service(self, code: str) -> dict[str, Any]:
        services = self.ok(self.get("/services", "display-a"))["services"]
        return next(s for s in services if s["code"] == code)  # type: ignore[no-any-return]


@pytest.fixture
def api(client: FlaskClient, hall: HallInfo) -> Api:
    return Api(client, hall)
