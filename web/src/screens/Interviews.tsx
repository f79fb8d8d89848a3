import { useCallback, useEffect, useState } from "react";
import type { Attempt, Interview, InterviewRecord, MocksyApi } from "../api";
import { messageOf } from "../errors";
import { navigate } from "../router";
import { Link, Notice, Title, label, when } from "../ui";

export function InterviewsScreen({ api }: { api: MocksyApi }) {
  const [interviews, setInterviews] = useState<Interview[] | null>(null);
  const [records, setRecords] = useState<Map<string, InterviewRecord>>(new Map());
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(() => {
    setProblem(null);
    api
      .interviews()
      .then((page) => setInterviews(page.items))
      .catch((error: unknown) => setProblem(messageOf(error)));
    // Scores come from history; the list still works without them when history is down.
    api
      .interviewRecords()
      .then((page) => setRecords(new Map(page.items.map((r) => [r.interview_id, r]))))
      .catch(() => setRecords(new Map()));
  }, [api]);
  useEffect(load, [load]);

  const retake = async (interview: Interview) => {
    setBusy(interview.id);
    try {
      const next = await api.retake(interview.id);
      navigate({ screen: "room", interviewId: next.id });
    } catch (error) {
      setProblem(messageOf(error));
      setBusy(null);
    }
  };

  return (
    <section>
      <Title>Your interviews</Title>
      {problem && (
        <Notice kind="error">
          {problem}{" "}
          <button type="button" onClick={load}>
            Try again
          </button>
        </Notice>
      )}
      {interviews === null && !problem && <p className="loading">Loading your interviews…</p>}
      {interviews?.length === 0 && (
        <p>
          No interviews yet. <Link to={{ screen: "setup" }}>Set one up</Link> in a short chat.
        </p>
      )}
      <ul className="cards">
        {interviews?.map((interview) => {
          const record = records.get(interview.id);
          return (
            <li key={interview.id} className="card interview">
              <h2>
                {label(interview.level)} {interview.role} · {interview.interview_type}
              </h2>
              <dl className="meta">
                <dt>Questions</dt>
                <dd>{interview.question_count}</dd>
                <dt>Tech stack</dt>
                <dd>{interview.tech_stack.join(", ") || "—"}</dd>
                <dt>Created</dt>
                <dd>{when(interview.created_at)}</dd>
                <dt>Source</dt>
                <dd>{label(interview.source)}</dd>
                <dt>Attempts</dt>
                <dd>{record?.attempts ?? 0}</dd>
                <dt>Last score</dt>
                <dd>{record?.last_score ?? "—"}</dd>
                <dt>Best score</dt>
                <dd>{record?.best_score ?? "—"}</dd>
              </dl>
              <div className="actions">
                <button type="button" onClick={() => navigate({ screen: "room", interviewId: interview.id })}>
                  Start interview
                </button>
                <button
                  type="button"
                  className="secondary"
                  disabled={busy === interview.id}
                  onClick={() => void retake(interview)}
                >
                  {busy === interview.id ? "Preparing retake…" : "Retake (same questions)"}
                </button>
              </div>
              {record && record.attempts > 0 && <Attempts api={api} interviewId={interview.id} />}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Attempts({ api, interviewId }: { api: MocksyApi; interviewId: string }) {
  const [attempts, setAttempts] = useState<Attempt[] | null>(null);
  useEffect(() => {
    api
      .attempts(interviewId)
      .then((page) => setAttempts(page.items))
      .catch(() => setAttempts([]));
  }, [api, interviewId]);
  if (!attempts?.length) return null;
  return (
    <details className="attempts">
      <summary>Attempts ({attempts.length})</summary>
      <ul>
        {attempts.map((a) => (
          <li key={a.session_id}>
            <Link to={{ screen: "feedback", sessionId: a.session_id }}>
              {when(a.at)} — {a.status === "graded" ? `score ${a.overall_score ?? "?"}` : label(a.status)}
            </Link>
          </li>
        ))}
      </ul>
    </details>
  );
}
