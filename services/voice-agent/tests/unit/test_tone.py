"""Each line's style fits the moment, and every TTS engine gets controls it accepts."""

from __future__ import annotations

import itertools
import math

import pytest

from common.events import Style
from voice_agent.domain import (
    AnswerQuality,
    AnswerReading,
    PiperControls,
    StyleProsody,
    ToneSelector,
    TtsProsody,
)

tone = ToneSelector()
STYLES: tuple[Style, ...] = ("warm", "neutral", "encouraging", "empathetic", "probing")


def reading(
    words: int = 60, coverage: float = 0.3, fillers: float = 0.0, dont_know: bool = False
) -> AnswerReading:
    return AnswerReading(
        word_count=words,
        coverage=coverage,
        has_key_points=True,
        filler_share=fillers,
        dont_know=dont_know,
    )


def test_greeting_and_closing_are_warm() -> None:
    assert tone.style_for("greeting") == "warm"
    assert tone.style_for("closing", AnswerQuality.STRUGGLING) == "warm"


def test_questions_are_neutral_even_after_a_struggle() -> None:
    assert tone.style_for("question") == "neutral"
    assert tone.style_for("question", AnswerQuality.STRUGGLING) == "neutral"


def test_follow_ups_on_a_partial_answer_probe() -> None:
    assert tone.style_for("follow_up", AnswerQuality.PARTIAL) == "probing"


def test_lines_after_a_struggle_are_empathetic() -> None:
    assert tone.style_for("follow_up", AnswerQuality.STRUGGLING) == "empathetic"
    assert tone.style_for("acknowledgement", AnswerQuality.STRUGGLING) == "empathetic"


def test_a_good_answer_is_acknowledged_encouragingly() -> None:
    assert tone.style_for("acknowledgement", AnswerQuality.GOOD) == "encouraging"
    assert tone.style_for("acknowledgement", AnswerQuality.PARTIAL) == "neutral"


@pytest.mark.parametrize(
    ("answer", "quality"),
    [
        (reading(dont_know=True, words=3), AnswerQuality.STRUGGLING),
        (reading(words=4), AnswerQuality.STRUGGLING),
        (reading(words=30, fillers=0.25), AnswerQuality.STRUGGLING),
        (reading(words=30, coverage=0.34), AnswerQuality.PARTIAL),
        (reading(words=30, coverage=0.67), AnswerQuality.GOOD),
        (reading(words=30, coverage=1.0, fillers=0.3), AnswerQuality.GOOD),
    ],
)
def test_answers_are_assessed(answer: AnswerReading, quality: AnswerQuality) -> None:
    assert tone.assess(answer) is quality


def test_without_key_points_substance_decides() -> None:
    short = AnswerReading(word_count=20, coverage=0.0, has_key_points=False, filler_share=0.0)
    long = AnswerReading(word_count=80, coverage=0.0, has_key_points=False, filler_share=0.0)

    assert tone.assess(short) is AnswerQuality.PARTIAL
    assert tone.assess(long) is AnswerQuality.GOOD


prosody = TtsProsody()


def test_neutral_keeps_every_engine_at_its_defaults() -> None:
    assert prosody.espeak("neutral").args() == ["-s", "175", "-p", "50"]
    piper = prosody.piper("neutral")
    assert (piper.length_scale, piper.noise_scale, piper.noise_w) == (1.0, 0.667, 0.8)
    assert prosody.openai("neutral").speed == 1.0


def test_empathetic_is_slower_and_lower_than_encouraging() -> None:
    calm, upbeat = prosody.espeak("empathetic"), prosody.espeak("encouraging")

    assert calm.words_per_minute < 175 < upbeat.words_per_minute
    assert calm.pitch < 50 < upbeat.pitch
    assert (
        prosody.piper("empathetic").length_scale > 1.0 > prosody.piper("encouraging").length_scale
    )
    assert prosody.openai("empathetic").speed < prosody.openai("encouraging").speed


@pytest.mark.parametrize("style", STYLES)
def test_every_style_drives_every_engine_within_its_limits(style: Style) -> None:
    espeak = prosody.espeak(style)
    openai = prosody.openai(style)

    assert 80 <= espeak.words_per_minute <= 450
    assert 0 <= espeak.pitch <= 99
    assert 0.25 <= openai.speed <= 4.0
    assert openai.instructions.startswith(("Speak", "Sound"))
    assert prosody.piper(style).length_scale > 0


def test_warm_instructions_ask_for_warmth() -> None:
    assert "warmly" in prosody.openai("warm").instructions


def test_extreme_settings_are_clamped_for_espeak() -> None:
    fast = StyleProsody(rate=4.0, pitch_semitones=12, expressiveness=1, instructions="Speak fast.")
    loud = TtsProsody(styles=dict.fromkeys(STYLES, fast))

    assert loud.espeak("warm").args() == ["-s", "450", "-p", "98"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": 5.0}, "rate must be between 0.25 and 4.0"),
        ({"pitch_semitones": -13.0}, "pitch_semitones must be between -12 and 12"),
        ({"expressiveness": 1.5}, "expressiveness must be between 0 and 1"),
    ],
)
def test_bad_prosody_names_the_field(kwargs: dict[str, float], message: str) -> None:
    values: dict[str, float] = {"rate": 1.0, "pitch_semitones": 0.0, "expressiveness": 0.5}
    values.update(kwargs)
    with pytest.raises(ValueError, match=message):
        StyleProsody(instructions="x", **values)


def test_a_prosody_table_must_cover_every_style() -> None:
    with pytest.raises(ValueError, match="missing settings for: probing"):
        TtsProsody(styles={s: prosody.for_style(s) for s in STYLES if s != "probing"})


def test_styles_keep_their_order_of_pace_and_pitch() -> None:
    rate = {s: prosody.for_style(s).rate for s in STYLES}
    pitch = {s: prosody.for_style(s).pitch_semitones for s in STYLES}

    assert rate["empathetic"] < rate["warm"] < rate["neutral"]
    assert rate["probing"] >= rate["neutral"]  # a follow-up is never slower than a question
    assert pitch["encouraging"] > pitch["warm"] > pitch["neutral"] > pitch["empathetic"]
    for a, b in itertools.combinations(STYLES, 2):
        apart_in_pace = abs(math.log(rate[a] / rate[b])) >= math.log(1.05)
        assert apart_in_pace or abs(pitch[a] - pitch[b]) >= 1.0, f"{a} and {b} sound alike"


def test_piper_lengthens_by_the_measured_response_to_length_scale() -> None:
    assert PiperControls.length_for(1.0) == 1.0
    assert PiperControls.length_for(1.1) > 1.1  # Piper stretches less than its scale
    assert prosody.piper("empathetic").length_scale == round(
        PiperControls.length_for(1 / prosody.for_style("empathetic").rate), 3
    )
    assert prosody.piper("encouraging").pitch_semitones == 2.5
