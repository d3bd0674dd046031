"""Follow-up cases: bad ratings and complaints."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from hallq.server.api.schemas import ERRORS

tag = Tag(name="follow-ups", description="Follow-up cases: bad ratings and complaints")
bp = APIBlueprint(
    "follow_ups", __name__, abp_tags=[tag], abp_security=[{"bearer": []}], abp_responses=ERRORS
)
