"""Dependencies of the scoring routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from common.events.models import MAX_ID
from scoring.service import ScoringService


def get_service(request: Request) -> ScoringService:
    """The use cases built in ``create_app``."""
    service: ScoringService = request.app.state.scoring
    return service


ServiceDep = Annotated[ScoringService, Depends(get_service)]
SessionId = Annotated[
    str, Path(min_length=1, max_length=MAX_ID, description="The session the feedback is about.")
]
