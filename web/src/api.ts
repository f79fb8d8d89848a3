/** The Mocksy APIs, typed as far as the screens read them. */
import type { Session } from "./auth";
import type { AppConfig, ServiceName } from "./config";
import { ApiError, ServiceDown, describeDetail, isOutage } from "./errors";

export const CATEGORIES = [
  "communication",
  "technical_knowledge",
  "problem_solving",
  "cultural_fit",
  "confidence",
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface SetupReply {
  setup_id: string;
  reply: string;
  missing: string[];
  asking: string | null;
  problems: { slot: string; value: string; message: string; suggestions: string[] }[];
  done: boolean;
  slots: {
    role: string | null;
    interview_type: string | null;
    level: string | null;
    question_count: number | null;
    tech_stack: string[];
  };
}

export interface Question {
  question_id: string;
  text: string;
  kind: string;
  topic: string;
}

export interface Interview {
  id: string;
  role: string;
  interview_type: string;
  level: string;
  tech_stack: string[];
  question_count: number;
  created_at: string;
  source: string;
  parent_interview_id: string | null;
  questions?: Question[];
}

export interface InterviewRecord {
  interview_id: string;
  attempts: number;
  graded_attempts: number;
  best_score: number | null;
  last_score: number | null;
  last_attempt_at: string | null;
}

export interface Attempt {
  session_id: string;
  interview_id: string;
  status: "awaiting_feedback" | "graded" | "ungradable";
  at: string | null;
  outcome: string | null;
  overall_score?: number | null;
}

export interface SessionJoin {
  session_id: string;
  livekit_url: string;
  token: string;
  room: string;
}

export type SessionState = "created" | "active" | "interrupted" | "completed" | "ended_early" | "failed";
export const ENDED_STATES: SessionState[] = ["completed", "ended_early", "failed"];

export interface SessionView {
  session_id: string;
  interview_id: string;
  state: SessionState;
  question_count: number;
  current_question: { number: number; text: string } | null;
}

export interface CategoryScore {
  score: number;
  rationale: string;
  evidence: string[];
}

export interface QuestionResult {
  question_id: string;
  score: number;
  covered_points: string[];
  missed_points: string[];
  summary: string;
}

export interface Feedback {
  session_id: string;
  interview_id: string;
  gradable: boolean;
  warnings: string[];
  overall_score: number | null;
  categories: Partial<Record<Category, CategoryScore>>;
  strengths: string[];
  improvements: string[];
  final_assessment: string;
  questions: QuestionResult[];
  speech: Record<string, number | null> | null;
}

export interface AttemptReport {
  session_id: string;
  interview_id: string;
  session: { started_at: string; ended_at: string; outcome: string; role: string; interview_type: string; level: string } | null;
  questions: { question_id: string; text: string; topic: string; answer: string }[];
  feedback: Feedback | null;
}

export interface SeriesPoint {
  session_id: string;
  at: string;
  score: number;
  moving_average: number;
}

export interface Progress {
  sessions: number;
  all: {
    overall: {
      points: SeriesPoint[];
      trend: { direction: string; slope_per_attempt: number };
      first: number | null;
      last: number | null;
      best: number | null;
    };
  };
}

export interface Insight {
  kind: string;
  subject: string;
  summary: string;
}

export interface Comparison {
  a: { session_id: string; at: string | null; overall_score: number | null };
  b: { session_id: string; at: string | null; overall_score: number | null };
  overall_change: number | null;
  category_changes: Partial<Record<Category, number>>;
  speech_changes: Record<string, number>;
  questions: {
    match: string;
    a: { text: string | null; score: number | null } | null;
    b: { text: string | null; score: number | null } | null;
    score_change: number | null;
  }[];
}

export class MocksyApi {
  constructor(
    private readonly config: AppConfig,
    private readonly session: Session,
  ) {}

  startSetup(): Promise<SetupReply> {
    return this.call("builder", "POST", "/setup", {});
  }
  sendSetupMessage(setupId: string, text: string): Promise<SetupReply> {
    return this.call("builder", "POST", `/setup/${encodeURIComponent(setupId)}/messages`, { text });
  }
  confirmSetup(setupId: string): Promise<Interview> {
    return this.call("builder", "POST", `/setup/${encodeURIComponent(setupId)}/confirm`);
  }
  interviews(): Promise<{ items: Interview[] }> {
    return this.call("builder", "GET", "/interviews?limit=100");
  }
  interview(id: string): Promise<Interview> {
    return this.call("builder", "GET", `/interviews/${encodeURIComponent(id)}`);
  }
  retake(id: string): Promise<Interview> {
    return this.call("builder", "POST", `/interviews/${encodeURIComponent(id)}/retake`, {});
  }
  interviewRecords(): Promise<{ items: InterviewRecord[] }> {
    return this.call("history", "GET", "/history/interviews?limit=100");
  }
  attempts(interviewId: string): Promise<{ items: Attempt[] }> {
    return this.call("history", "GET", `/history/interviews/${encodeURIComponent(interviewId)}/attempts`);
  }
  startSession(interviewId: string): Promise<SessionJoin> {
    return this.call("voice", "POST", `/interviews/${encodeURIComponent(interviewId)}/sessions`);
  }
  voiceSession(sessionId: string): Promise<SessionView> {
    return this.call("voice", "GET", `/sessions/${encodeURIComponent(sessionId)}`);
  }
  resumeSession(sessionId: string): Promise<SessionJoin> {
    return this.call("voice", "POST", `/sessions/${encodeURIComponent(sessionId)}/resume`);
  }
  endSession(sessionId: string): Promise<SessionView> {
    return this.call("voice", "POST", `/sessions/${encodeURIComponent(sessionId)}/end`);
  }
  report(sessionId: string): Promise<AttemptReport> {
    return this.call("history", "GET", `/history/feedback/${encodeURIComponent(sessionId)}`);
  }
  progress(): Promise<Progress> {
    return this.call("history", "GET", "/history/progress?window=3");
  }
  insights(): Promise<{ insights: Insight[]; sessions_considered: number }> {
    return this.call("history", "GET", "/history/insights");
  }
  compare(a: string, b: string): Promise<Comparison> {
    const query = new URLSearchParams({ a, b });
    return this.call("history", "GET", `/history/compare?${query}`);
  }

  private async call<T>(service: ServiceName, method: string, path: string, body?: unknown): Promise<T> {
    const token = await this.session.accessToken();
    let response: Response;
    try {
      response = await fetch(`${this.config.api[service]}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ServiceDown(service);
    }
    if (isOutage(response.status)) throw new ServiceDown(service);
    if (response.status === 204) return undefined as T;
    const payload = (await response.json().catch(() => ({}))) as { detail?: never };
    if (!response.ok) {
      throw new ApiError(response.status, describeDetail(payload.detail, response.status), service);
    }
    return payload as T;
  }
}
