"""The interviewer's conversation policy: pure Python, no I/O, time passed in as milliseconds."""

from voice_agent.domain.backchannel import (
    DEFAULT_CLIPS,
    BackchannelPolicy,
    BackchannelRules,
    Decline,
    ListeningObservation,
    finishing_probability,
)
from voice_agent.domain.conductor import (
    Conductor,
    ConductorError,
    ConductorSettings,
    Phase,
    QuestionProgress,
    QuestionStatus,
    Utterance,
)
from voice_agent.domain.intents import Intent, IntentClassifier
from voice_agent.domain.key_points import KeyPointTracker
from voice_agent.domain.phrasing import (
    FollowUpPhraser,
    FollowUpReason,
    FollowUpRequest,
    InterviewerLines,
    RuleBasedPhraser,
    acceptable_phrasing,
)
from voice_agent.domain.tone import (
    AnswerQuality,
    AnswerReading,
    EspeakControls,
    OpenAIControls,
    PiperControls,
    StyleProsody,
    ToneSelector,
    TtsProsody,
)
from voice_agent.domain.turn_taking import TurnDecision, TurnTakingPolicy, TurnTakingRules

__all__ = [
    "DEFAULT_CLIPS",
    "AnswerQuality",
    "AnswerReading",
    "BackchannelPolicy",
    "BackchannelRules",
    "Conductor",
    "ConductorError",
    "ConductorSettings",
    "Decline",
    "EspeakControls",
    "FollowUpPhraser",
    "FollowUpReason",
    "FollowUpRequest",
    "Intent",
    "IntentClassifier",
    "InterviewerLines",
    "KeyPointTracker",
    "ListeningObservation",
    "OpenAIControls",
    "Phase",
    "PiperControls",
    "QuestionProgress",
    "QuestionStatus",
    "RuleBasedPhraser",
    "StyleProsody",
    "ToneSelector",
    "TtsProsody",
    "TurnDecision",
    "TurnTakingPolicy",
    "TurnTakingRules",
    "Utterance",
    "acceptable_phrasing",
    "finishing_probability",
]
