# ruff: noqa: RUF001, RUF002  (IPA symbols look like Latin letters, and are meant)
"""Pronunciations for the recognizer: CMUdict, and espeak-ng's letter-to-sound rules for the rest.

pocketsphinx only recognizes words its dictionary spells out in phones. CMUdict (shipped with
pocketsphinx) lacks most of the technology vocabulary of an interview ("kubernetes", "graphql",
"idempotent"); those get the phones espeak-ng reads them with (the phonemizer shipped inside
piper-tts, the same one the interviewer's voice speaks with), mapped from IPA onto the
ARPAbet phones of the acoustic model.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Final

import pocketsphinx  # type: ignore[import-untyped]

# espeak-ng keeps global state (the voice); Piper's synthesis uses it too.
ESPEAK_LOCK: Final = threading.Lock()

CMUDICT_PATH: Final = Path(pocketsphinx.get_model_path("en-us/cmudict-en-us.dict"))

# IPA (as espeak-ng writes en-us) to ARPAbet; two-symbol entries first so diphthongs and
# affricates win over their parts.
_IPA_TO_ARPABET: Final[tuple[tuple[str, str], ...]] = (
    ("eɪ", "EY"),
    ("aɪ", "AY"),
    ("ɔɪ", "OY"),
    ("aʊ", "AW"),
    ("oʊ", "OW"),
    ("əʊ", "OW"),
    ("dʒ", "JH"),
    ("tʃ", "CH"),
    ("ɜɹ", "ER"),
    ("ɜ", "ER"),
    ("ɚ", "ER"),
    ("ɝ", "ER"),
    ("iə", "IY AH"),
    ("i", "IY"),
    ("ɪ", "IH"),
    ("ᵻ", "IH"),
    ("e", "EH"),
    ("ɛ", "EH"),
    ("æ", "AE"),
    ("a", "AA"),
    ("ɑ", "AA"),
    ("ɒ", "AA"),
    ("ɔ", "AO"),
    ("o", "OW"),
    ("ʌ", "AH"),
    ("ə", "AH"),
    ("ɐ", "AH"),
    ("ʊ", "UH"),
    ("u", "UW"),
    ("b", "B"),
    ("d", "D"),
    ("ð", "DH"),
    ("f", "F"),
    ("ɡ", "G"),
    ("g", "G"),
    ("h", "HH"),
    ("j", "Y"),
    ("k", "K"),
    ("l", "L"),
    ("m", "M"),
    ("n", "N"),
    ("ŋ", "NG"),
    ("p", "P"),
    ("ɹ", "R"),
    ("r", "R"),
    ("ɾ", "T"),
    ("s", "S"),
    ("ʃ", "SH"),
    ("t", "T"),
    ("θ", "TH"),
    ("v", "V"),
    ("w", "W"),
    ("z", "Z"),
    ("ʒ", "ZH"),
    ("x", "K"),
)
# Stress, length and syllable marks carry no phone of their own.
_IGNORED: Final = frozenset("ˈˌːʲ̩ʔ.‖|-_ ")
_VARIANT: Final = re.compile(r"\(\d+\)$")

# Words missing from CMUdict that espeak-ng's spelling rules misread, as engineers say them;
# the spellings espeak-ng gets right are left to it.
_SAID_BY_ENGINEERS: Final[Mapping[str, tuple[str, ...]]] = {
    "idempotent": ("AY D AH M P OW T AH N T", "AY D EH M P AH T AH N T"),
    "idempotency": ("AY D AH M P OW T AH N S IY",),
    "redis": ("R EH D IH S", "R IY D IH S"),
    "async": ("EY S IH NG K",),
    "postgresql": ("P OW S T G R EH S K Y UW EH L", "P OW S T G R EH S K Y UW L"),
    "postgres": ("P OW S T G R EH S",),
    "mysql": ("M AY EH S K Y UW EH L", "M AY S IY K W AH L"),
    "nosql": ("N OW EH S K Y UW EH L", "N OW S IY K W AH L"),
    "graphql": ("G R AE F K Y UW EH L",),
    "fastapi": ("F AE S T EY P IY AY",),
    "mongodb": ("M AA NG G OW D IY B IY",),
    "kubernetes": ("K UW B ER N EH T IY Z",),
    "aws": ("EY D AH B AH L Y UW EH S",),
    "apis": ("EY P IY AY Z",),
    "css": ("S IY EH S EH S",),
    "jwt": ("JH EY D AH B AH L Y UW T IY",),
    "json": ("JH EY S AH N",),
    "frontend": ("F R AH N T EH N D",),
    "fullstack": ("F UH L S T AE K",),
}


def ipa_to_arpabet(ipa: str) -> str:
    """ARPAbet phones for an IPA string as espeak-ng writes it ("kˌuːbɚnˈɛɾiːz" -> "K UW B ...")."""
    text = "".join(c for c in ipa if c not in _IGNORED)
    phones: list[str] = []
    position = 0
    while position < len(text):
        for symbol, arpabet in _IPA_TO_ARPABET:
            if text.startswith(symbol, position):
                phones.append(arpabet)
                position += len(symbol)
                break
        else:
            position += 1  # a symbol with no English phone (rare); skip it
    return " ".join(phones)


@cache
def _cmudict(path: Path) -> Mapping[str, tuple[str, ...]]:
    entries: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            word, _, phones = line.strip().partition(" ")
            if not phones:
                continue
            entries.setdefault(_VARIANT.sub("", word), []).append(phones.strip())
    return {word: tuple(variants) for word, variants in entries.items()}


@cache
def _espeak_phonemizer() -> object:
    from piper.phonemize_espeak import EspeakPhonemizer

    return EspeakPhonemizer()


def espeak_ipa(word: str) -> str:
    """How espeak-ng (en-us) reads ``word``, in IPA."""
    phonemizer = _espeak_phonemizer()
    with ESPEAK_LOCK:
        sentences = phonemizer.phonemize("en-us", word)  # type: ignore[attr-defined]
    return "".join("".join(sentence) for sentence in sentences)


class Lexicon:
    """Word to phones, from CMUdict first and espeak-ng's rules otherwise."""

    def __init__(self, dictionary: Path = CMUDICT_PATH) -> None:
        self._known = _cmudict(dictionary)
        self._guessed: dict[str, tuple[str, ...]] = {}

    def __contains__(self, word: object) -> bool:
        return word in self._known

    def pronunciations(self, word: str) -> tuple[str, ...]:
        """Every way ``word`` is pronounced (CMUdict variants, or one guessed from its spelling)."""
        known = self._known.get(word)
        if known:
            return known
        if word not in self._guessed:
            phones = ipa_to_arpabet(espeak_ipa(word)) if re.search(r"[a-z]", word) else ""
            # How engineers say it first, then how espeak-ng (and so Piper) reads it.
            said = (*_SAID_BY_ENGINEERS.get(word, ()), *((phones,) if phones else ()))
            self._guessed[word] = tuple(dict.fromkeys(said))
        return self._guessed[word]

    def dictionary_lines(self, words: Iterable[str]) -> list[str]:
        """Dictionary entries for ``words`` (pocketsphinx's format); unsayable words left out."""
        lines: list[str] = []
        for word in sorted(set(words)):
            for n, phones in enumerate(self.pronunciations(word)):
                lines.append(f"{word} {phones}" if n == 0 else f"{word}({n + 1}) {phones}")
        return lines
