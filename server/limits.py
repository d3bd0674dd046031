"""Sign-in rate limits, against password guessing (the ``limits`` library, which
Flask-Limiter is built on, called only where it matters: the hall's devices issue and
call at full speed without paying for a limit check on every request)."""

from __future__ import annotations

import time

from flask import Flask
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

SIGN_IN_LIMITS = "10/minute;100/hour"


class SignInLimits:
    """Counts failed sign-ins per address and user name; refuses when a limit is reached."""

    def __init__(self, storage_uri: str, prefix: str, rules: str = SIGN_IN_LIMITS) -> None:
        # Several server processes share their counts through Redis; halls (and test runs)
        # sharing one Redis keep them apart by prefix.
        options = {"key_prefix": f"{prefix}:limits"} if storage_uri.startswith("redis") else {}
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri, **options))
        self._rules = parse_many(rules)

    def retry_after(self, key: str) -> int | None:
        """Seconds to wait before trying again, or None when an attempt is allowed now."""
        for rule in self._rules:
            if not self._limiter.test(rule, "sign-in", key):
                reset = self._limiter.get_window_stats(rule, "sign-in", key).reset_time
                return max(int(reset - time.time()) + 1, 1)
        return None

    def failed(self, key: str) -> None:
        for rule in self._rules:
            self._limiter.hit(rule, "sign-in", key)


def init_limits(app: Flask) -> SignInLimits:
    limits = SignInLimits(
        app.config.get("HALLQ_REDIS_URL") or "memory://",
        app.config.get("HALLQ_REDIS_PREFIX", "hallq"),
    )
    app.extensions["hallq_sign_in_limits"] = limits
    return limits
