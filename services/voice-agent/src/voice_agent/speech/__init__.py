"""Offline speech for the interviewer: pocketsphinx STT, Piper TTS, espeak-ng as last resort."""

from voice_agent.speech.espeak import EspeakTTS, espeak_available
from voice_agent.speech.language_model import LanguageModel, build_language_model
from voice_agent.speech.lexicon import Lexicon
from voice_agent.speech.piper import PiperTTS, load_voice
from voice_agent.speech.sphinx import IncrementalSphinx, SphinxSTT, streaming, to_mono_16k
from voice_agent.speech.text import spoken_words, word_error_rate

__all__ = [
    "EspeakTTS",
    "IncrementalSphinx",
    "LanguageModel",
    "Lexicon",
    "PiperTTS",
    "SphinxSTT",
    "build_language_model",
    "espeak_available",
    "load_voice",
    "spoken_words",
    "streaming",
    "to_mono_16k",
    "word_error_rate",
]
