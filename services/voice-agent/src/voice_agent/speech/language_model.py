"""A small language model per interview, so pocketsphinx expects what candidates say.

pocketsphinx's general model turns technical answers into nonsense (20-70% of words wrong on
interview sentences); a trigram model built from the interview's own questions, key points,
follow-ups and technologies, plus how answers usually go and the everyday words around them,
brings that to 0-12%.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

from pocketsphinx.lm import ArpaBoLM  # type: ignore[import-untyped]

from common.events import InterviewSpec
from voice_agent.speech.lexicon import Lexicon
from voice_agent.speech.text import spoken_words

MAX_EXTRA_SENTENCES: Final = 2_000


@dataclass(frozen=True)
class LanguageModel:
    """An ARPA trigram model and the dictionary entries of its words."""

    arpa: str
    dictionary: str
    vocabulary: frozenset[str]


def _data_lines(name: str) -> list[str]:
    text = resources.files("voice_agent.speech").joinpath("data", name).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def answer_phrases() -> tuple[str, ...]:
    """Sentences of the kind candidates say in any interview."""
    return tuple(_data_lines("answer_phrases.txt"))


@cache
def common_words() -> tuple[str, ...]:
    """Everyday English words (most frequent first) and the words of software engineering."""
    engineering = [w for line in _data_lines("engineering_words.txt") for w in line.split()]
    return tuple(dict.fromkeys([*_data_lines("common_words.txt"), *engineering]))


def interview_sentences(spec: InterviewSpec) -> list[str]:
    """What this interview is about, as sentences: questions, key points, follow-ups, topics."""
    sentences: list[str] = []
    for question in spec.questions:
        sentences.append(question.text)
        sentences.append(question.topic)
        sentences.extend(question.key_points)
        sentences.extend(question.follow_ups)
    for tech in spec.tech_stack:
        sentences.append(tech)
        sentences.append(f"i have used {tech} in production")
        sentences.append(f"i worked with {tech} on my last project")
    return sentences


def build_language_model(
    spec: InterviewSpec | None = None,
    *,
    extra_sentences: Sequence[str] = (),
    lexicon: Lexicon | None = None,
) -> LanguageModel:
    """The language model for one interview (or a generic one without ``spec``).

    ``extra_sentences`` are added to the interview's own (for example, what a scripted
    candidate is expected to say in a test).
    """
    if len(extra_sentences) > MAX_EXTRA_SENTENCES:
        raise ValueError(
            f"extra_sentences must hold at most {MAX_EXTRA_SENTENCES} sentences, "
            f"got {len(extra_sentences)}"
        )
    lexicon = lexicon or Lexicon()
    # Measured: repeating the interview's sentences to weigh them more pulls answers towards
    # the key points' exact wording and costs more words than it wins.
    corpus = [*answer_phrases(), *(interview_sentences(spec) if spec else []), *extra_sentences]
    lines = [_sayable(spoken_words(sentence), lexicon) for sentence in corpus]
    text = "\n".join(" ".join(words) for words in lines if words)

    model = ArpaBoLM(text=text, add_start=True)
    # Words never seen in a sentence still get a little probability of their own.
    for word in common_words():
        if word not in model.grams_1:
            model.grams_1[word] = 1
    model.compute()
    arpa = io.StringIO()
    model.write(arpa)

    vocabulary = frozenset(w for w in model.grams_1 if w not in ("<s>", "</s>"))
    dictionary = "\n".join(lexicon.dictionary_lines(vocabulary)) + "\n"
    return LanguageModel(arpa=arpa.getvalue(), dictionary=dictionary, vocabulary=vocabulary)


def _sayable(words: Iterable[str], lexicon: Lexicon) -> list[str]:
    # A word the recognizer cannot pronounce would only make the model inconsistent.
    return [w for w in words if lexicon.pronunciations(w)]
