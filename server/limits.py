"""Sign-in rate limits, against password guessing (the ``limits`` library, which
Flask-Limiter is built on, called only where it matters: the hall's devices issue and
call at full speed without paying for a limit check on every request).

Failed sign-ins are counted twice: per address and user name (one clerk's typos lock out
only that clerk, for a minute), and per address whatever the name (a flood under made-up
names is refused before it costs a password check each). A hall's windows may share one
address behind a router, so the per-address limit is the larger one.
"""

from __future__ import annotations

import logging
import time

from flask import Flask
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

PER_NAME = "10/minute;100/hour"
PER_ADDRESS = "30/minute;300/hour"


class SignInLimits:
    """Counts failed sign-ins; refuses an address or a name that reached its limit."""

    def __init__(
        self,
        storage_uri: str,
        prefix: str,
        per_name: str = PER_NAME,
        per_address: str = PER_ADDRESS,
    ) -> None:
        # Several server processes share their counts through Redis; halls (and test runs)
        # sharing one Redis keep them apart by prefix.
        options = {"key_prefix": f"{prefix}:limits"} if storage_uri.startswith("redis") else {}
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri, **options))
        # When the shared store is unreachable, counting goes on in this process alone.
        self._fallback = MovingWindowRateLimiter(MemoryStorage())
        self._per_name = parse_many(per_name)
        self._per_address = parse_many(per_address)
        self._store_down = False  # said once per outage in the log

    def _checks(self, address: str, username: str) -> list[tuple[RateLimitItem, str]]:
        name_key = f"{address}:{username}"[:200]
        return [(rule, f"name:{name_key}") for rule in self._per_name] + [
            (rule, f"address:{address}"[:200]) for rule in self._per_address
        ]

    def retry_after(self, address: str, username: str) -> int | None:
        """Seconds to wait before trying again, or None when an attempt is allowed now."""
        for rule, key in self._checks(address, username):
            try:
                allowed = self._limiter.test(rule, "sign-in", key)
                limiter = self._limiter
                if self._store_down:
                    self._store_down = False
                    log.warning("the sign-in limits' store answers again")
            except Exception:
                if not self._store_down:
                    self._store_down = True
                    log.warning("the sign-in limits' store is unreachable: counting locally")
                allowed = self._fallback.test(rule, "sign-in", key)
                limiter = self._fallback
            if not allowed:
                reset = limiter.get_window_stats(rule, "sign-in", key).reset_time
                return max(int(reset - time.time()) + 1, 1)
        return None

    def failed(self, address: str, username: str) -> None:
        for rule, key in self._checks(address, username):
            try:
                self._limiter.hit(rule, "sign-in", key)
            except Exception:
                self._fallback.hit(rule, "sign-in", key)


def init_limits(app: Flask) -> SignInLimits:
    limits = SignInLimits(
        app.config.get("HALLQ_REDIS_URL") or "memory://",
        app.config.get("HALLQ_REDIS_PREFIX", "hallq"),
    )
    app.extensions["hallq_sign_in_limits"] = limits
    return limits
