import { type Page, expect, test } from "@playwright/test";
import { artifacts } from "../playwright.config";
import { PASSWORD, fillRegistration, register } from "./accounts";
import { voiceSession } from "./sessions";

// Long enough for greeting, questions, follow-ups and closing at the fake microphone's pace.
const INTERVIEW_MS = 12 * 60_000;
// Scoring shares Kafka with whatever else runs on the stack; it can queue behind a burst.
const FEEDBACK_MS = 10 * 60_000;
// livekit-client retries a lost connection for about 45 s before it gives up.
const DROP_NOTICED_MS = 180_000;
// How far an interviewer line may start before the latest one stored ahead of it.
const OVERLAP_MS = 10_000;
// A line may start in the moment between the candidate confirming the end and the interviewer
// being told (the app's call to it, over LiveKit).
const END_SLACK_MS = 1_000;

let shot = 0;
async function snap(page: Page, name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: `${artifacts}/room-${String(shot).padStart(2, "0")}-${name}.png`, fullPage: true });
}

async function signUp(page: Page, who: string): Promise<void> {
  await page.goto("/");
  await page.getByRole("button", { name: "Create an account" }).click();
  await fillRegistration(page, who, "Grace", "Hopper");
  await register(page);
  await expect(page.getByText("Signed in as Grace Hopper")).toBeVisible();
}

/** Set up an interview by chat; the app then opens its room. */
async function setUp(page: Page, request: string): Promise<void> {
  await page.getByRole("link", { name: "New interview" }).click();
  await expect(page.locator(".chat li.mocksy").first()).toContainText("What role");
  await page.getByLabel("Your message").fill(request);
  await page.getByLabel("Your message").press("Enter");
  await expect(page.locator(".chat li.mocksy").nth(1)).toContainText("create it");
  await page.getByLabel("Your message").fill("yes");
  await page.getByLabel("Your message").press("Enter");
  await expect(page.getByRole("heading", { name: "Interview room" })).toBeVisible();
}

/** Join, wait for the first question, then answer it (the fake microphone starts its file). */
async function joinAndStartAnswering(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Join the interview" }).click();
  await page.getByRole("button", { name: "Mute microphone" }).click();
  await expect(page.locator(".progress-line")).toContainText("Question 1 of", { timeout: 180_000 });
  await expect(page.locator(".interviewer .state")).toHaveAttribute("data-state", "listening", {
    timeout: 120_000,
  });
  await page.getByRole("button", { name: "Unmute microphone" }).click();
  await expect(page.locator(".captions li.by-you").first()).toBeVisible({ timeout: 120_000 });
  const interviewId = decodeURIComponent(new URL(page.url()).pathname.split("/room/")[1]);
  const sessionId = await page.evaluate((id) => sessionStorage.getItem(`mocksy.session.${id}`), interviewId);
  expect(sessionId).toBeTruthy();
  return sessionId as string;
}

async function feedbackOf(page: Page): Promise<string> {
  await page.waitForURL(/\/feedback\//, { timeout: INTERVIEW_MS });
  await expect(page.locator(".overall .score")).toBeVisible({ timeout: FEEDBACK_MS });
  return decodeURIComponent(page.url().split("/feedback/")[1]);
}

test("a second tab is signed in; a dropped connection resumes at the same question; signing out signs out every tab", async ({
  page,
  context,
}) => {
  const who = `drop-${Date.now().toString(36)}`;
  await signUp(page, who);

  // A second tab of the same browser needs no second sign-in.
  const other = await context.newPage();
  await other.goto("/interviews");
  await expect(other.getByText("Signed in as Grace Hopper")).toBeVisible();
  await expect(other.getByRole("heading", { name: "Your interviews" })).toBeVisible();
  await snap(other, "second-tab-signed-in");

  await setUp(page, "A junior backend behavioral interview about python, 2 questions");
  const sessionId = await joinAndStartAnswering(page);
  await snap(page, "answering");

  // A blip: the network goes for a while (Chromium's offline mode cuts the signal connection,
  // which livekit-client notices by its ping timeout) and comes back; livekit-client resumes
  // by itself and the interview carries on.
  await context.setOffline(true);
  await expect(page.getByText("Reconnecting…")).toBeVisible({ timeout: 90_000 });
  await snap(page, "reconnecting");
  await context.setOffline(false);
  await expect(page.getByText("Reconnecting…")).toBeHidden({ timeout: 90_000 });
  await expect(page.getByText("The connection dropped")).toBeHidden();
  await expect(page.getByRole("button", { name: "Leave interview" })).toBeVisible();
  await snap(page, "reconnected");

  // A real drop, mid-answer: the network goes and stays gone. Chromium's offline mode leaves
  // WebRTC media flowing, so the microphone goes quiet at the same moment, as it would for the
  // interviewer in a real cut.
  await page.getByRole("button", { name: "Mute microphone" }).click();
  await context.setOffline(true);
  await expect(page.getByText("Reconnecting…")).toBeVisible({ timeout: 90_000 });
  // livekit-client gives up after about a minute of failed resumes: the room says so.
  await expect(page.getByText("The connection dropped")).toBeVisible({ timeout: DROP_NOTICED_MS });
  await snap(page, "dropped");

  await context.setOffline(false);
  // The interviewer waits in the room, so Resume is offered as soon as the service answers.
  const resume = page.getByRole("button", { name: "Resume the interview" });
  await expect(resume).toBeEnabled({ timeout: 180_000 });
  const unanswered = (await page.locator(".progress-line").textContent()) ?? "";
  expect(unanswered).toMatch(/Question \d of 2/);
  const beforeResume = await voiceSession(page, sessionId);
  await snap(page, "resumable");
  await resume.click();
  await expect(page.getByRole("button", { name: "Leave interview" })).toBeVisible({ timeout: 60_000 });
  await expect(page.locator(".interviewer .state")).toHaveAttribute("data-state", /listening|thinking|speaking/, {
    timeout: 180_000,
  });
  // The interviewer is back at the question the drop interrupted.
  await expect(page.locator(".progress-line")).toHaveText(unanswered);
  await snap(page, "resumed");

  expect(await feedbackOf(page)).toBe(sessionId);
  await snap(page, "resumed-feedback");

  // One session, one transcript: what was stored before the drop, unchanged, then the rest of
  // the interview after it, with an answer to every question and the closing after them all.
  const session = await voiceSession(page, sessionId);
  expect(session.state).toBe("completed");
  const turns = session.turns;
  expect(beforeResume.turns.length).toBeGreaterThan(2);
  expect(turns.slice(0, beforeResume.turns.length)).toEqual(beforeResume.turns);
  expect(turns.slice(beforeResume.turns.length).some((t) => t.kind === "answer")).toBe(true);
  expect(turns[0].kind).toBe("greeting");
  expect(turns.filter((t) => t.kind === "greeting")).toHaveLength(1);
  const asked = [...new Set(turns.filter((t) => t.kind === "question").map((t) => t.question_id))];
  expect(asked).toHaveLength(2);
  for (const question of asked) {
    expect(turns.some((t) => t.kind === "answer" && t.question_id === question), `an answer to ${question}`).toBe(true);
  }
  // The looping fake microphone may still say something after the closing.
  const closing = turns.findIndex((t) => t.kind === "closing");
  expect(closing).toBeGreaterThan(0);
  expect(turns.filter((t) => t.kind === "closing")).toHaveLength(1);
  expect(turns.slice(closing).some((t) => ["question", "follow_up", "answer"].includes(t.kind))).toBe(false);
  // The session's clock runs on across the drop: the interviewer's lines keep their order (a
  // few seconds of overlap are a line stored as it was cut off), and whatever was stored after
  // the resume ends after everything stored before it. (A candidate turn may start well before
  // the line stored ahead of it: words said just before the drop end their turn only after it.)
  let latest = 0;
  for (const turn of turns.filter((t) => t.speaker === "interviewer" && t.kind !== "backchannel")) {
    expect(turn.start_ms, `${turn.kind} "${turn.text}"`).toBeGreaterThan(latest - OVERLAP_MS);
    latest = Math.max(latest, turn.start_ms);
  }
  const storedBefore = Math.max(...beforeResume.turns.map((t) => t.start_ms));
  for (const turn of turns.slice(beforeResume.turns.length)) {
    expect(turn.end_ms, `${turn.kind} "${turn.text}"`).toBeGreaterThan(storedBefore);
  }

  // Signing out in one tab signs out the other too.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Practise interviews out loud" })).toBeVisible();
  await expect(other.getByRole("heading", { name: "Practise interviews out loud" })).toBeVisible();
  await expect(other.getByText("You signed out in another tab.")).toBeVisible();
  await snap(other, "second-tab-signed-out");

  // Signing in again, on Keycloak's login page (code + PKCE), brings back the same account.
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#username").waitFor();
  await page.locator("#username").fill(who);
  await page.locator("#password").fill(PASSWORD);
  await snap(page, "sign-in");
  await page.locator("#kc-login").click();
  await expect(page.getByText("Signed in as Grace Hopper")).toBeVisible();
  await page.getByRole("link", { name: "Interviews" }).click();
  await expect(page.locator(".card.interview")).toHaveCount(1);
  await snap(page, "signed-in-again");
});

test("ending the interview early gives feedback on the questions answered", async ({ page }) => {
  await signUp(page, `end-${Date.now().toString(36)}`);
  await setUp(page, "A junior backend behavioral interview about python, 2 questions");
  const sessionId = await joinAndStartAnswering(page);
  await expect(page.locator(".progress-line")).toContainText("Question 2 of 2", { timeout: INTERVIEW_MS });
  // The answer starts afresh (the fake microphone's file restarts when it opens) and stops to
  // think mid-sentence; its first words are captioned at that pause. The candidate decides to
  // stop there, in the middle of the answer: what they said so far is not yet a turn.
  await page.getByRole("button", { name: "Mute microphone" }).click();
  await expect(page.locator(".interviewer .state")).toHaveAttribute("data-state", "listening", {
    timeout: 120_000,
  });
  const captioned = await page.locator(".captions li.by-you").count();
  await page.getByRole("button", { name: "Unmute microphone" }).click();
  await expect(page.locator(".captions li.by-you")).toHaveCount(captioned + 1, { timeout: 60_000 });
  const underWay = (await page.locator(".captions li.by-you").last().textContent()) ?? "";
  await snap(page, "second-question");

  // By keyboard: the button opens a confirmation that takes focus; Escape backs out.
  const end = page.getByRole("button", { name: "End interview now" });
  await end.focus();
  await page.keyboard.press("Enter");
  const confirm = page.getByRole("alertdialog", { name: "End the interview now?" });
  await expect(confirm).toBeVisible();
  await expect(page.getByRole("button", { name: "Yes, end it" })).toBeFocused();
  await snap(page, "end-confirm");
  await page.keyboard.press("Escape");
  await expect(confirm).toBeHidden();
  await expect(page.getByRole("button", { name: "Leave interview" })).toBeVisible();
  await expect(end).toBeFocused();

  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: "Yes, end it" })).toBeFocused();
  const endedAt = Date.now();
  await page.keyboard.press("Enter");

  expect(await feedbackOf(page)).toBe(sessionId);
  const session = await voiceSession(page, sessionId);
  expect(session.state).toBe("ended_early");
  // The words under way when the interview was ended are kept, as the second question's answer.
  const [first, second] = session.turns.filter((t) => t.kind === "question").map((t) => t.question_id);
  const kept = session.turns.filter((t) => t.kind === "answer" && t.question_id === second);
  expect(kept.length, JSON.stringify(session.turns)).toBeGreaterThan(0);
  // The caption may have been a first hypothesis then, so compare the words, not the text.
  const heard = new Set(underWay.toLowerCase().split(/\W+/).filter((w) => w.length > 3));
  const keptWords = (kept.at(-1)?.text ?? "").toLowerCase().split(/\W+/);
  expect(keptWords.filter((w) => heard.has(w)).length, `${underWay} / ${kept.at(-1)?.text}`).toBeGreaterThan(1);
  // Nothing was said after the end: no line stored starts after it was confirmed (the worker
  // dates its turns from the session's start; the browser shares its clock). A line under way
  // then is cut off where it was.
  const startedAt = Date.parse(session.started_at ?? "");
  const late = session.turns.filter((t) => startedAt + t.start_ms > endedAt + END_SLACK_MS);
  expect(late, `${new Date(endedAt).toISOString()} ${JSON.stringify(session.turns)}`).toEqual([]);
  // Usually the candidate was still in their answer's pause when they ended it, so their words
  // are the last thing stored; the recognizer may have lost the answer's trailing "and then",
  // though, and the interviewer taken the turn in that pause: then its line was cut off.
  const lastLine = session.turns.filter((t) => t.kind !== "backchannel").at(-1);
  if (lastLine?.speaker !== "candidate") console.log(`the interviewer had the turn at the end: "${lastLine?.text}"`);
  // Feedback on exactly the questions the transcript holds an answer to.
  const answered = new Set(session.turns.filter((t) => t.kind === "answer").map((t) => t.question_id));
  expect(answered.has(first ?? null)).toBe(true);
  await expect(page.locator(".questions > li")).toHaveCount(answered.size);
  if (answered.size < 2) {
    await expect(page.getByText(`ended early; graded on the ${answered.size} answered question`)).toBeVisible();
  }
  await snap(page, "ended-early-feedback");
});
