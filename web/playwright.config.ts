import { resolve } from "node:path";
import { defineConfig } from "@playwright/test";

// Debian's Chromium (no browser download here); a fake microphone that loops a spoken answer.
const chromium = process.env.MOCKSY_CHROMIUM ?? "/usr/bin/chromium";
export const artifacts = resolve(process.env.MOCKSY_E2E_ARTIFACTS ?? "../.artifacts/web");
// Chromium records silence from a relative path.
const wav = resolve(process.env.MOCKSY_E2E_WAV ?? `${artifacts}/answer.wav`);

export default defineConfig({
  testDir: "e2e",
  outputDir: `${artifacts}/results`,
  timeout: 20 * 60_000,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: process.env.MOCKSY_WEB_URL ?? "http://127.0.0.1:5173",
    headless: true,
    viewport: { width: 1100, height: 900 },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-audio-capture=${wav}`,
        "--autoplay-policy=no-user-gesture-required",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-gpu",
      ],
    },
  },
});
