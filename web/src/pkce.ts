/** PKCE (RFC 7636, S256) and the OpenID Connect URLs of the realm: pure functions. */

const VERIFIER_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

export function randomVerifier(length = 64): string {
  if (length < 43 || length > 128) throw new Error("a PKCE verifier has 43 to 128 characters");
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => VERIFIER_CHARS[b % VERIFIER_CHARS.length]).join("");
}

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export interface AuthorizeRequest {
  issuer: string;
  clientId: string;
  redirectUri: string;
  state: string;
  challenge: string;
  register: boolean;
}

/** The login page, or Keycloak's registration page, both ending in a code for redirectUri. */
export function authorizeUrl(r: AuthorizeRequest): string {
  const endpoint = r.register ? "registrations" : "auth";
  const params = new URLSearchParams({
    client_id: r.clientId,
    redirect_uri: r.redirectUri,
    response_type: "code",
    scope: "openid profile email",
    state: r.state,
    code_challenge: r.challenge,
    code_challenge_method: "S256",
  });
  return `${r.issuer}/protocol/openid-connect/${endpoint}?${params}`;
}

export function issuerOf(keycloakUrl: string, realm: string): string {
  return `${keycloakUrl.replace(/\/+$/, "")}/realms/${encodeURIComponent(realm)}`;
}

/** The claims of a JWT, unverified: the app only reads its own token's name and expiry. */
export function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1];
  if (!part) return {};
  const padded = part.replace(/-/g, "+").replace(/_/g, "/");
  const json = new TextDecoder().decode(
    Uint8Array.from(atob(padded + "===".slice((padded.length + 3) % 4)), (c) => c.charCodeAt(0)),
  );
  return JSON.parse(json) as Record<string, unknown>;
}
