import { type Locator, type Page, expect, test } from "@playwright/test";
import { artifacts } from "../playwright.config";
import { fillRegistration, register } from "./accounts";
import { backchannelCueSeen, countBackchannelCues, voiceSession } from "./sessions";

// Long enough for greeting, questions, follow-ups and closing at the fake microphone's pace.
const INTERVIEW_MS = 12 * 60_000;
// Scoring shares Kafka with whatever else runs on the stack; it can queue behind a burst.
const FEEDBACK_MS = 10 * 60_000;

let shot = 0;
async function snap(page: Page, name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: `${artifacts}/${String(shot).padStart(2, "0")}-${name}.png`, fullPage: true });
}

/** Reach ``target`` with the Tab key alone and press Enter on it. */
async function byKeyboard(page: Page, target: Locator): Promise<void> {
  await target.waitFor();
  for (let presses = 0; presses < 60; presses += 1) {
    if (await target.evaluate((element) => element === document.activeElement)) {
      await page.keyboard.press("Enter");
      return;
    }
    await page.keyboard.press("Tab");
  }
  throw new Error(`${target} cannot be reached with the Tab key`);
}

declare global {
  interface Window {
    mocksyCameraAsked?: boolean;
  }
}

/** Note whether the page ever asks for a camera (it should only want the microphone). */
async function watchForCamera(page: Page): Promise<void> {
  await page.evaluate(() => {
    const devices = navigator.mediaDevices;
    const real = devices.getUserMedia.bind(devices);
    window.mocksyCameraAsked = false;
    devices.getUserMedia = async (constraints) => {
      if (constraints?.video) window.mocksyCameraAsked = true;
      return real(constraints);
    };
  });
}

async function interview(
  page: Page,
  label: string,
  { denyMicrophoneOnce = false, leaveAndResume = false, backchannel = false } = {},
): Promise<string> {
  await expect(page.getByRole("heading", { name: "Interview room" })).toBeVisible();
  await snap(page, `${label}-room`);
  await watchForCamera(page);
  if (denyMicrophoneOnce) {
    // As if the candidate clicked "Block" on the browser's microphone prompt.
    await page.evaluate(() => {
      const devices = navigator.mediaDevices;
      const real = devices.getUserMedia.bind(devices);
      devices.getUserMedia = async () => {
        devices.getUserMedia = real;
        throw new DOMException("Permission denied", "NotAllowedError");
      };
    });
    await page.getByRole("button", { name: "Join the interview" }).click();
    await expect(page.getByRole("alert")).toContainText("Microphone access was denied");
    await snap(page, `${label}-microphone-denied`);
  }
  await byKeyboard(page, page.getByRole("button", { name: "Join the interview" }));
  // Like a candidate who waits for the question: muted through the greeting, then unmuted once
  // the first question has been asked (the fake microphone's file then starts over).
  await page.getByRole("button", { name: "Mute microphone" }).click();
  await expect(page.getByText("Your microphone is off")).toBeVisible();
  await expect(page.locator(".progress-line")).toContainText("Question 1 of", { timeout: 180_000 });
  await expect(page.locator(".interviewer .state")).toHaveAttribute("data-state", "listening", {
    timeout: 120_000,
  });
  await expect(page.locator(".captions li.by-interviewer").first()).toBeVisible();
  await countBackchannelCues(page);
  await page.getByRole("button", { name: "Unmute microphone" }).click();
  await expect(page.locator(".captions li.by-you").first()).toBeVisible({ timeout: 120_000 });
  await snap(page, `${label}-room-live`);
  // A voice interview: the microphone was asked for, never a camera.
  expect(await page.evaluate(() => window.mocksyCameraAsked)).toBe(false);
  if (backchannel) {
    // The answer stops to think mid-sentence: the interviewer says "mhm" on its second track,
    // and the room's back-channel cue lights up while it plays.
    await backchannelCueSeen(page, 120_000);
    await snap(page, `${label}-backchannel-cue`);
  }
  if (leaveAndResume) {
    // Leaving keeps the session open for a while; resuming (POST /sessions/{id}/resume) brings
    // the interviewer back to the same interview.
    await page.getByRole("button", { name: "Leave interview" }).click();
    await expect(page.getByText("You left the interview")).toBeVisible();
    await snap(page, `${label}-left`);
    await page.getByRole("button", { name: "Resume the interview" }).click({ timeout: 60_000 });
    await expect(page.getByRole("button", { name: "Leave interview" })).toBeVisible({ timeout: 60_000 });
    await expect(page.locator(".interviewer .state")).toHaveAttribute("data-state", /listening|thinking|speaking/, {
      timeout: 180_000,
    });
    await snap(page, `${label}-resumed`);
  }
  await page.waitForURL(/\/feedback\//, { timeout: INTERVIEW_MS });
  const sessionId = page.url().split("/feedback/")[1];
  await expect(page.locator(".overall .score")).toBeVisible({ timeout: FEEDBACK_MS });
  await expect(page.getByRole("heading", { name: "Categories" })).toBeVisible();
  await expect(page.locator(".categories > li")).toHaveCount(5);
  await expect(page.getByRole("heading", { name: "Question by question" })).toBeVisible();
  // The report explains its scores: a final assessment, quotes of what the candidate said,
  // strengths and what to improve.
  await expect(page.locator(".assessment")).not.toBeEmpty();
  await expect(page.locator(".categories blockquote").first()).toBeVisible();
  await expect(page.getByRole("heading", { name: "Strengths" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "To improve" })).toBeVisible();
  await snap(page, `${label}-feedback`);
  if (backchannel) {
    // What lit the cue is in the transcript: a back-channel logged during the answer.
    const { turns } = await voiceSession(page, decodeURIComponent(sessionId));
    const answers = turns.filter((t) => t.kind === "answer");
    const cues = turns.filter((t) => t.kind === "backchannel");
    expect(cues.length, JSON.stringify(turns)).toBeGreaterThan(0);
    expect(cues[0].speaker).toBe("interviewer");
    expect(cues.some((cue) => answers.some((a) => a.start_ms < cue.start_ms && cue.start_ms < a.end_ms))).toBe(true);
  }
  return sessionId;
}

test("register, set up by chat, interview by voice, feedback, retake, progress", async ({ page }) => {
  const stamp = Date.now().toString(36);
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Practise interviews out loud" })).toBeVisible();
  await snap(page, "welcome");

  // Sign up on Keycloak's registration page; it returns to the app with a code (PKCE).
  await page.getByRole("button", { name: "Create an account" }).click();
  await fillRegistration(page, `e2e-${stamp}`, "Ada", "Lovelace");
  await snap(page, "register");
  await register(page);
  await expect(page.getByRole("heading", { name: "Your interviews" })).toBeVisible();
  await expect(page.getByText("Signed in as Ada Lovelace")).toBeVisible();
  await snap(page, "interviews-empty");

  // Set up by chat.
  await page.getByRole("link", { name: "New interview" }).click();
  await expect(page.locator(".chat li.mocksy").first()).toContainText("What role");
  await page.getByLabel("Your message").fill("A junior backend behavioral interview about python, 1 question");
  await page.getByLabel("Your message").press("Enter");
  await expect(page.locator(".chat li.mocksy").nth(1)).toContainText("create it");
  await snap(page, "setup-chat");
  await page.getByLabel("Your message").fill("yes");
  await page.getByLabel("Your message").press("Enter");

  const first = await interview(page, "first", { denyMicrophoneOnce: true, backchannel: true });

  // Retake the same questions; progress then has two points.
  await byKeyboard(page, page.getByRole("button", { name: "Retake this interview" }));
  const second = await interview(page, "retake", { leaveAndResume: true });
  expect(second).not.toBe(first);

  await page.getByRole("link", { name: "See your progress" }).click();
  await expect(page.locator(".chart circle.point")).toHaveCount(2, { timeout: 60_000 });
  // The insights were asked for and answered (a list, or the hint that they need more attempts).
  await expect(page.getByRole("heading", { name: "Insights" })).toBeVisible();
  await expect(page.getByText("Looking for patterns…")).toBeHidden({ timeout: 60_000 });
  await expect(page.getByText("Insights are not available right now.")).toBeHidden();
  await snap(page, "progress");
  await byKeyboard(page, page.getByRole("button", { name: "Compare" }));
  await expect(page.getByText("Category changes")).toBeVisible();
  await snap(page, "compare");

  await page.getByRole("link", { name: "Interviews" }).click();
  await expect(page.locator(".card.interview")).toHaveCount(2);
  await expect(page.locator(".card.interview").first()).toContainText("Retake");
  // Each interview shows its metadata: level, role and type, stack, date, attempts.
  for (const card of await page.locator(".card.interview").all()) {
    await expect(card.getByRole("heading")).toHaveText("Junior backend · behavioral");
    await expect(card.locator("dt:text-is('Tech stack') + dd")).toHaveText("python");
    await expect(card.locator("dt:text-is('Created') + dd")).toContainText(String(new Date().getFullYear()));
    await expect(card.locator("dt:text-is('Attempts') + dd")).toHaveText("1");
  }
  await snap(page, "interviews");

  // A service that does not answer gets a sentence naming it, not a blank screen.
  await page.route("**/api/history/**", (route) => route.fulfill({ status: 502, body: "{}" }));
  await page.getByRole("link", { name: "Progress" }).click();
  await expect(page.getByRole("alert")).toContainText("history service is not answering");
  await snap(page, "service-down");
});
