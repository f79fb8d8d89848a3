/** Live captions from LiveKit's transcription streams, one line per segment: pure logic. */

export interface Caption {
  segmentId: string;
  speaker: "interviewer" | "you";
  text: string;
  final: boolean;
}

export interface CaptionUpdate {
  segmentId: string;
  speaker: "interviewer" | "you";
  text: string;
  final: boolean;
}

/** Replace a segment's text with the newest version, or start a new line; keep the last `keep`. */
export function applyCaption(captions: Caption[], update: CaptionUpdate, keep = 40): Caption[] {
  const text = update.text.trim();
  const index = captions.findIndex((c) => c.segmentId === update.segmentId);
  if (index >= 0) {
    const next = captions.slice();
    next[index] = { ...update, text };
    return next;
  }
  if (!text) return captions;
  return [...captions, { ...update, text }].slice(-keep);
}

export type InterviewerState = "connecting" | "listening" | "thinking" | "speaking" | "away";

/** The agent's `lk.agent.state` attribute, as the candidate should read it. */
export function interviewerState(attribute: string | undefined): InterviewerState {
  switch (attribute) {
    case "listening":
    case "thinking":
    case "speaking":
      return attribute;
    case undefined:
      return "away";
    default:
      return "connecting";
  }
}

export const STATE_TEXT: Record<InterviewerState, string> = {
  connecting: "The interviewer is getting ready…",
  listening: "Listening — take your time",
  thinking: "Thinking…",
  speaking: "Speaking",
  away: "Waiting for the interviewer to join…",
};

/** Root mean square of 8-bit audio samples centred on 128, from 0 (silence) to about 1. */
export function loudness(samples: Uint8Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const s of samples) sum += ((s - 128) / 128) ** 2;
  return Math.sqrt(sum / samples.length);
}
