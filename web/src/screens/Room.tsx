import {
  DisconnectReason,
  type Participant,
  type RemoteTrack,
  type RemoteTrackPublication,
  Room,
  RoomEvent,
  Track,
} from "livekit-client";
import { useCallback, useEffect, useRef, useState } from "react";
import { ENDED_STATES, type Interview, type MocksyApi, type SessionJoin, type SessionView } from "../api";
import {
  STATE_TEXT,
  applyCaption,
  interviewerState,
  loudness,
  type Caption,
  type InterviewerState,
} from "../captions";
import { ApiError, messageOf } from "../errors";
import { navigate } from "../router";
import { Notice, Title, label, sleep } from "../ui";

const BACKCHANNEL_TRACK = "background_audio";
const AGENT_STATE = "lk.agent.state";
// The interviewer's "end now" (voice_agent.worker.main.END_NOW_RPC) and how long to wait for it.
const END_NOW_RPC = "mocksy.end_interview";
const END_NOW_TIMEOUT_MS = 5_000;
const TRANSCRIPTION_TOPIC = "lk.transcription";
// The sessions API learns of a new interview from Kafka a moment after it was created.
const NEW_INTERVIEW_WAIT_MS = 20_000;

type Phase =
  | { kind: "ready" }
  | { kind: "joining" }
  | { kind: "live" }
  | { kind: "dropped"; why: string }
  | { kind: "left" }
  | { kind: "finished" };

const storedSessionKey = (interviewId: string) => `mocksy.session.${interviewId}`;

export function RoomScreen({ api, interviewId }: { api: MocksyApi; interviewId: string }) {
  const [interview, setInterview] = useState<Interview | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: "ready" });
  const [problem, setProblem] = useState<string | null>(null);
  const [captions, setCaptions] = useState<Caption[]>([]);
  const [agent, setAgent] = useState<InterviewerState>("away");
  const [backchannel, setBackchannel] = useState(false);
  const [muted, setMuted] = useState(false);
  // Out of the room, whether a resume can go ahead yet (see the watch below).
  const [resumable, setResumable] = useState(false);
  // A blip livekit-client is riding out by itself; the interview carries on when it is back.
  const [reconnecting, setReconnecting] = useState(false);
  const [confirmingEnd, setConfirmingEnd] = useState(false);
  const [ending, setEnding] = useState(false);
  const [view, setView] = useState<SessionView | null>(null);
  const [sessionId, setSessionId] = useState<string | null>(() =>
    sessionStorage.getItem(storedSessionKey(interviewId)),
  );
  const room = useRef<Room | null>(null);
  const leaving = useRef(false);
  const audio = useRef<HTMLDivElement>(null);
  const endButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    api
      .interview(interviewId)
      .then(setInterview)
      .catch((error: unknown) => setProblem(messageOf(error)));
  }, [api, interviewId]);

  // A session stored from an earlier visit may still be resumable.
  useEffect(() => {
    if (!sessionId || phase.kind !== "ready") return;
    api
      .voiceSession(sessionId)
      .then((found) => {
        setView(found);
        if (ENDED_STATES.includes(found.state)) {
          sessionStorage.removeItem(storedSessionKey(interviewId));
          setSessionId(null);
        }
      })
      .catch(() => setSessionId(null));
    // Only on arrival: later changes come from the live session.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const finish = useCallback(
    (id: string) => {
      leaving.current = true;
      sessionStorage.removeItem(storedSessionKey(interviewId));
      void room.current?.disconnect();
      setPhase({ kind: "finished" });
      navigate({ screen: "feedback", sessionId: id });
    },
    [interviewId],
  );

  // A fresh look at the session: shown, and once it has ended, its feedback is next (true).
  const settle = useCallback(
    (id: string, found: SessionView): boolean => {
      setView(found);
      if (!ENDED_STATES.includes(found.state)) return false;
      finish(id);
      return true;
    },
    [finish],
  );

  const connect = useCallback(
    async (join: SessionJoin) => {
      const lk = new Room({
        adaptiveStream: false,
        dynacast: false,
        disconnectOnPageLeave: true,
        // Muting releases the microphone, so the browser's recording indicator goes off too.
        publishDefaults: { stopMicTrackOnMute: true },
      });
      room.current = lk;
      leaving.current = false;
      const me = () => lk.localParticipant.identity;

      lk.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, publication: RemoteTrackPublication) => {
        if (track.kind !== Track.Kind.Audio) return;
        const element = track.attach();
        audio.current?.appendChild(element);
        if (publication.trackName === BACKCHANNEL_TRACK) watchBackchannel(track, setBackchannel);
      });
      lk.on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack) => track.detach().forEach((e) => e.remove()));
      const readAgent = (participant: Participant) => {
        if (participant.identity !== me() && participant.attributes[AGENT_STATE] !== undefined) {
          setAgent(interviewerState(participant.attributes[AGENT_STATE]));
        }
      };
      lk.on(RoomEvent.ParticipantAttributesChanged, (_changed, participant) => readAgent(participant));
      lk.on(RoomEvent.ParticipantConnected, readAgent);
      lk.on(RoomEvent.ParticipantDisconnected, (participant) => {
        if (participant.attributes[AGENT_STATE] !== undefined) setAgent("away");
      });
      lk.registerTextStreamHandler(TRANSCRIPTION_TOPIC, async (reader, from) => {
        const attributes = reader.info.attributes ?? {};
        const segmentId = attributes["lk.segment_id"] ?? reader.info.id;
        const speaker = from.identity === me() ? "you" : "interviewer";
        let text = "";
        for await (const chunk of reader) {
          text += chunk;
          setCaptions((old) => applyCaption(old, { segmentId, speaker, text, final: false }));
        }
        // A segment's stream closes when the line is complete.
        setCaptions((old) => applyCaption(old, { segmentId, speaker, text, final: true }));
      });
      // A lost signal connection is resumed (SignalReconnecting); a lost media path is rebuilt
      // (Reconnecting). Either ends in Reconnected, or in Disconnected once livekit gives up.
      lk.on(RoomEvent.SignalReconnecting, () => setReconnecting(true));
      lk.on(RoomEvent.Reconnecting, () => setReconnecting(true));
      lk.on(RoomEvent.Reconnected, () => setReconnecting(false));
      lk.on(RoomEvent.Disconnected, (reason?: DisconnectReason) => {
        setAgent("away");
        setReconnecting(false);
        if (leaving.current) return;
        void api
          .voiceSession(join.session_id)
          .then((found) => {
            if (settle(join.session_id, found)) return;
            setPhase({ kind: "dropped", why: dropReason(reason) });
          })
          .catch(() => setPhase({ kind: "dropped", why: dropReason(reason) }));
      });

      try {
        await lk.connect(join.livekit_url, join.token);
      } catch {
        throw new Error(
          "The voice server is not answering, so the room could not open. Your interview is saved; try again in a moment.",
        );
      }
      try {
        await lk.localParticipant.setMicrophoneEnabled(true, {
          echoCancellation: true,
          noiseSuppression: true,
        });
      } catch (error) {
        leaving.current = true;
        await lk.disconnect();
        throw error;
      }
      for (const participant of lk.remoteParticipants.values()) readAgent(participant);
      await lk.startAudio();
      setMuted(false);
      setPhase({ kind: "live" });
    },
    [api, settle],
  );

  const join = async (resume: boolean) => {
    setProblem(null);
    setPhase({ kind: "joining" });
    try {
      await checkMicrophone();
      let grant: SessionJoin;
      if (resume && sessionId) {
        grant = await api.resumeSession(sessionId);
      } else {
        grant = await startWhenKnown(api, interviewId);
        sessionStorage.setItem(storedSessionKey(interviewId), grant.session_id);
        setSessionId(grant.session_id);
        setCaptions([]);
      }
      await connect(grant);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && sessionId) {
        // The session ended while we were away: its feedback is what is left to see.
        finish(sessionId);
        return;
      }
      setProblem(microphoneMessage(error) ?? messageOf(error));
      setPhase(resume ? { kind: "dropped", why: "Resuming did not work." } : { kind: "ready" });
    }
  };

  const toggleMicrophone = async () => {
    const lk = room.current;
    if (!lk) return;
    try {
      await lk.localParticipant.setMicrophoneEnabled(muted);
      setMuted(!muted);
    } catch (error) {
      setProblem(microphoneMessage(error) ?? messageOf(error));
    }
  };

  // Ends the session for good (ended_early); scoring grades the questions answered so far.
  const endNow = async () => {
    if (!sessionId) return;
    setEnding(true);
    // The service closes the room: that disconnect is expected, not a drop to resume from.
    const wasLeaving = leaving.current;
    leaving.current = true;
    // The interviewer first, so it keeps what you were in the middle of saying; the service
    // ends the session either way (after at most END_NOW_TIMEOUT_MS without an answer).
    await askInterviewerToEnd(room.current);
    try {
      await api.endSession(sessionId);
    } catch (error) {
      leaving.current = wasLeaving;
      setProblem(`The interview could not be ended: ${messageOf(error)}`);
      setEnding(false);
      return;
    }
    setConfirmingEnd(false);
    finish(sessionId);
  };

  const leave = async () => {
    leaving.current = true;
    await room.current?.disconnect();
    setAgent("away");
    setPhase({ kind: "left" });
  };

  // While live, follow the session: the question number, and the end of the interview.
  useEffect(() => {
    if (phase.kind !== "live" || !sessionId) return;
    // A missed poll is harmless; the room's own events report a real drop.
    return pollSession(api, sessionId, 2500, (found) => settle(sessionId, found));
  }, [api, phase.kind, sessionId, settle]);

  // Out of the room: wait until the session can be resumed, or has ended (then its feedback is
  // next).
  useEffect(() => {
    if ((phase.kind !== "dropped" && phase.kind !== "left") || !sessionId) return;
    setResumable(false);
    // Unreachable for a while: the button stays off and the next look decides.
    return pollSession(api, sessionId, 1500, (found) => {
      if (settle(sessionId, found)) return true;
      // After a leave the interviewer goes too: wait until it has (interrupted), so the resume
      // sends in a new one. After a network drop it stays in the room waiting for the
      // candidate, so the session stays live and the resume rejoins it there.
      if (found.state !== "interrupted" && phase.kind !== "dropped") return false;
      setResumable(true);
      return true;
    });
  }, [api, phase.kind, sessionId, settle]);

  useEffect(
    () => () => {
      leaving.current = true;
      void room.current?.disconnect();
    },
    [],
  );

  const question = view?.current_question;
  return (
    <section className="room">
      <Title>Interview room</Title>
      {interview && (
        <p className="hint">
          {label(interview.level)} {interview.role} · {interview.interview_type} ·{" "}
          {interview.question_count} questions{interview.tech_stack.length ? ` · ${interview.tech_stack.join(", ")}` : ""}
        </p>
      )}
      {problem && <Notice kind="error">{problem}</Notice>}

      {phase.kind === "ready" && (
        <div className="panel">
          <p>
            The interviewer will greet you, ask each question, and may ask a follow-up. Answer out loud;
            pausing to think is fine. Captions of both sides appear below.
          </p>
          <div className="actions">
            {sessionId && view && !ENDED_STATES.includes(view.state) && (
              <button type="button" onClick={() => void join(true)}>
                Resume where you left off
              </button>
            )}
            <button
              type="button"
              className={sessionId && view ? "secondary" : undefined}
              onClick={() => void join(false)}
            >
              {sessionId && view ? "Start over" : "Join the interview"}
            </button>
          </div>
        </div>
      )}
      {phase.kind === "joining" && <p className="loading">Connecting your microphone and the interviewer…</p>}
      {phase.kind === "dropped" && (
        <Notice kind="warning">
          The connection dropped ({phase.why}). Your answers so far are saved.{" "}
          <button type="button" disabled={!resumable} onClick={() => void join(true)}>
            {resumable ? "Resume the interview" : "Saving your place…"}
          </button>
        </Notice>
      )}
      {phase.kind === "left" && (
        <Notice kind="info">
          You left the interview. The interviewer waits about two minutes; resume to carry on from the
          same question, or let it end and see your feedback.{" "}
          <button type="button" disabled={!resumable} onClick={() => void join(true)}>
            {resumable ? "Resume the interview" : "Saving your place…"}
          </button>
        </Notice>
      )}

      {(phase.kind === "live" || phase.kind === "dropped" || phase.kind === "left") && (
        <div className="stage">
          <div className={`interviewer ${agent}`} aria-live="polite">
            <span className="orb" aria-hidden="true" />
            <span className="state" data-state={agent}>
              {phase.kind === "live" ? STATE_TEXT[agent] : "Paused — you are out of the room"}
            </span>
            <span className={`backchannel${backchannel ? " on" : ""}`} aria-hidden={!backchannel} title="The interviewer is acknowledging you">
              mhm
            </span>
          </div>
          {question && (
            <p className="progress-line">
              Question {question.number} of {view?.question_count}
            </p>
          )}
          {phase.kind === "live" && (
            <>
              <button
                type="button"
                className="secondary"
                onClick={() => void toggleMicrophone()}
              >
                {muted ? "Unmute microphone" : "Mute microphone"}
              </button>
              {muted && <span className="muted-note">Your microphone is off; the interviewer hears nothing.</span>}
              <button type="button" className="danger" onClick={() => void leave()}>
                Leave interview
              </button>
            </>
          )}
          {sessionId && !confirmingEnd && (
            <button type="button" className="secondary" ref={endButton} onClick={() => setConfirmingEnd(true)}>
              End interview now
            </button>
          )}
        </div>
      )}
      {reconnecting && phase.kind === "live" && (
        <Notice kind="info">Reconnecting… The interview carries on as soon as the connection is back.</Notice>
      )}
      {confirmingEnd && sessionId && (
        <EndConfirmation
          ending={ending}
          onEnd={() => void endNow()}
          onCancel={() => {
            setConfirmingEnd(false);
            // Back to the button that opened it, for a keyboard user.
            window.setTimeout(() => endButton.current?.focus(), 0);
          }}
        />
      )}

      <section className="captions" aria-label="Captions">
        <h2>Captions</h2>
        {captions.length === 0 ? (
          <p className="hint">Captions of what you and the interviewer say appear here.</p>
        ) : (
          <ol aria-live="polite">
            {captions.map((c) => (
              <li key={c.segmentId} className={`by-${c.speaker}${c.final ? "" : " interim"}`}>
                <span className="speaker">{c.speaker === "you" ? "You" : "Interviewer"}</span> {c.text}
              </li>
            ))}
          </ol>
        )}
      </section>
      <div ref={audio} hidden />
    </section>
  );
}

/** Asks before ending for good; Escape or "Keep going" backs out. */
function EndConfirmation({ ending, onEnd, onCancel }: { ending: boolean; onEnd: () => void; onCancel: () => void }) {
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => confirm.current?.focus(), []);
  return (
    <div
      className="notice warning"
      role="alertdialog"
      aria-labelledby="end-question"
      aria-describedby="end-detail"
      onKeyDown={(event) => {
        if (event.key === "Escape") onCancel();
      }}
    >
      <div>
        <strong id="end-question">End the interview now?</strong>{" "}
        <span id="end-detail">
          You cannot come back to it. Your feedback covers the questions you have answered so far.
        </span>
      </div>
      <div className="actions">
        <button type="button" className="danger" ref={confirm} disabled={ending} onClick={onEnd}>
          {ending ? "Ending…" : "Yes, end it"}
        </button>
        <button type="button" className="secondary" disabled={ending} onClick={onCancel}>
          Keep going
        </button>
      </div>
    </div>
  );
}

async function checkMicrophone(): Promise<void> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error("This browser cannot use a microphone here (it needs a secure page or a newer browser).");
  }
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  stream.getTracks().forEach((t) => t.stop());
}

function microphoneMessage(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  if (error.name === "NotAllowedError" || error.name === "SecurityError") {
    return "Microphone access was denied. Allow the microphone for this site (the icon in the address bar), then join again.";
  }
  if (error.name === "NotFoundError" || error.name === "OverconstrainedError") {
    return "No microphone was found. Plug one in or pick one in your system settings, then join again.";
  }
  if (error.name === "NotReadableError") {
    return "The microphone is busy in another program. Close it there, then join again.";
  }
  return null;
}

function dropReason(reason?: DisconnectReason): string {
  switch (reason) {
    case DisconnectReason.SERVER_SHUTDOWN:
      return "the voice server restarted";
    case DisconnectReason.PARTICIPANT_REMOVED:
    case DisconnectReason.ROOM_DELETED:
      return "the room was closed";
    case DisconnectReason.DUPLICATE_IDENTITY:
      return "you joined from another tab";
    default:
      return "network trouble";
  }
}

/**
 * Looks at the session every `everyMs` until `seen` says that is enough (a failed look is
 * tried again). The returned function stops it (an effect's cleanup).
 */
function pollSession(
  api: MocksyApi,
  sessionId: string,
  everyMs: number,
  seen: (found: SessionView) => boolean,
): () => void {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        const found = await api.voiceSession(sessionId);
        if (stopped || seen(found)) return;
      } catch {
        // Not reachable this time: look again.
      }
      await sleep(everyMs);
    }
  })();
  return () => {
    stopped = true;
  };
}

async function startWhenKnown(api: MocksyApi, interviewId: string): Promise<SessionJoin> {
  const deadline = Date.now() + NEW_INTERVIEW_WAIT_MS;
  for (;;) {
    try {
      return await api.startSession(interviewId);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404) || Date.now() > deadline) throw error;
      await sleep(1000);
    }
  }
}

/** Ask the interviewer in the room to keep the words under way and end the interview. */
async function askInterviewerToEnd(lk: Room | null): Promise<void> {
  const agent = lk && [...lk.remoteParticipants.values()].find((p) => p.attributes[AGENT_STATE] !== undefined);
  if (!lk || !agent) return;
  try {
    await lk.localParticipant.performRpc({
      destinationIdentity: agent.identity,
      method: END_NOW_RPC,
      payload: "",
      responseTimeout: END_NOW_TIMEOUT_MS,
    });
  } catch {
    // An older or busy interviewer: the service's own end still ends the session.
  }
}

/** Light the back-channel cue while the interviewer's "mhm" track is sounding. */
function watchBackchannel(track: RemoteTrack, show: (on: boolean) => void): void {
  const media = track.mediaStreamTrack;
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(new MediaStream([media])).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  let lit = 0;
  const timer = window.setInterval(() => {
    if (media.readyState === "ended") {
      window.clearInterval(timer);
      void context.close();
      return;
    }
    analyser.getByteTimeDomainData(samples);
    if (loudness(samples) > 0.02) lit = Date.now();
    show(Date.now() - lit < 700);
  }, 100);
}
