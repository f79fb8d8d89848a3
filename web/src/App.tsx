import { useEffect, useMemo, useRef, useState } from "react";
import { MocksyApi } from "./api";
import { Session, beginSignIn, browserTokens } from "./auth";
import { type AppConfig, loadConfig } from "./config";
import { messageOf } from "./errors";
import { navigate, useRoute, type Route } from "./router";
import { FeedbackScreen } from "./screens/Feedback";
import { HistoryScreen } from "./screens/History";
import { InterviewsScreen } from "./screens/Interviews";
import { RoomScreen } from "./screens/Room";
import { SetupScreen } from "./screens/Setup";
import { Link, Notice } from "./ui";

export function App() {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [news, setNews] = useState<string | null>(null);
  const route = useRoute();
  const tokens = useMemo(browserTokens, []);

  useEffect(() => {
    loadConfig()
      .then((loaded) => {
        setConfig(loaded);
        setSession(Session.restore(loaded, tokens));
      })
      .catch((error: unknown) =>
        setProblem(`Mocksy could not load its settings (${messageOf(error)}). Reload the page.`),
      );
  }, [tokens]);

  // One sign-in per browser: follow the other tabs signing in and out.
  useEffect(() => {
    if (!config) return;
    return tokens.onChange((stored) => {
      if (stored === null) {
        setSession(null);
        setNews("You signed out in another tab.");
      } else {
        setNews(null);
        setSession((current) => current ?? Session.restore(config, tokens));
      }
    });
  }, [config, tokens]);

  useEffect(() => {
    if (!config || route.screen !== "callback") return;
    Session.complete(config, tokens, window.location.search)
      .then(([signedIn, returnTo]) => {
        setSession(signedIn);
        window.history.replaceState(null, "", returnTo);
        window.dispatchEvent(new PopStateEvent("popstate"));
      })
      .catch((error: unknown) => {
        setProblem(`Sign-in did not complete: ${messageOf(error)}`);
        navigate({ screen: "home" }, true);
      });
  }, [config, tokens, route.screen]);

  const api = useMemo(() => (config && session ? new MocksyApi(config, session) : null), [config, session]);

  if (problem && !config) return <Notice kind="error">{problem}</Notice>;
  if (!config || route.screen === "callback") return <p className="loading">Loading Mocksy…</p>;

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Mocksy</span>
        {session && (
          <nav aria-label="Main">
            <Link to={{ screen: "interviews" }} current={route}>
              Interviews
            </Link>
            <Link to={{ screen: "setup" }} current={route}>
              New interview
            </Link>
            <Link to={{ screen: "history" }} current={route}>
              Progress
            </Link>
            <span className="who">Signed in as {session.displayName}</span>
            <button type="button" className="quiet" onClick={() => session.signOut()}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main id="main">
        {problem && (
          <Notice kind="error" onDismiss={() => setProblem(null)}>
            {problem}
          </Notice>
        )}
        {news && (
          <Notice kind="info" onDismiss={() => setNews(null)}>
            {news}
          </Notice>
        )}
        {api ? <Screen route={route} api={api} /> : <Welcome config={config} />}
      </main>
    </>
  );
}

function Screen({ route, api }: { route: Route; api: MocksyApi }) {
  switch (route.screen) {
    case "home":
    case "interviews":
      return <InterviewsScreen api={api} />;
    case "setup":
      return <SetupScreen api={api} />;
    case "room":
      return <RoomScreen api={api} interviewId={route.interviewId} />;
    case "feedback":
      return <FeedbackScreen api={api} sessionId={route.sessionId} />;
    case "history":
      return <HistoryScreen api={api} />;
    default:
      return (
        <Notice kind="error">
          There is no page here. <Link to={{ screen: "interviews" }}>Go to your interviews</Link>.
        </Notice>
      );
  }
}

function Welcome({ config }: { config: AppConfig }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="welcome">
      <h1 tabIndex={-1} ref={heading}>
        Practise interviews out loud
      </h1>
      <p>
        Mocksy's interviewer speaks, listens, asks follow-ups and then shows you — with quotes from
        your own answers — what to improve. You need a microphone; no camera.
      </p>
      <div className="actions">
        <button type="button" onClick={() => void beginSignIn(config, true)}>
          Create an account
        </button>
        <button type="button" className="secondary" onClick={() => void beginSignIn(config, false)}>
          Sign in
        </button>
      </div>
    </section>
  );
}
