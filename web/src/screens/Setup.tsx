import { type FormEvent, useEffect, useRef, useState } from "react";
import type { MocksyApi, SetupReply } from "../api";
import { messageOf } from "../errors";
import { navigate } from "../router";
import { Notice, Title, label } from "../ui";

interface Line {
  from: "mocksy" | "you";
  text: string;
}

export function SetupScreen({ api }: { api: MocksyApi }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [reply, setReply] = useState<SetupReply | null>(null);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const log = useRef<HTMLOListElement>(null);

  const start = () => {
    setProblem(null);
    api
      .startSetup()
      .then((first) => {
        setReply(first);
        setLines([{ from: "mocksy", text: first.reply }]);
      })
      .catch((error: unknown) => setProblem(messageOf(error)));
  };
  useEffect(start, [api]);
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: "nearest" });
  }, [lines]);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const message = text.trim();
    if (!reply || !message || busy) return;
    setBusy(true);
    setProblem(null);
    setLines((old) => [...old, { from: "you", text: message }]);
    setText("");
    try {
      const next = await api.sendSetupMessage(reply.setup_id, message);
      setReply(next);
      setLines((old) => [...old, { from: "mocksy", text: next.reply }]);
      if (next.done) {
        const interview = await api.confirmSetup(next.setup_id);
        setLines((old) => [
          ...old,
          { from: "mocksy", text: `Your interview is ready: ${interview.question_count} questions.` },
        ]);
        navigate({ screen: "room", interviewId: interview.id });
        return;
      }
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setBusy(false);
      input.current?.focus();
    }
  };

  const slots = reply?.slots;
  return (
    <section className="setup">
      <Title>Set up an interview</Title>
      <p className="hint">
        Tell Mocksy what to practise, all at once or step by step — for example “a junior backend
        behavioral interview on Python, 3 questions”.
      </p>
      {problem && (
        <Notice kind="error">
          {problem}{" "}
          {!reply && (
            <button type="button" onClick={start}>
              Try again
            </button>
          )}
        </Notice>
      )}
      <ol className="chat" ref={log} aria-live="polite" aria-label="Setup conversation">
        {lines.map((line, i) => (
          <li key={i} className={line.from}>
            <span className="speaker">{line.from === "you" ? "You" : "Mocksy"}</span>
            <p>{line.text}</p>
          </li>
        ))}
      </ol>
      {reply?.problems.map((p) => (
        <Notice kind="warning" key={p.slot + p.value}>
          {p.message}
          {p.suggestions.length > 0 && ` Try: ${p.suggestions.join(", ")}.`}
        </Notice>
      ))}
      <form className="composer" onSubmit={send}>
        <label htmlFor="setup-message" className="visually-hidden">
          Your message
        </label>
        <input
          id="setup-message"
          ref={input}
          value={text}
          maxLength={1000}
          autoComplete="off"
          placeholder={reply?.asking === "confirmation" ? "Yes, or what to change" : "Type your answer"}
          onChange={(e) => setText(e.target.value)}
          disabled={!reply}
          autoFocus
        />
        <button type="submit" disabled={!reply || busy || !text.trim()}>
          {busy ? "Sending…" : "Send"}
        </button>
      </form>
      {slots && (
        <dl className="slots" aria-label="What Mocksy understood so far">
          <dt>Role</dt>
          <dd>{slots.role ? label(slots.role) : "—"}</dd>
          <dt>Type</dt>
          <dd>{slots.interview_type ? label(slots.interview_type) : "—"}</dd>
          <dt>Level</dt>
          <dd>{slots.level ? label(slots.level) : "—"}</dd>
          <dt>Questions</dt>
          <dd>{slots.question_count ?? "—"}</dd>
          <dt>Tech stack</dt>
          <dd>{slots.tech_stack.length ? slots.tech_stack.join(", ") : "—"}</dd>
        </dl>
      )}
    </section>
  );
}
