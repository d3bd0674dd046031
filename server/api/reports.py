"""Ticket reports over a date range, from the event log."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from hallq.server.api.schemas import ERRORS

tag = Tag(name="reports", description="Ticket reports over a date range, from the event log")
bp = APIBlueprint(
    "reports", __name__, abp_tags=[tag], abp_security=[{"bearer": []}], abp_responses=ERRORS
)
