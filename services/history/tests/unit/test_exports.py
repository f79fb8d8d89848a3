"""Feedback reports as Markdown and PDF, progress charts as SVG and PNG."""

from __future__ import annotations

import io
import re
import zlib
from datetime import timedelta
from xml.etree import ElementTree

from PIL import Image

from history.domain.chart import SCORE_COLOR, layout, render_svg
from history.domain.progress import ScoredAttempt, progress
from history.domain.records import AttemptReport, report_feedback_fields, report_session_fields
from history.domain.report import feedback_markdown, report_document
from history.exports.pdf import latin1, report_pdf
from history.exports.png import chart_png
from history.testing import EPOCH, Attempt, feedback_ready, session_completed

USER = "user-ada"
SVG = "{http://www.w3.org/2000/svg}"


def report(attempt: Attempt) -> AttemptReport:
    fields = report_session_fields(session_completed(USER, attempt).data)
    fields |= report_feedback_fields(feedback_ready(USER, attempt).data)
    return AttemptReport.model_validate(
        {"session_id": attempt.session_id, "user_id": USER, **fields}
    )


def pdf_text(document: bytes) -> str:
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", document, re.S)
    return b"".join(zlib.decompress(s) for s in streams).decode("latin-1")


def test_markdown_report_has_scores_evidence_questions_and_delivery() -> None:
    text = feedback_markdown(report(Attempt("s-1", "i-1", EPOCH, 72, topic_scores=(70, 60, 86))))

    assert text.startswith("# Interview feedback: s-1\n")
    assert "## Overall score\n\n72 / 100" in text
    assert "### Communication: 72 / 100" in text
    assert '- "I used a “custom hook”."' in text
    assert "### Question 2: 60 / 100\n\nTell me about state management." in text
    assert "- Missed: testing trade-offs" in text
    assert "- Filler words per 100 words: 3" in text


def test_markdown_escapes_what_a_candidate_said() -> None:
    attempt = Attempt("s-1", "i-1", EPOCH, 72)
    base = report(attempt)
    assert base.feedback is not None
    tricky = base.feedback.model_copy(update={"strengths": ["# not a heading [link](x)"]})
    text = feedback_markdown(base.model_copy(update={"feedback": tricky}))
    assert "- \\# not a heading \\[link\\](x)" in text


def test_ungradable_report_says_why_and_shows_no_score() -> None:
    text = feedback_markdown(report(Attempt("s-1", "i-1", EPOCH, None)))
    assert "## Not graded" in text
    assert "- too few candidate words to grade" in text
    assert "/ 100" not in text


def test_pdf_report_is_a_pdf_with_the_report_text() -> None:
    document = report_document(report(Attempt("s-1", "i-1", EPOCH, 72)))
    data = report_pdf(document)

    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "Overall score" in text
    assert "72 / 100" in text
    # Typographic quotes become plain ones rather than failing the built-in font.
    assert 'I used a \\"custom hook\\"' in text or 'I used a "custom hook"' in text


def test_latin1_keeps_accents_and_replaces_what_the_font_cannot_draw() -> None:
    assert latin1("café — “ok” …") == 'café - "ok" ...'
    assert latin1("日本") == "??"


def history(scores: list[int]) -> list[ScoredAttempt]:
    return [
        ScoredAttempt(
            session_id=f"s-{i}",
            at=EPOCH + timedelta(days=i),
            role="frontend",
            interview_type="technical",
            overall=score,
            categories={},
        )
        for i, score in enumerate(scores)
    ]


def test_svg_chart_plots_every_attempt_and_the_moving_average() -> None:
    series = progress(history([40, 60, 50, 80]), window=2).all.overall
    svg = render_svg(layout(series, "Overall score"))
    root = ElementTree.fromstring(svg)

    dots = root.findall(f"{SVG}circle")
    assert len(dots) == 4
    ys = [float(d.attrib["cy"]) for d in dots]
    # Higher scores sit higher on the canvas (smaller y).
    assert ys[3] < ys[1] < ys[2] < ys[0]
    assert len(root.findall(f"{SVG}polyline")) == 2
    texts = [t.text for t in root.findall(f"{SVG}text")]
    assert "Overall score" in texts
    assert "4 attempts; trend: improving" in texts


def test_svg_chart_without_attempts_says_so() -> None:
    series = progress([], window=3).all.overall
    root = ElementTree.fromstring(render_svg(layout(series, "Overall <score>")))
    texts = [t.text for t in root.findall(f"{SVG}text")]
    assert "no graded attempts yet" in texts
    assert "Overall <score>" in texts


def test_png_chart_is_an_image_with_the_score_line() -> None:
    series = progress(history([40, 60, 50, 80]), window=2).all.overall
    image = Image.open(io.BytesIO(chart_png(layout(series, "Overall score"))))

    assert (image.format, image.size) == ("PNG", (720, 360))
    rgb = tuple(int(SCORE_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    assert rgb in {color for _, color in image.convert("RGB").getcolors(maxcolors=100_000) or []}
