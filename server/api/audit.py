"""The event log, searchable."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from hallq.server.api.schemas import ERRORS

tag = Tag(name="audit", description="The event log, searchable")
bp = APIBlueprint(
    "audit", __name__, abp_tags=[tag], abp_security=[{"bearer": []}], abp_responses=ERRORS
)
