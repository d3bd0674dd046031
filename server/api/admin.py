"""Administration of the hall."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from hallq.server.api.schemas import ERRORS

tag = Tag(name="admin", description="Administration of the hall")
bp = APIBlueprint(
    "admin", __name__, abp_tags=[tag], abp_security=[{"bearer": []}], abp_responses=ERRORS
)
