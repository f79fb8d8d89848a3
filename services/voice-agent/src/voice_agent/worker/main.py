"""The interviewer worker: a LiveKit ``AgentServer`` that conducts one interview per job.

``mocksy-voice worker start`` runs it (``run``). It registers as ``mocksy-interviewer``; each
job's metadata names the session (``{"session_id": "..."}``), whose record in MongoDB holds the
interview and, after a dropped connection or a crash, the turns so far.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Final

from livekit import rtc
from livekit.agents import (
    AgentServer,
    AgentSession,
    AutoSubscribe,
    CloseEvent,
    JobContext,
    JobExecutorType,
    JobProcess,
    TurnHandlingOptions,
    cli,
    room_io,
)
from livekit.agents.voice.background_audio import BackgroundAudioPlayer

from common.events import InterviewSpec, Outcome, utcnow
from common.mongo import open_client
from voice_agent.domain import (
    BackchannelPolicy,
    Conductor,
    TurnTakingPolicy,
    TurnTakingRules,
)
from voice_agent.repository import MongoSessionStore, SessionRecord
from voice_agent.worker.backchannels import BackchannelCoach, render_clips
from voice_agent.worker.interviewer import ConductorModel, Interviewer, SessionClock
from voice_agent.worker.journal import SerialSessionStore, SessionStore, TranscriptJournal
from voice_agent.worker.metrics import worker_metrics
from voice_agent.worker.prepared_speech import PreparedSpeech
from voice_agent.worker.presence import CandidatePresence
from voice_agent.worker.providers import (
    VAD_SILENCE_S,
    SharedModels,
    SpeechStack,
    load_shared_models,
    speech_stack,
)
from voice_agent.worker.settings import InterviewerSettings
from voice_agent.worker.turn_detection import PolicyTurnDetector, RecentAudio

logger = logging.getLogger(__name__)

MODELS_KEY: Final = "mocksy-models"
# The room's "End interview now" asks the interviewer first (an RPC), so the words the
# candidate was in the middle of are kept; the sessions API's POST /end follows either way.
END_NOW_RPC: Final = "mocksy.end_interview"
# An RpcError code of ours (LiveKit's own are 1001-1999): the caller is not the candidate.
NOT_THE_CANDIDATE: Final = 403


def end_on_request(
    interviewer: Interviewer, detector: PolicyTurnDetector, candidate_identity: str
) -> Callable[[rtc.RpcInvocationData], Awaitable[str]]:
    """The handler of ``END_NOW_RPC``: the candidate's words so far are kept as their answer,
    everything is stored and the session finishes ``ended_early``. Replies with the number of
    words kept."""

    async def end_now(call: rtc.RpcInvocationData) -> str:
        if call.caller_identity != candidate_identity:
            raise rtc.RpcError(NOT_THE_CANDIDATE, "only the candidate can end this interview")
        kept = await interviewer.end_now(detector.open_words, detector.open_since)
        logger.info("the candidate ended the interview", extra={"kept_turn": kept is not None})
        return json.dumps({"kept_words": len(kept.text.split()) if kept else 0})

    return end_now


def session_id_of(metadata: str) -> str:
    """The session a job is for, from its dispatch metadata ``{"session_id": "..."}``."""
    try:
        session_id = json.loads(metadata or "{}").get("session_id")
    except (json.JSONDecodeError, AttributeError) as error:
        raise ValueError(
            f"job metadata must be JSON with a session_id, got {metadata!r}"
        ) from error
    if not isinstance(session_id, str) or not 1 <= len(session_id) <= 64:
        raise ValueError(f"job metadata session_id must be 1 to 64 characters, got {session_id!r}")
    return session_id


def turn_handling(
    settings: InterviewerSettings, detector: PolicyTurnDetector
) -> TurnHandlingOptions:
    """How the session takes turns: the policy's detector, think-time, VAD barge-in."""
    return {
        "turn_detection": detector,
        # The detector answers only once the policy's silence has passed; nothing to add.
        "endpointing": {"mode": "fixed", "min_delay": 0.0, "max_delay": 0.0},
        # Offline there is no adaptive (cloud) interruption detector: plain VAD barge-in.
        "interruption": {"enabled": True, "mode": "vad", "min_duration": 0.5},
        "preemptive_generation": {"enabled": False},
    }


def turn_taking_policy(settings: InterviewerSettings) -> TurnTakingPolicy:
    """The conductor's turn-taking policy with this worker's silences and threshold."""
    return TurnTakingPolicy(
        TurnTakingRules(
            end_silence_with_detector_ms=settings.end_of_turn_silence_ms,
            end_silence_when_sure_ms=settings.sure_end_silence_ms,
            sure_end_of_turn_threshold=settings.sure_end_of_turn_threshold,
            complete_answer_words=settings.complete_answer_words,
            end_silence_ms=max(settings.unsure_end_silence_ms, settings.end_of_turn_silence_ms),
            max_think_pause_ms=settings.max_think_pause_ms,
            end_of_turn_threshold=settings.end_of_turn_threshold,
        )
    )


def new_conductor(record: SessionRecord, policy: TurnTakingPolicy) -> Conductor:
    """The session's conductor: fresh, or rebuilt from its stored turns after a reconnect."""
    if record.turns:
        return Conductor.resume_from(
            record.interview, record.turns, seed=record.seed, turn_taking=policy
        )
    return Conductor(record.interview, seed=record.seed, turn_taking=policy)


class InterviewJob:
    """One interview in one room: the session, its store, heartbeat and back-channels."""

    def __init__(
        self,
        ctx: JobContext,
        settings: InterviewerSettings,
        store: SessionStore,
        models: SharedModels | None,
        *,
        speech: Callable[[InterviewSpec], SpeechStack] | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.store = store
        self.models = models
        self._speech = speech
        self.done = asyncio.Event()
        self.lost = False  # another worker holds the session now
        self.finished: Outcome | None = None

    async def run(self, session_id: str) -> None:
        """Conduct the interview until it ends, the candidate leaves, or the session is lost."""
        ctx, settings, store = self.ctx, self.settings, self.store
        record = await store.get(session_id)
        if record is None or record.finished:
            logger.warning(
                "no live session for this job",
                extra={"session_id": session_id, "state": record and record.state},
            )
            return
        await ctx.connect(auto_subscribe=AutoSubscribe.AUDIO_ONLY)
        # Ready before the candidate arrives: the language model takes a second to build.
        stack: SpeechStack = await asyncio.to_thread(self._speech_stack, record.interview)
        try:
            # Nobody is greeted in an empty room.
            async with asyncio.timeout(settings.join_timeout_s):
                candidate = await ctx.wait_for_participant()
        except TimeoutError:
            await self.abandon(session_id)
            return
        await store.activate(session_id, ctx.worker_id, utcnow())
        record = await store.get(session_id) or record
        clock = SessionClock((record.started_at or utcnow()).timestamp())
        policy = turn_taking_policy(settings)
        conductor = new_conductor(record, policy)
        journal = TranscriptJournal(
            store,
            session_id,
            lambda: conductor.turns,
            stored=len(record.turns),
            current_question=lambda: conductor.question_id,
        )
        audio = RecentAudio()
        detector = PolicyTurnDetector(policy, audio, stack.end_of_turn, vad_silence_s=VAD_SILENCE_S)

        async def finished(outcome: Outcome) -> None:
            self.finished = outcome
            if not await store.finish(session_id, outcome, utcnow()):
                logger.info("session was already finished", extra={"session_id": session_id})
            self.done.set()

        prepared = PreparedSpeech(stack.voice) if settings.prepare_replies else None
        interviewer = Interviewer(
            conductor,
            journal,
            clock,
            voice=stack.voice,
            rewriter=stack.rewriter,
            metrics=worker_metrics(),
            candidate_audio=audio,
            resumed=bool(record.turns),
            on_finished=finished,
            silence_check_interval_s=settings.silence_check_interval_s,
            prepared=prepared,
            timelines=detector.take_timeline,
        )
        if prepared is not None:
            detector.on_words = interviewer.anticipate
        session: AgentSession[Any] = AgentSession(
            stt=stack.stt,
            vad=stack.vad,
            llm=ConductorModel(),
            turn_handling=turn_handling(settings, detector),
            user_away_timeout=None,
        )
        session.on("close", self._on_close)
        detector.attach(session)
        player: BackgroundAudioPlayer | None = None
        coach: BackchannelCoach | None = None
        heartbeat = asyncio.create_task(self.keep_alive(session_id), name="heartbeat")
        # A candidate whose connection dropped may rejoin and carry on; one who stays away
        # lets the job end and the session wait, interrupted, for a resume.
        presence = CandidatePresence(
            ctx.room, candidate.identity, settings.candidate_away_s, self.done.set
        )
        presence.attach()
        try:
            await session.start(
                interviewer,
                room=ctx.room,
                room_options=room_io.RoomOptions(
                    close_on_disconnect=True, participant_identity=candidate.identity
                ),
            )
            ctx.room.local_participant.register_rpc_method(
                END_NOW_RPC, end_on_request(interviewer, detector, candidate.identity)
            )
            if settings.backchannels:
                player = BackgroundAudioPlayer()
                await player.start(room=ctx.room, agent_session=session)
                backchannel_policy = BackchannelPolicy(seed=record.seed)
                clips = await render_clips(stack.voice.neutral, backchannel_policy.rules.clips)
                coach = BackchannelCoach(
                    backchannel_policy, clips, player, conductor, journal, detector, clock
                )
                interviewer.backchannels = coach
                coach.attach(session)
            await self.done.wait()
        finally:
            heartbeat.cancel()
            presence.detach()
            await self._wind_down(session, interviewer, journal, coach, player, prepared)
            await self.leave(session_id)

    def _speech_stack(self, spec: InterviewSpec) -> SpeechStack:
        if self._speech is not None:
            return self._speech(spec)
        if self.models is None:
            raise ValueError("models are needed to build the offline speech stack")
        return speech_stack(self.settings, spec, self.models)

    async def abandon(self, session_id: str) -> None:
        """The candidate never joined: end the session (``ended_early``) and leave the room."""
        logger.warning("the candidate never joined", extra={"session_id": session_id})
        await self.ctx.room.disconnect()
        # Nobody came, so the attempt ends as one the candidate left; announced like any other.
        if await self.store.finish(session_id, "ended_early", utcnow()):
            self.finished = "ended_early"

    async def leave(self, session_id: str) -> None:
        """The conversation is over: unless the interview ended, the candidate may come back."""
        if self.finished is None and not self.lost:
            # The candidate left (or the job is being stopped): the grace period starts.
            # Out of the room first: a resume dispatches a new interviewer only into a room
            # without one.
            await self.ctx.room.disconnect()
            await self.store.set_state(session_id, "interrupted", at=utcnow())

    async def _wind_down(
        self,
        session: AgentSession[Any],
        interviewer: Interviewer,
        journal: TranscriptJournal,
        coach: BackchannelCoach | None,
        player: BackgroundAudioPlayer | None,
        prepared: PreparedSpeech | None,
    ) -> None:
        if coach is not None:
            await coach.aclose()
        if player is not None:
            await player.aclose()
        if prepared is not None:
            await prepared.aclose()
        # Closing ends the lines still playing; each is then stored as far as it was heard.
        await session.aclose()
        await interviewer.settle()
        await journal.drain()

    def _on_close(self, event: CloseEvent) -> None:
        logger.info("session closed: %s", event.reason)
        self.done.set()

    async def keep_alive(self, session_id: str) -> None:
        """Heartbeat until the session is lost; a failed beat is retried, never fatal."""
        while True:
            await asyncio.sleep(self.settings.heartbeat_interval_s)
            try:
                alive = await self.store.heartbeat(session_id, self.ctx.worker_id, utcnow())
            except Exception:  # the store is unreachable: keep interviewing, try again
                logger.warning("heartbeat failed", exc_info=True)
                continue
            if not alive:
                logger.warning("session taken over or ended", extra={"session_id": session_id})
                self.lost = True
                self.done.set()
                return


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, under another user
    return True


def _exit_once_orphaned(worker_pid: int, every_s: float = 1.0) -> None:
    """(A thread of each job process.) Exit as soon as the worker is gone; nothing else would
    ever end the process, and one with an interview would stay in the room, so a resume could
    not send a new interviewer. Observed in the kill drill: the interview's event loop makes no
    more progress then (it never reached its own clean-up), so only a thread can end it. Every
    turn is stored as it happens, and the sessions API marks the session interrupted once its
    heartbeats stop."""
    while _running(worker_pid):
        time.sleep(every_s)
    os._exit(0)


def prewarm(proc: JobProcess, worker_pid: int | None = None) -> None:
    """Load the shared models when a job process starts, before any job arrives; watch the
    worker process ``worker_pid`` and exit if it dies."""
    proc.userdata[MODELS_KEY] = load_shared_models()
    if worker_pid is not None and worker_pid != os.getpid():
        threading.Thread(
            target=_exit_once_orphaned, args=(worker_pid,), name="orphan-watch", daemon=True
        ).start()


async def conduct_interview(ctx: JobContext, settings: InterviewerSettings | None = None) -> None:
    """A job: conduct the interview of the session named in the job's metadata."""
    settings = settings or InterviewerSettings()
    session_id = session_id_of(ctx.job.metadata)
    ctx.log_context_fields = {"session_id": session_id}
    prewarmed = ctx.proc.userdata.get(MODELS_KEY)
    models = (
        prewarmed
        if isinstance(prewarmed, SharedModels)
        else await asyncio.to_thread(load_shared_models)
    )
    metrics = worker_metrics()
    metrics.sessions.inc()
    try:
        async with open_client(settings.mongodb_uri, "mocksy-voice-worker") as client:
            store = SerialSessionStore(MongoSessionStore(client[settings.database]["sessions"]))
            await InterviewJob(ctx, settings, store, models).run(session_id)
    finally:
        metrics.sessions.dec()
        ctx.shutdown("interview over")


def full_load(max_sessions: int) -> float:
    """The load at which LiveKit stops sending jobs: reached when the last slot is taken."""
    # With n slots the load steps by 1/n; LiveKit wants a threshold below 1 in production.
    return (max_sessions - 0.5) / max_sessions


def session_load(max_sessions: int) -> Callable[[AgentServer], float]:
    """Load as LiveKit sees it: the share of this worker's interview slots in use."""

    def load(server: AgentServer) -> float:
        return min(1.0, len(server.active_jobs) / max_sessions)

    return load


def build_server(
    settings: InterviewerSettings | None = None,
    *,
    executor: JobExecutorType = JobExecutorType.PROCESS,
    metrics_port: int | None = None,
    http_port: int | None = None,
) -> AgentServer:
    """The worker, registered as ``settings.agent_name``; full at ``max_sessions`` interviews."""
    settings = settings or InterviewerSettings()
    server = AgentServer(
        ws_url=settings.livekit_url,
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret.get_secret_value(),
        job_executor_type=executor,
        load_fnc=session_load(settings.max_sessions),
        load_threshold=full_load(settings.max_sessions),
        drain_timeout=settings.drain_timeout_s,
        num_idle_processes=min(2, settings.max_sessions),
        initialize_process_timeout=120.0,
        # Each job process watches this one: a SIGKILLed worker leaves no process behind.
        setup_fnc=partial(prewarm, worker_pid=os.getpid()),
        port=settings.worker_http_port if http_port is None else http_port,
        prometheus_port=metrics_port,
        prometheus_multiproc_dir=(
            tempfile.mkdtemp(prefix="mocksy-worker-metrics-") if metrics_port else None
        ),
    )
    # A partial of a module function: the job processes receive it pickled.
    server.rtc_session(
        partial(conduct_interview, settings=settings), agent_name=settings.agent_name
    )
    return server


def run() -> None:
    """``mocksy-voice worker start|dev``: run the worker until stopped (it drains first)."""
    settings = InterviewerSettings()
    cli.run_app(build_server(settings, metrics_port=settings.worker_metrics_port))
