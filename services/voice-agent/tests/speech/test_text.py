# ruff: noqa: RUF001  (IPA symbols look like Latin letters, and are meant)
"""Written text as the words people say, and the word error rate over them."""

from __future__ import annotations

import pytest

from voice_agent.speech import Lexicon, build_language_model, spoken_words, word_error_rate
from voice_agent.speech.lexicon import ipa_to_arpabet


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("I used C# and .NET", "i used c sharp and dot net"),
        ("Node.js on K8s", "node js on kubernetes"),
        ("O(n log n) time, O(1) space", "o of n log n time o of one space"),
        ("It's 50% faster in 2024", "it's fifty percent faster in two thousand twenty four"),
        ("end-to-end tests on S3", "end to end tests on s three"),
    ],
)
def test_symbols_are_read_as_words(written: str, said: str) -> None:
    assert spoken_words(written) == said.split()


def test_word_error_rate_counts_edits_per_reference_word() -> None:
    assert word_error_rate("the cache is warm", "the cache is warm") == 0.0
    assert word_error_rate("the cache is warm", "a cache is warm now") == 0.5
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "noise") == 1.0
    # Punctuation and case are not errors.
    assert word_error_rate("Use Redis, then PostgreSQL.", "use redis then postgresql") == 0.0


def test_words_missing_from_cmudict_get_a_pronunciation() -> None:
    lexicon = Lexicon()
    assert "kubernetes" not in lexicon
    assert lexicon.pronunciations("kubernetes") == ("K UW B ER N EH T IY Z",)
    assert lexicon.pronunciations("goroutines")[0].startswith("G AO R UW T")
    assert len(lexicon.pronunciations("either")) >= 2  # CMUdict's variants are kept


def test_ipa_diphthongs_become_single_phones() -> None:
    assert ipa_to_arpabet("mˌaɪkɹoʊsˈɜːvɪsᵻz") == "M AY K R OW S ER V IH S IH Z"


def test_too_many_extra_sentences_are_refused() -> None:
    with pytest.raises(ValueError, match="extra_sentences must hold at most 2000"):
        build_language_model(extra_sentences=["hello"] * 2_001)
