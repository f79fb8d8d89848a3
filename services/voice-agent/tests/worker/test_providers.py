"""OpenAI-compatible speech falls back to the offline engines; an LLM only re-words follow-ups."""

from __future__ import annotations

from typing import Any

import pytest
from livekit.agents import llm
from livekit.agents.types import (
    DEFAULT_API_CONNECT_OPTIONS,
    NOT_GIVEN,
    APIConnectOptions,
    NotGivenOr,
)

from common.events import InterviewSpec
from voice_agent.domain import FollowUpReason, FollowUpRequest
from voice_agent.speech import word_error_rate
from voice_agent.worker.phrasing import FollowUpRewriter
from voice_agent.worker.providers import load_shared_models, speech_stack
from voice_agent.worker.settings import InterviewerSettings

# Nothing listens here: every request to the "OpenAI-compatible" server fails at once.
NOWHERE = "http://127.0.0.1:9/v1"


async def test_openai_speech_that_is_down_falls_back_to_the_offline_voice_and_ear(
    spec: InterviewSpec,
) -> None:
    settings = InterviewerSettings(
        livekit_api_key="devkey",
        livekit_api_secret="secret",
        speech="openai",
        openai_stt_base_url=NOWHERE,
        openai_tts_base_url=NOWHERE,
    )
    stack = speech_stack(settings, spec, load_shared_models())
    line = "When would you put a cache in front of a database?"
    audio = await stack.voice.for_style("probing").synthesize(line).collect()
    assert audio.duration > 1.0  # Piper spoke it
    heard = (await stack.stt.recognize(audio)).alternatives[0].text
    print(f"fallback recognizer heard {heard!r}")
    assert word_error_rate(line, heard) <= 0.3


class ScriptedModel(llm.LLM[str]):
    """An LLM that answers every request with the same text (or fails)."""

    def __init__(self, reply: str | None) -> None:
        super().__init__()
        self.reply = reply
        self.prompts: list[llm.ChatContext] = []

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        self.prompts.append(chat_ctx)
        return _Reply(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class _Reply(llm.LLMStream):
    async def _run(self) -> None:
        reply = self._llm.reply  # type: ignore[attr-defined]
        if reply is None:
            raise RuntimeError("the model is down")
        for word in reply.split(" "):
            self._event_ch.send_nowait(
                llm.ChatChunk(id="1", delta=llm.ChoiceDelta(role="assistant", content=word + " "))
            )


@pytest.fixture
def request_(spec: InterviewSpec) -> FollowUpRequest:
    return FollowUpRequest(
        question=spec.questions[0],
        reason=FollowUpReason.MISSED_KEY_POINT,
        key_point="Explains time complexity",
        prepared=None,
        answer_so_far="I would use a hash set.",
        number=1,
        variant=0,
    )


async def test_a_good_rewording_is_spoken(request_: FollowUpRequest) -> None:
    model = ScriptedModel("Nice. And how fast is that approach as the list grows?")
    rewriter = FollowUpRewriter(model)
    line = await rewriter.reword(request_, "What is the time complexity of your approach?")
    assert line == "Nice. And how fast is that approach as the list grows?"
    prompt = model.prompts[0].items[-1]
    assert isinstance(prompt, llm.ChatMessage)
    assert "Explains time complexity" in (prompt.text_content or "")


@pytest.mark.parametrize(
    "reply",
    [
        None,  # the model is down
        "Great answer, let's move on to the next question.",  # asks nothing
        "Can you " + "really " * 80 + "explain?",  # rambles
    ],
)
async def test_a_failed_or_unspeakable_rewording_keeps_the_policy_line(
    request_: FollowUpRequest, reply: str | None
) -> None:
    line = "What is the time complexity of your approach?"
    assert await FollowUpRewriter(ScriptedModel(reply)).reword(request_, line) == line
