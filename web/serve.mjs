// Serves the built app (dist/), its run-time settings (/config.json) and the Mocksy APIs under
// /api/<service>/ on one origin, so the browser needs CORS only for Keycloak.
// Settings come from the environment: see `settingsFrom`. No dependencies beyond Node.
import { createReadStream, existsSync, statSync } from "node:fs";
import http from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const SERVICES = ["auth", "builder", "voice", "scoring", "history"];

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".map": "application/json",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

export function settingsFrom(env) {
  return {
    host: env.MOCKSY_WEB_HOST ?? "127.0.0.1",
    port: Number(env.MOCKSY_WEB_PORT ?? 5173),
    dist: resolve(env.MOCKSY_WEB_DIST ?? join(here, "dist")),
    keycloakUrl: env.KEYCLOAK_URL ?? "http://127.0.0.1:18080",
    realm: env.KEYCLOAK_REALM ?? "mocksy",
    clientId: env.KEYCLOAK_WEB_CLIENT_ID ?? "mocksy-web",
    upstreams: {
      auth: env.MOCKSY_WEB_AUTH_API ?? "http://127.0.0.1:8001",
      builder: env.MOCKSY_WEB_BUILDER_API ?? "http://127.0.0.1:8002",
      voice: env.MOCKSY_WEB_VOICE_API ?? "http://127.0.0.1:8003",
      scoring: env.MOCKSY_WEB_SCORING_API ?? "http://127.0.0.1:8004",
      history: env.MOCKSY_WEB_HISTORY_API ?? "http://127.0.0.1:8005",
    },
  };
}

/** The web app's HTTP server (not yet listening). */
export function mocksyWebServer(settings) {
  const config = JSON.stringify({
    keycloakUrl: settings.keycloakUrl,
    realm: settings.realm,
    clientId: settings.clientId,
    api: Object.fromEntries(SERVICES.map((name) => [name, `/api/${name}`])),
  });
  const apiPath = new RegExp(`^/api/(${SERVICES.join("|")})(/.*)$`);

  function proxy(request, response, name, rest) {
    const target = new URL(rest, settings.upstreams[name]);
    const headers = { ...request.headers, host: target.host };
    const upstream = http.request(target, { method: request.method, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on("error", () => {
      // The app turns 502 into "the <service> service is not answering".
      if (!response.headersSent) response.writeHead(502, { "content-type": "application/json" });
      response.end(JSON.stringify({ detail: `the ${name} service is not answering` }));
    });
    request.pipe(upstream);
  }

  function serveFile(response, path) {
    const immutable = path.startsWith(join(settings.dist, "assets") + sep);
    response.writeHead(200, {
      "content-type": TYPES[extname(path)] ?? "application/octet-stream",
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    });
    createReadStream(path).pipe(response);
  }

  return http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://local");
    const api = url.pathname.match(apiPath);
    if (api) return proxy(request, response, api[1], api[2] + url.search);
    if (url.pathname === "/config.json") {
      response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      return response.end(config);
    }
    let file;
    try {
      file = normalize(join(settings.dist, decodeURIComponent(url.pathname)));
    } catch {
      response.writeHead(400);
      return response.end();
    }
    if (file.startsWith(settings.dist + sep) && existsSync(file) && statSync(file).isFile()) {
      return serveFile(response, file);
    }
    if (url.pathname.startsWith("/assets/")) {
      response.writeHead(404);
      return response.end();
    }
    // Every other path is a screen of the single-page app.
    return serveFile(response, join(settings.dist, "index.html"));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const settings = settingsFrom(process.env);
  if (!existsSync(join(settings.dist, "index.html"))) {
    console.error(`no build in ${settings.dist}: run npm run build in web/ first`);
    process.exit(1);
  }
  const server = mocksyWebServer(settings);
  server.listen(settings.port, settings.host, () => {
    console.log(`Mocksy web app on http://${settings.host}:${settings.port}/`);
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
}
