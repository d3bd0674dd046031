"""Rate limits (Flask-Limiter): against password guessing at sign-in."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# No default limit: the hall's own devices issue and call at full speed.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_limits(app: Flask) -> None:
    # Several server processes must share their counts: Redis when the hall has it.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("HALLQ_REDIS_URL") or "memory://")
    # Halls (and test runs) sharing one Redis keep their counts apart.
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config.get("HALLQ_REDIS_PREFIX", "hallq"))
    limiter.init_app(app)
