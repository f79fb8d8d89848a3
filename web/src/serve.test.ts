import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain Node script without type declarations
import { mocksyWebServer, settingsFrom } from "../serve.mjs";

let base = "";
const servers: http.Server[] = [];
const seen: { path: string; auth: string | undefined }[] = [];

async function listen(server: http.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  const dist = mkdtempSync(join(tmpdir(), "mocksy-dist-"));
  writeFileSync(join(dist, "index.html"), "<!doctype html><title>app</title>");
  mkdirSync(join(dist, "assets"));
  writeFileSync(join(dist, "assets", "app.js"), "console.log(1)");
  const history = await listen(
    http.createServer((request, response) => {
      seen.push({ path: request.url ?? "", auth: request.headers.authorization });
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"ok":true}');
    }),
  );
  const settings = settingsFrom({
    MOCKSY_WEB_DIST: dist,
    KEYCLOAK_URL: "http://127.0.0.1:18080",
    MOCKSY_WEB_HISTORY_API: history,
    MOCKSY_WEB_VOICE_API: "http://127.0.0.1:9", // nothing listens on the discard port
  });
  base = await listen(mocksyWebServer(settings));
});

afterAll(() => servers.forEach((s) => s.close()));

describe("serve.mjs", () => {
  it("tells the app where Keycloak is and that the APIs are on its own origin", async () => {
    const config = await (await fetch(`${base}/config.json`)).json();
    expect(config.keycloakUrl).toBe("http://127.0.0.1:18080");
    expect(config.api.history).toBe("/api/history");
  });

  it("forwards an API call with its path, query and token", async () => {
    const response = await fetch(`${base}/api/history/history/progress?window=3`, {
      headers: { Authorization: "Bearer t0ken" },
    });
    expect(await response.json()).toEqual({ ok: true });
    expect(seen.at(-1)).toEqual({ path: "/history/progress?window=3", auth: "Bearer t0ken" });
  });

  it("answers 502 naming the service when it does not answer", async () => {
    const response = await fetch(`${base}/api/voice/sessions/x`);
    expect(response.status).toBe(502);
    expect((await response.json()).detail).toBe("the voice service is not answering");
  });

  it("serves the app for every screen's path, and never a file outside the build", async () => {
    expect(await (await fetch(`${base}/feedback/abc`)).text()).toContain("<title>app</title>");
    expect(await (await fetch(`${base}/assets/app.js`)).text()).toBe("console.log(1)");
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    const escape = await fetch(`${base}/..%2f..%2fetc%2fpasswd`);
    expect(await escape.text()).toContain("<title>app</title>");
  });
});
