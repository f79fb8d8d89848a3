"""`/setup`: the conversational interview setup."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from interview_builder.api.deps import Owner, ResourceId, SetupChatsDep
from interview_builder.api.schemas import InterviewOut, SetupMessage, SetupReplyOut, SetupStart

router = APIRouter(prefix="/setup", tags=["setup"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def start_setup(
    user_id: Owner, chats: SetupChatsDep, body: SetupStart | None = None
) -> SetupReplyOut:
    """Start a setup chat; the reply asks for the first thing it needs."""
    turn = await chats.start(user_id, body.text if body is not None else None)
    return SetupReplyOut.of(turn)


@router.post("/{setup_id}/messages")
async def send_message(
    setup_id: ResourceId, body: SetupMessage, user_id: Owner, chats: SetupChatsDep
) -> SetupReplyOut:
    """Send one message; the reply says what was understood and what comes next."""
    return SetupReplyOut.of(await chats.message(user_id, setup_id, body.text))


@router.post(
    "/{setup_id}/confirm",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The setup was confirmed before; its interview."}},
)
async def confirm_setup(
    setup_id: ResourceId, user_id: Owner, chats: SetupChatsDep, response: Response
) -> InterviewOut:
    """Create the interview the chat set up (confirming again returns the same interview)."""
    interview, created = await chats.confirm(user_id, setup_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return InterviewOut.of(interview)
