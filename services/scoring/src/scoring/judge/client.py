"""The LLM judge over an OpenAI-compatible ``/v1/chat/completions`` endpoint (plain httpx).

The schema is imposed either as one forced function call (what most servers support: OpenAI,
vLLM, Ollama, llama.cpp) or as ``response_format: json_schema``. Whatever comes back is
validated strictly; anything short of that raises ``JudgeFailed``.
"""

from __future__ import annotations

import json
from typing import Any, Final, Protocol

import httpx
from pydantic import SecretStr, ValidationError

from common.events import Transcript
from scoring.judge.prompt import FUNCTION_NAME, JUDGE_VERSION, judge_messages
from scoring.judge.schema import JudgeOutput, judge_json_schema
from scoring.judge.verdict import JudgeFailed
from scoring.settings import StructuredOutput

TIMEOUT: Final = "timeout"
HTTP_ERROR: Final = "http_error"
INVALID_JSON: Final = "invalid_json"
NO_OUTPUT: Final = "no_output"
SCHEMA_MISMATCH: Final = "schema_mismatch"

_MAX_COMPLETION_TOKENS: Final = 2_048


class Judge(Protocol):
    """Something that judges a transcript; raises ``JudgeFailed`` when it cannot."""

    @property
    def version(self) -> str:
        """What judged: prompt version and model, written into ``scorer.version``."""
        ...

    async def assess(self, transcript: Transcript) -> JudgeOutput:
        """The judgement of one transcript."""
        ...


def completions_url(base_url: str) -> str:
    """``<base>/v1/chat/completions``, whether or not ``base_url`` already ends in /v1."""
    base = base_url.rstrip("/")
    return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


class OpenAICompatibleJudge:
    """A ``Judge`` backed by any OpenAI-compatible chat completions server."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: SecretStr | None = None,
        timeout_s: float = 30.0,
        output: StructuredOutput = "tool_call",
        max_prompt_chars: int = 24_000,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = completions_url(base_url)
        self.model = model
        self._output = output
        self._timeout_s = timeout_s
        self._max_prompt_chars = max_prompt_chars
        headers = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}
        self._http = httpx.AsyncClient(
            transport=transport, headers=headers, timeout=httpx.Timeout(timeout_s)
        )
        self._schema = judge_json_schema()

    @property
    def version(self) -> str:
        """``llm-judge/<prompt version>/<model>``."""
        return f"llm-judge/{JUDGE_VERSION}/{self.model}"

    async def aclose(self) -> None:
        """Release the HTTP connections."""
        await self._http.aclose()

    def request_body(self, transcript: Transcript) -> dict[str, Any]:
        """The chat completion request for one transcript."""
        body: dict[str, Any] = {
            "model": self.model,
            "temperature": 0,
            "max_tokens": _MAX_COMPLETION_TOKENS,
            "messages": judge_messages(transcript, max_chars=self._max_prompt_chars),
        }
        if self._output == "tool_call":
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": FUNCTION_NAME,
                        "description": "Submit the feedback on the candidate's interview.",
                        "parameters": self._schema,
                    },
                }
            ]
            body["tool_choice"] = {"type": "function", "function": {"name": FUNCTION_NAME}}
        else:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": FUNCTION_NAME, "strict": True, "schema": self._schema},
            }
        return body

    async def assess(self, transcript: Transcript) -> JudgeOutput:
        """Ask the server; raises ``JudgeFailed`` on a timeout, an HTTP error or a bad answer."""
        try:
            response = await self._http.post(self.url, json=self.request_body(transcript))
            response.raise_for_status()
        except httpx.TimeoutException as error:
            raise JudgeFailed(TIMEOUT, f"no answer within {self._timeout_s:g}s") from error
        except httpx.HTTPStatusError as error:
            raise JudgeFailed(
                HTTP_ERROR, f"HTTP {error.response.status_code} from the LLM server"
            ) from error
        except httpx.HTTPError as error:
            raise JudgeFailed(HTTP_ERROR, f"{type(error).__name__}: {error}") from error
        return _parse(response, self._output)


def _parse(response: httpx.Response, output: StructuredOutput) -> JudgeOutput:
    try:
        body = response.json()
    except ValueError as error:
        raise JudgeFailed(INVALID_JSON, "the response body is not JSON") from error
    try:
        message = body["choices"][0]["message"]
        if output == "tool_call" and message.get("tool_calls"):
            call = message["tool_calls"][0]["function"]
            if call["name"] != FUNCTION_NAME:
                raise JudgeFailed(NO_OUTPUT, f"the reply called {call['name']!r}")
            payload = call["arguments"]
        else:
            # A server that ignores tool_choice may still answer with JSON in the content.
            payload = message["content"]
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        raise JudgeFailed(
            NO_OUTPUT, "the reply holds neither a function call nor content"
        ) from error
    if isinstance(payload, str):
        # OpenAI sends arguments and content as JSON text; some servers send an object.
        try:
            payload = json.loads(payload)
        except ValueError as error:
            raise JudgeFailed(INVALID_JSON, "the judgement is not JSON") from error
    try:
        return JudgeOutput.model_validate(payload)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'judgement'}: {problem['msg']}"
            for problem in error.errors()[:5]
        )
        raise JudgeFailed(SCHEMA_MISMATCH, problems) from error
