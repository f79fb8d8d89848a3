import { type FormEvent, useEffect, useState } from "react";
import { CATEGORIES, type Comparison, type Insight, type MocksyApi, type Progress } from "../api";
import { chartPoints, polyline } from "../chart";
import { messageOf } from "../errors";
import { Link, Notice, Title, label, when } from "../ui";

const BOX = { width: 640, height: 260, padding: 28 };
const TREND_TEXT: Record<string, string> = {
  improving: "improving",
  declining: "slipping",
  flat: "holding steady",
  not_enough_data: "a trend shows after a few more attempts",
};

export function HistoryScreen({ api }: { api: MocksyApi }) {
  const [progress, setProgress] = useState<Progress | null>(null);
  // undefined: history could not say (the page's error already tells why).
  const [insights, setInsights] = useState<Insight[] | null | undefined>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    api
      .progress()
      .then(setProgress)
      .catch((error: unknown) => setProblem(messageOf(error)));
    api
      .insights()
      .then((found) => setInsights(found.insights))
      .catch(() => setInsights(undefined));
  }, [api]);

  const series = progress?.all.overall;
  const points = series?.points ?? [];
  return (
    <section className="history">
      <Title>Your progress</Title>
      {problem && <Notice kind="error">{problem}</Notice>}
      {!progress && !problem && <p className="loading">Loading your progress…</p>}
      {progress && points.length === 0 && (
        <p>
          No graded attempts yet. <Link to={{ screen: "interviews" }}>Take an interview</Link> to start
          your chart.
        </p>
      )}
      {points.length > 0 && series && (
        <>
          <p className="summary">
            {points.length} graded {points.length === 1 ? "attempt" : "attempts"} · first {series.first} · latest{" "}
            {series.last} · best {series.best} · {TREND_TEXT[series.trend.direction] ?? series.trend.direction}
          </p>
          <ProgressChart scores={points.map((p) => p.score)} averages={points.map((p) => p.moving_average)} />
          <table className="data">
            <caption>Overall score by attempt</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Score</th>
                <th scope="col">Moving average</th>
                <th scope="col">Report</th>
              </tr>
            </thead>
            <tbody>
              {points.map((p, i) => (
                <tr key={p.session_id}>
                  <td>{i + 1}</td>
                  <td>{when(p.at)}</td>
                  <td>{p.score}</td>
                  <td>{Math.round(p.moving_average)}</td>
                  <td>
                    <Link to={{ screen: "feedback", sessionId: p.session_id }}>Feedback</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <h2>Insights</h2>
      {insights === null && <p className="loading">Looking for patterns…</p>}
      {insights === undefined && <p className="hint">Insights are not available right now.</p>}
      {insights?.length === 0 && <p className="hint">Insights appear after a few attempts.</p>}
      <ul className="insights">
        {insights?.map((insight) => (
          <li key={insight.kind + insight.subject} className={insight.kind}>
            {insight.summary}
          </li>
        ))}
      </ul>

      {points.length >= 2 && <Compare api={api} points={points.map((p) => ({ id: p.session_id, at: p.at, score: p.score }))} />}
    </section>
  );
}

function ProgressChart({ scores, averages }: { scores: number[]; averages: number[] }) {
  const dots = chartPoints(scores, BOX);
  const trend = chartPoints(averages, BOX);
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${BOX.width} ${BOX.height}`}
        role="img"
        aria-label={`Overall scores of ${scores.length} attempts: ${scores.join(", ")}`}
      >
        {[0, 25, 50, 75, 100].map((tick) => {
          const y = BOX.padding + (BOX.height - 2 * BOX.padding) * (1 - tick / 100);
          return (
            <g key={tick}>
              <line x1={BOX.padding} x2={BOX.width - BOX.padding} y1={y} y2={y} className="grid" />
              <text x={4} y={y + 4} className="tick">
                {tick}
              </text>
            </g>
          );
        })}
        <polyline points={polyline(trend)} className="average" />
        <polyline points={polyline(dots)} className="scores" />
        {dots.map((p, i) => (
          <circle key={i} cx={p.x} cy={p.y} r={5} className="point" data-score={scores[i]} />
        ))}
      </svg>
      <figcaption>Overall score per attempt (solid) and moving average (dashed).</figcaption>
    </figure>
  );
}

function Compare({ api, points }: { api: MocksyApi; points: { id: string; at: string; score: number }[] }) {
  const [a, setA] = useState(points[points.length - 2].id);
  const [b, setB] = useState(points[points.length - 1].id);
  const [result, setResult] = useState<Comparison | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const compare = async (event?: FormEvent) => {
    event?.preventDefault();
    setProblem(null);
    try {
      setResult(await api.compare(a, b));
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  const option = (p: { id: string; at: string; score: number }, i: number) => (
    <option key={p.id} value={p.id}>
      #{i + 1} · {when(p.at)} · {p.score}
    </option>
  );

  return (
    <section className="compare">
      <h2>Compare two attempts</h2>
      <form onSubmit={compare} className="inline">
        <label>
          Earlier <select value={a} onChange={(e) => setA(e.target.value)}>{points.map(option)}</select>
        </label>
        <label>
          Later <select value={b} onChange={(e) => setB(e.target.value)}>{points.map(option)}</select>
        </label>
        <button type="submit">Compare</button>
      </form>
      {problem && <Notice kind="error">{problem}</Notice>}
      {result && (
        <div className="comparison">
          <p className="summary">
            Overall {result.a.overall_score ?? "—"} → {result.b.overall_score ?? "—"}{" "}
            <Change value={result.overall_change} />
          </p>
          <table className="data">
            <caption>Category changes</caption>
            <tbody>
              {CATEGORIES.map((name) => (
                <tr key={name}>
                  <th scope="row">{label(name)}</th>
                  <td>
                    <Change value={result.category_changes[name] ?? null} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.questions.length > 0 && (
            <table className="data">
              <caption>Questions</caption>
              <thead>
                <tr>
                  <th scope="col">Question</th>
                  <th scope="col">Earlier</th>
                  <th scope="col">Later</th>
                  <th scope="col">Change</th>
                </tr>
              </thead>
              <tbody>
                {result.questions.map((row, i) => (
                  <tr key={i}>
                    <td>{row.b?.text ?? row.a?.text ?? "—"}</td>
                    <td>{row.a?.score ?? "—"}</td>
                    <td>{row.b?.score ?? "—"}</td>
                    <td>
                      <Change value={row.score_change} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}

function Change({ value }: { value: number | null }) {
  if (value === null) return <span className="change">—</span>;
  if (value === 0) return <span className="change">no change</span>;
  const sign = value > 0 ? "+" : "";
  return <span className={`change ${value > 0 ? "up" : value < 0 ? "down" : ""}`}>{`${sign}${value}`}</span>;
}
