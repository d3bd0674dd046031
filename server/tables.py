"""The models' Core tables, for the hot paths (issue, call-next, sign-in look-ups).

Statements on these skip the ORM's per-statement work (entity loading, bulk-persistence
bookkeeping), which measured here as most of a request's CPU time. Statements that run on
every request are built once, at import, with bind parameters.
"""

from __future__ import annotations

from sqlalchemy import Table

from hallq.server import models


def _table(model: type[models.Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


HALLS = _table(models.Hall)
ZONES = _table(models.Zone)
SERVICES = _table(models.Service)
COUNTERS = _table(models.Counter)
USERS = _table(models.User)
LOGIN_TOKENS = _table(models.LoginToken)
DEVICES = _table(models.Device)
DAY_COUNTERS = _table(models.DayCounter)
TICKETS = _table(models.Ticket)
EVENTS = _table(models.Event)
RATINGS = _table(models.Rating)
FOLLOW_UPS = _table(models.FollowUp)
IDEMPOTENCY_KEYS = _table(models.IdempotencyKey)
DEVICE_COMMANDS = _table(models.DeviceCommand)
APPOINTMENTS = _table(models.Appointment)
