"""Follow-ups worded by an LLM, within the conductor's policy: the subject never changes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from livekit.agents import llm

from voice_agent.domain import FollowUpReason, FollowUpRequest, acceptable_phrasing

logger = logging.getLogger(__name__)

_ASK = {
    FollowUpReason.MISSED_KEY_POINT: "ask them to say more about: {key_point}",
    FollowUpReason.SHORT_ANSWER: "ask them for more detail on their answer",
    FollowUpReason.HINT: "give a small hint towards {key_point} and ask them to try",
}


class FollowUpRewriter:
    """Asks an LLM to re-word a follow-up the policy decided on; the policy's line otherwise."""

    def __init__(self, model: llm.LLM[Any], *, timeout_s: float = 2.0) -> None:
        self.model = model
        self.timeout_s = timeout_s

    def prompt(self, request: FollowUpRequest, line: str) -> llm.ChatContext:
        """What the LLM is asked: one short spoken question on the policy's subject."""
        ask = _ASK[request.reason].format(key_point=request.key_point or "their answer")
        chat = llm.ChatContext.empty()
        chat.add_message(
            role="system",
            content=(
                "You are a friendly job interviewer speaking to a candidate. Reply with exactly "
                "one short spoken question (under 30 words), no preamble, no quotes."
            ),
        )
        chat.add_message(
            role="user",
            content=(
                f"Interview question: {request.question.text}\n"
                f"Candidate's answer so far: {request.answer_so_far or '(nothing yet)'}\n"
                f"Your task: {ask}.\n"
                f"A plain version of the line: {line}\n"
                "Write your version of the line."
            ),
        )
        return chat

    async def reword(self, request: FollowUpRequest, line: str) -> str:
        """The LLM's wording of ``line``, or ``line`` itself when the LLM fails or rambles."""
        try:
            async with asyncio.timeout(self.timeout_s):
                text = await self._complete(self.prompt(request, line))
        except Exception:  # any failure of the model keeps the policy's own line
            logger.warning("follow-up rewording failed; using the policy's line", exc_info=True)
            return line
        worded = acceptable_phrasing(text)
        if worded is None:
            # Logged so that a model that keeps rambling or not asking shows up in the logs.
            logger.warning(
                "the LLM's follow-up cannot be spoken as one (%r); using the policy's line",
                text[:200],
            )
            return line
        return worded

    async def _complete(self, chat: llm.ChatContext) -> str:
        parts: list[str] = []
        async with self.model.chat(chat_ctx=chat) as stream:
            async for chunk in stream:
                if chunk.delta and chunk.delta.content:
                    parts.append(chunk.delta.content)
        return "".join(parts)
