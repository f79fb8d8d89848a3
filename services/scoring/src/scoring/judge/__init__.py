"""The optional LLM judge: its output schema, prompt, HTTP client and how verdicts are used."""

from scoring.judge.client import Judge, OpenAICompatibleJudge, completions_url
from scoring.judge.prompt import JUDGE_VERSION
from scoring.judge.schema import JudgedCategory, JudgeOutput, judge_json_schema
from scoring.judge.verdict import (
    BLEND_ENGINE,
    LLM_ENGINE,
    CheckedJudgement,
    JudgeFailed,
    check_evidence,
    combine,
    offline_fallback,
)

__all__ = [
    "BLEND_ENGINE",
    "JUDGE_VERSION",
    "LLM_ENGINE",
    "CheckedJudgement",
    "Judge",
    "JudgeFailed",
    "JudgeOutput",
    "JudgedCategory",
    "OpenAICompatibleJudge",
    "check_evidence",
    "combine",
    "completions_url",
    "judge_json_schema",
    "offline_fallback",
]
