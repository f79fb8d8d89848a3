"""Reading setup messages with an OpenAI-compatible LLM, and falling back to the rule parser.

`OpenAISlotExtractor` asks `/v1/chat/completions` for one forced function call whose parameters
are `SlotUpdate`'s JSON schema, so the LLM and the rule parser have one output schema. Anything
short of a well-formed call that validates strictly is an error; `FallbackExtractor` turns every
such error into the rule parser's reading, logged and counted, so a setup chat never fails
because the LLM did.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Final

import httpx
from pydantic import SecretStr, ValidationError

from common.vocabulary import TECH_STACK
from interview_builder.domain.slots import SlotExtractor, SlotName, SlotUpdate

logger = logging.getLogger("mocksy.builder.llm")

FUNCTION_NAME: Final = "record_setup_slots"

# Reasons a reading fell back to the rule parser (the `reason` label of the fallback counter).
TIMEOUT: Final = "timeout"
HTTP_ERROR: Final = "http_error"
INVALID_JSON: Final = "invalid_json"
NO_TOOL_CALL: Final = "no_tool_call"
SCHEMA_MISMATCH: Final = "schema_mismatch"
OTHER: Final = "other"

_SYSTEM_PROMPT: Final = (
    "You read one message of a candidate setting up a mock job interview and record what it "
    f"says by calling {FUNCTION_NAME}. Fill only the fields the message mentions; leave the "
    "rest out. role is frontend, backend or fullstack; interview_type is behavioral, technical "
    "or mixed; level is junior, mid or senior; question_count is a whole number from 1 to 20. "
    "tech_stack lists technologies to cover, written exactly as one of: "
    + ", ".join(sorted(TECH_STACK))
    + ". Put technologies the candidate wants dropped in tech_removed. Set replace_stack to "
    "true when the new list replaces the old one. Set confirmation to true for yes and false "
    "for no when the candidate answers a proposed summary."
)


class SlotExtractionError(Exception):
    """The LLM gave no usable reading; `reason` is one of the fallback reasons above."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def slot_function() -> dict[str, Any]:
    """The function-calling tool whose parameters are `SlotUpdate`'s JSON schema."""
    return {
        "type": "function",
        "function": {
            "name": FUNCTION_NAME,
            "description": "Record the interview setup slots one candidate message mentions.",
            "parameters": SlotUpdate.model_json_schema(),
        },
    }


def completions_url(base_url: str) -> str:
    """`<base>/v1/chat/completions`, whether or not `base_url` already ends in /v1."""
    base = base_url.rstrip("/")
    return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


class OpenAISlotExtractor:
    """A `SlotExtractor` backed by an OpenAI-compatible chat completions endpoint."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: SecretStr | None = None,
        timeout: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        self._url = completions_url(base_url)
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}
        self._timeout = timeout
        self._client = client or httpx.Client()
        self._tool = slot_function()

    def close(self) -> None:
        """Release the HTTP connections."""
        self._client.close()

    def parse(self, text: str, expecting: SlotName | None = None) -> SlotUpdate:
        """Ask the LLM what `text` says; raises `SlotExtractionError` on any failure."""
        system = _SYSTEM_PROMPT
        if expecting is not None:
            system += f" The assistant has just asked for the {expecting.replace('_', ' ')}."
        payload = {
            "model": self._model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": text},
            ],
            "tools": [self._tool],
            "tool_choice": {"type": "function", "function": {"name": FUNCTION_NAME}},
        }
        try:
            response = self._client.post(
                self._url, json=payload, headers=self._headers, timeout=self._timeout
            )
            response.raise_for_status()
        except httpx.TimeoutException as error:
            raise SlotExtractionError(TIMEOUT, f"no answer within {self._timeout}s") from error
        except httpx.HTTPStatusError as error:
            raise SlotExtractionError(
                HTTP_ERROR, f"HTTP {error.response.status_code} from {self._url}"
            ) from error
        except httpx.HTTPError as error:
            raise SlotExtractionError(HTTP_ERROR, f"{type(error).__name__}: {error}") from error
        return _read_call(response)


def _read_call(response: httpx.Response) -> SlotUpdate:
    try:
        body = response.json()
    except ValueError as error:
        raise SlotExtractionError(INVALID_JSON, "the response body is not JSON") from error
    try:
        call = body["choices"][0]["message"]["tool_calls"][0]["function"]
        name, arguments = call["name"], call["arguments"]
    except (KeyError, IndexError, TypeError) as error:
        raise SlotExtractionError(NO_TOOL_CALL, "the reply holds no function call") from error
    if name != FUNCTION_NAME:
        raise SlotExtractionError(NO_TOOL_CALL, f"the reply called {name!r}")
    if isinstance(arguments, str):
        # The OpenAI API sends arguments as a JSON string; some servers send an object.
        try:
            arguments = json.loads(arguments)
        except ValueError as error:
            raise SlotExtractionError(INVALID_JSON, "the call's arguments are not JSON") from error
    try:
        return SlotUpdate.model_validate(arguments, strict=True)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise SlotExtractionError(SCHEMA_MISMATCH, problems) from error


class FallbackExtractor:
    """Reads with `primary`; on any error reads with `fallback` and reports why."""

    def __init__(
        self,
        primary: SlotExtractor,
        fallback: SlotExtractor,
        *,
        on_fallback: Callable[[str], None] | None = None,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._on_fallback = on_fallback

    def parse(self, text: str, expecting: SlotName | None = None) -> SlotUpdate:
        """The primary reading, or the fallback's when the primary raises."""
        try:
            return self._primary.parse(text, expecting=expecting)
        except Exception as error:  # any failure of the LLM path means: use the rule parser
            reason = error.reason if isinstance(error, SlotExtractionError) else OTHER
            logger.warning(
                "LLM slot extraction failed (%s), using the rule parser: %s", reason, error
            )
            if self._on_fallback is not None:
                self._on_fallback(reason)
        return self._fallback.parse(text, expecting=expecting)
