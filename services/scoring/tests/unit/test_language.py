"""Normalisation: stems and the synonym table make different wordings meet."""

from __future__ import annotations

import pytest

from scoring.domain.language import content_terms, split_sentences, stem, words


@pytest.mark.parametrize(
    "forms",
    [
        ("cache", "caches", "cached", "caching"),
        ("index", "indexes", "indices", "indexing"),
        ("query", "queries"),
        ("agree", "agreed", "agrees"),
        ("optimise", "optimize", "optimized", "optimising"),
        ("render", "renders", "rendering", "rendered"),
        ("scan", "scans", "scanning", "scanned"),
        ("write", "writes", "writing", "wrote", "written"),
    ],
)
def test_inflections_share_a_stem(forms: tuple[str, ...]) -> None:
    assert len({stem(f) for f in forms}) == 1, {f: stem(f) for f in forms}


def test_short_words_keep_their_identity() -> None:
    assert stem("need") != stem("ne")
    assert stem("speed") == "speed"
    assert stem("use") == stem("using") == stem("used")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("cache", "memoize"),
        ("caching", "memoization"),
        ("index", "indices"),
        ("latency", "response time"),
        ("b-tree", "balanced tree"),
        ("full table scan", "sequential scan"),
        ("trade-off", "downside"),
        ("disagreement", "pushed back"),
        ("compromise", "middle ground"),
    ],
)
def test_synonyms_become_the_same_concept(one: str, other: str) -> None:
    assert content_terms(one) == content_terms(other)


def test_stopwords_and_fillers_carry_no_content() -> None:
    assert content_terms("um, so basically it's like the index you know") == ["@index"]


def test_words_keep_contractions_and_split_hyphens() -> None:
    assert words("I don't use B-tree's") == ["i", "don't", "use", "b", "tree's"]


def test_unpunctuated_speech_is_cut_into_verbatim_chunks() -> None:
    text = " ".join(f"word{i}" for i in range(60))
    chunks = split_sentences(text)
    assert len(chunks) > 1
    assert all(chunk in text for chunk in chunks)
    assert sum(len(c.split()) for c in chunks) == 60


@pytest.mark.parametrize(
    ("identifier", "spoken"),
    [
        ("useMemo", ["use", "memo"]),
        ("getServerSideProps", ["get", "server", "side", "props"]),
        ("AsNoTracking()", ["as", "no", "tracking"]),
        ("HTTPServer", ["http", "server"]),
        ("hashCode", ["hash", "code"]),
    ],
)
def test_code_identifiers_are_read_as_the_words_they_are_spoken_as(
    identifier: str, spoken: list[str]
) -> None:
    assert words(identifier) == spoken


@pytest.mark.parametrize("name", ["JavaScript", "PostgreSQL", "GraphQL", "APIs", "IDs", "HTTP"])
def test_product_names_and_acronyms_stay_one_word(name: str) -> None:
    assert words(name) == [name.lower()]
