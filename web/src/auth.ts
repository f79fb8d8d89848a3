/** Sign-in with Keycloak (authorization code + PKCE), token refresh and sign-out. */
import type { AppConfig } from "./config";
import { authorizeUrl, challengeOf, claimsOf, issuerOf, randomVerifier } from "./pkce";

const PENDING_KEY = "mocksy.pending-sign-in";
const TOKENS_KEY = "mocksy.tokens";
// Refresh this long before expiry, so a request never leaves with a token about to lapse.
const REFRESH_MARGIN_MS = 30_000;

interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  idToken: string | null;
  expiresAt: number;
}

interface Pending {
  state: string;
  verifier: string;
  returnTo: string;
}

export class SignInError extends Error {}

export function redirectUri(): string {
  return `${window.location.origin}/callback`;
}

/** Go to Keycloak's sign-in (or registration) page; it comes back to /callback with a code. */
export async function beginSignIn(config: AppConfig, register: boolean): Promise<never> {
  const verifier = randomVerifier();
  const state = randomVerifier(43);
  const pending: Pending = { state, verifier, returnTo: "/interviews" };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  window.location.assign(
    authorizeUrl({
      issuer: issuerOf(config.keycloakUrl, config.realm),
      clientId: config.clientId,
      redirectUri: redirectUri(),
      state,
      challenge: await challengeOf(verifier),
      register,
    }),
  );
  return new Promise<never>(() => undefined);
}

export class Session {
  private tokens: StoredTokens;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly config: AppConfig,
    tokens: StoredTokens,
  ) {
    this.tokens = tokens;
  }

  static restore(config: AppConfig): Session | null {
    const raw = sessionStorage.getItem(TOKENS_KEY);
    if (!raw) return null;
    return new Session(config, JSON.parse(raw) as StoredTokens);
  }

  /** Exchange the code Keycloak returned for tokens; returns where the user was going. */
  static async complete(config: AppConfig, search: string): Promise<[Session, string]> {
    const params = new URLSearchParams(search);
    const error = params.get("error");
    if (error) throw new SignInError(params.get("error_description") ?? error);
    const raw = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    const pending = raw ? (JSON.parse(raw) as Pending) : null;
    const code = params.get("code");
    if (!pending || !code || params.get("state") !== pending.state) {
      throw new SignInError("This sign-in link is stale or was not started here; sign in again.");
    }
    const tokens = await tokenRequest(config, {
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    });
    const session = new Session(config, tokens);
    session.save();
    return [session, pending.returnTo];
  }

  get displayName(): string {
    const claims = claimsOf(this.tokens.accessToken);
    const name = claims.name ?? claims.preferred_username ?? claims.email;
    return typeof name === "string" ? name : "you";
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    if (Date.now() > this.tokens.expiresAt - REFRESH_MARGIN_MS) {
      this.refreshing ??= this.refresh().finally(() => {
        this.refreshing = null;
      });
      await this.refreshing;
    }
    return this.tokens.accessToken;
  }

  signOut(): void {
    sessionStorage.removeItem(TOKENS_KEY);
    const params = new URLSearchParams({
      client_id: this.config.clientId,
      post_logout_redirect_uri: `${window.location.origin}/`,
    });
    if (this.tokens.idToken) params.set("id_token_hint", this.tokens.idToken);
    const issuer = issuerOf(this.config.keycloakUrl, this.config.realm);
    window.location.assign(`${issuer}/protocol/openid-connect/logout?${params}`);
  }

  private async refresh(): Promise<void> {
    try {
      this.tokens = await tokenRequest(this.config, {
        grant_type: "refresh_token",
        refresh_token: this.tokens.refreshToken,
      });
    } catch (error) {
      sessionStorage.removeItem(TOKENS_KEY);
      throw new SignInError(
        `Your sign-in has expired; sign in again (${error instanceof Error ? error.message : error}).`,
      );
    }
    this.save();
  }

  private save(): void {
    sessionStorage.setItem(TOKENS_KEY, JSON.stringify(this.tokens));
  }
}

async function tokenRequest(config: AppConfig, form: Record<string, string>): Promise<StoredTokens> {
  const issuer = issuerOf(config.keycloakUrl, config.realm);
  let response: Response;
  try {
    response = await fetch(`${issuer}/protocol/openid-connect/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: config.clientId, ...form }),
    });
  } catch {
    throw new SignInError("The sign-in service (Keycloak) is not answering; try again shortly.");
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    throw new SignInError(String(body.error_description ?? body.error ?? response.status));
  }
  return {
    accessToken: String(body.access_token),
    refreshToken: String(body.refresh_token),
    idToken: typeof body.id_token === "string" ? body.id_token : null,
    expiresAt: Date.now() + Number(body.expires_in ?? 60) * 1000,
  };
}
