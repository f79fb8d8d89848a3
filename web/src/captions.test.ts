import { describe, expect, it } from "vitest";
import { applyCaption, interviewerState, loudness, type Caption } from "./captions";

describe("captions", () => {
  it("grow a segment in place as its words arrive, then start a new line for the next", () => {
    let captions: Caption[] = [];
    captions = applyCaption(captions, { segmentId: "a", speaker: "interviewer", text: "Tell me", final: false });
    captions = applyCaption(captions, { segmentId: "a", speaker: "interviewer", text: "Tell me about a bug.", final: true });
    captions = applyCaption(captions, { segmentId: "b", speaker: "you", text: "Sure. ", final: false });
    expect(captions.map((c) => [c.speaker, c.text, c.final])).toEqual([
      ["interviewer", "Tell me about a bug.", true],
      ["you", "Sure.", false],
    ]);
  });

  it("skip empty segments and keep only the most recent lines", () => {
    let captions: Caption[] = [];
    captions = applyCaption(captions, { segmentId: "x", speaker: "you", text: "  ", final: true });
    expect(captions).toEqual([]);
    for (let i = 0; i < 5; i++) {
      captions = applyCaption(captions, { segmentId: `s${i}`, speaker: "you", text: `line ${i}`, final: true }, 3);
    }
    expect(captions.map((c) => c.text)).toEqual(["line 2", "line 3", "line 4"]);
  });
});

describe("interviewer state", () => {
  it("reads the agent's attribute and says when the interviewer is not there", () => {
    expect(interviewerState("thinking")).toBe("thinking");
    expect(interviewerState("initializing")).toBe("connecting");
    expect(interviewerState(undefined)).toBe("away");
  });
});

describe("loudness", () => {
  it("is zero for silence and high for a full-scale square wave", () => {
    expect(loudness(new Uint8Array(64).fill(128))).toBe(0);
    expect(loudness(Uint8Array.from({ length: 64 }, (_, i) => (i % 2 ? 0 : 255)))).toBeGreaterThan(0.9);
  });
});
