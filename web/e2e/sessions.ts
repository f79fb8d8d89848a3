import { type Page, expect } from "@playwright/test";

export interface StoredTurn {
  speaker: string;
  kind: string;
  question_id: string | null;
  start_ms: number;
  end_ms: number;
  text: string;
}

/**
 * The session as the voice API shows it to its candidate, with the app's own token. Each turn's
 * ``start_ms`` and ``end_ms`` count from ``started_at``.
 */
export async function voiceSession(
  page: Page,
  sessionId: string,
): Promise<{ state: string; started_at: string | null; turns: StoredTurn[] }> {
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem("mocksy.tokens") ?? "{}").accessToken);
  const response = await page.request.get(`/api/voice/sessions/${encodeURIComponent(sessionId)}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(response.status()).toBe(200);
  return response.json();
}

declare global {
  interface Window {
    mocksyCues?: number;
  }
}

/**
 * Count each time the room's back-channel cue lights up from now on. The cue is lit for well
 * under a second per "mhm", too short to rely on an assertion's polling to catch it.
 */
export async function countBackchannelCues(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.mocksyCues = 0;
    const lit = (classes: string | null) => /\bbackchannel\b/.test(classes ?? "") && /\bon\b/.test(classes ?? "");
    new MutationObserver((changes) => {
      for (const change of changes) {
        const target = change.target as Element;
        if (lit(target.getAttribute("class")) && !lit(change.oldValue)) window.mocksyCues = (window.mocksyCues ?? 0) + 1;
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["class"], attributeOldValue: true });
  });
}

/** Wait until the back-channel cue has lit up at least once since ``countBackchannelCues``. */
export async function backchannelCueSeen(page: Page, timeout: number): Promise<number> {
  const seen = await page.waitForFunction(() => ((window.mocksyCues ?? 0) > 0 ? window.mocksyCues : 0), undefined, {
    timeout,
  });
  return (await seen.jsonValue()) as number;
}
