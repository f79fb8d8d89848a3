import { useEffect, useState } from "react";
import { type AttemptReport, CATEGORIES, type MocksyApi } from "../api";
import { ApiError, messageOf } from "../errors";
import { navigate } from "../router";
import { Link, Notice, Title, label, sleep } from "../ui";

// Scoring usually takes seconds; past this the screen says it is slow (and keeps checking).
const SLOW_AFTER_MS = 60_000;
const POLL_MS = 2500;

export function FeedbackScreen({ api, sessionId }: { api: MocksyApi; sessionId: string }) {
  const [report, setReport] = useState<AttemptReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [slow, setSlow] = useState(false);
  const [retaking, setRetaking] = useState(false);

  useEffect(() => {
    let stopped = false;
    const slowAt = Date.now() + SLOW_AFTER_MS;
    setProblem(null);
    setSlow(false);
    const poll = async () => {
      while (!stopped) {
        try {
          const found = await api.report(sessionId);
          if (stopped) return;
          setReport(found);
          setProblem(null);
          if (found.feedback) return;
        } catch (error) {
          // 404: history has not heard of the session yet; anything else is worth saying.
          if (!(error instanceof ApiError && error.status === 404)) setProblem(messageOf(error));
        }
        if (Date.now() > slowAt) setSlow(true);
        await sleep(POLL_MS);
      }
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [api, sessionId]);

  const retake = async () => {
    if (!report) return;
    setRetaking(true);
    try {
      const next = await api.retake(report.interview_id);
      navigate({ screen: "room", interviewId: next.id });
    } catch (error) {
      setProblem(messageOf(error));
      setRetaking(false);
    }
  };

  const feedback = report?.feedback;
  const questionText = new Map(report?.questions.map((q) => [q.question_id, q]) ?? []);
  return (
    <section className="feedback">
      <Title>Your feedback</Title>
      {problem && <Notice kind="error">{problem} This page keeps trying.</Notice>}
      {!feedback && (
        <p className="loading" role="status">
          {slow
            ? "Scoring is taking longer than usual; this page keeps checking and updates by itself."
            : "Scoring your interview… this page updates by itself."}
        </p>
      )}
      {feedback && (
        <>
          <div className="overall">
            {feedback.gradable && feedback.overall_score !== null ? (
              <>
                <span className="score" aria-label={`Overall score ${feedback.overall_score} out of 100`}>
                  {feedback.overall_score}
                </span>
                <span className="out-of">/ 100 overall</span>
              </>
            ) : (
              <span className="score ungraded">Not graded</span>
            )}
            <p className="assessment">{feedback.final_assessment}</p>
          </div>
          {feedback.warnings.map((w) => (
            <Notice kind="warning" key={w}>
              {w}
            </Notice>
          ))}
          <div className="actions">
            <button type="button" disabled={retaking} onClick={() => void retake()}>
              {retaking ? "Preparing retake…" : "Retake this interview"}
            </button>
            <Link to={{ screen: "history" }}>See your progress</Link>
          </div>

          <h2>Categories</h2>
          <ul className="categories">
            {CATEGORIES.map((name) => {
              const category = feedback.categories[name];
              if (!category) return null;
              return (
                <li key={name} className="card">
                  <h3>
                    {label(name)} <span className="pill">{category.score}</span>
                  </h3>
                  <meter min={0} max={100} low={50} high={75} optimum={100} value={category.score}>
                    {category.score} / 100
                  </meter>
                  <p>{category.rationale}</p>
                  {category.evidence.length > 0 && (
                    <>
                      <h4>What you said</h4>
                      {category.evidence.map((quote, i) => (
                        <blockquote key={i}>“{quote}”</blockquote>
                      ))}
                    </>
                  )}
                </li>
              );
            })}
          </ul>

          <div className="columns">
            <div>
              <h2>Strengths</h2>
              <ul>
                {feedback.strengths.map((s) => (
                  <li key={s}>{s}</li>
                ))}
              </ul>
            </div>
            <div>
              <h2>To improve</h2>
              <ul>
                {feedback.improvements.map((s) => (
                  <li key={s}>{s}</li>
                ))}
              </ul>
            </div>
          </div>

          <h2>Question by question</h2>
          <ol className="questions">
            {feedback.questions.map((result) => {
              const asked = questionText.get(result.question_id);
              return (
                <li key={result.question_id} className="card">
                  <h3>
                    {asked?.text ?? result.question_id} <span className="pill">{result.score}</span>
                  </h3>
                  <p>{result.summary}</p>
                  {asked?.answer && (
                    <p className="answer">
                      <strong>Your answer:</strong> {asked.answer}
                    </p>
                  )}
                  {result.covered_points.length > 0 && (
                    <p>
                      <strong>Covered:</strong> {result.covered_points.join("; ")}
                    </p>
                  )}
                  {result.missed_points.length > 0 && (
                    <p>
                      <strong>Missed:</strong> {result.missed_points.join("; ")}
                    </p>
                  )}
                </li>
              );
            })}
          </ol>

          {feedback.speech && (
            <>
              <h2>How you spoke</h2>
              <dl className="meta">
                {Object.entries(feedback.speech).map(([name, value]) => (
                  <div key={name}>
                    <dt>{label(name)}</dt>
                    <dd>{value === null ? "—" : Math.round(value * 10) / 10}</dd>
                  </div>
                ))}
              </dl>
            </>
          )}
        </>
      )}
    </section>
  );
}
