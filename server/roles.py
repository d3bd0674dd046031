"""Who signs in and what connects: the names the rest of HallQ checks against. Kept apart
from ``auth.py`` (argon2, the database) so that the ``hallq`` command can offer them as
choices without loading either."""

from __future__ import annotations

ROLES = ("admin", "supervisor", "clerk")
DEVICE_KINDS = ("kiosk", "display", "counter")
