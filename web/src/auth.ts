/** Sign-in with Keycloak (authorization code + PKCE), token refresh and sign-out.
 *
 * Tokens live in `localStorage` (the `TokenStore`), so every tab of the browser shares one
 * sign-in: a new tab is signed in already, a refresh in one tab serves all, and signing out in
 * one signs out every tab (they hear of it through `storage` events). The PKCE state of a
 * sign-in under way stays in `sessionStorage`: it belongs to the tab that started it.
 */
import type { AppConfig } from "./config";
import { authorizeUrl, challengeOf, claimsOf, issuerOf, randomVerifier } from "./pkce";
import { type StoredTokens, TokenStore } from "./tokens";

const PENDING_KEY = "mocksy.pending-sign-in";
// Refresh this long before expiry, so a request never leaves with a token about to lapse.
const REFRESH_MARGIN_MS = 30_000;

interface Pending {
  state: string;
  verifier: string;
  returnTo: string;
}

/** The tokens of this browser, shared by its tabs. */
export function browserTokens(): TokenStore {
  return new TokenStore(window.localStorage, window);
}

export class SignInError extends Error {}

/** Keycloak did not answer (offline, or it is down): the sign-in itself may be fine. */
export class SignInUnreachable extends SignInError {}

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
    private readonly store: TokenStore,
    tokens: StoredTokens,
  ) {
    this.tokens = tokens;
  }

  /** The browser's sign-in, if any tab has one. */
  static restore(config: AppConfig, store: TokenStore): Session | null {
    const tokens = store.load();
    return tokens ? new Session(config, store, tokens) : null;
  }

  /** Exchange the code Keycloak returned for tokens; returns where the user was going. */
  static async complete(config: AppConfig, store: TokenStore, search: string): Promise<[Session, string]> {
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
    store.save(tokens);
    return [new Session(config, store, tokens), pending.returnTo];
  }

  get displayName(): string {
    const claims = claimsOf(this.tokens.accessToken);
    const name = claims.name ?? claims.preferred_username ?? claims.email;
    return typeof name === "string" ? name : "you";
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    // Another tab may have refreshed, or signed out, since this one last looked.
    const latest = this.store.load();
    if (!latest) throw new SignInError("You signed out (perhaps in another tab); sign in again.");
    this.tokens = latest;
    if (Date.now() > this.tokens.expiresAt - REFRESH_MARGIN_MS) {
      this.refreshing ??= this.refresh().finally(() => {
        this.refreshing = null;
      });
      await this.refreshing;
    }
    return this.tokens.accessToken;
  }

  /** Sign out of Keycloak; every tab of this browser hears of it and signs out too. */
  signOut(): void {
    this.store.clear();
    const params = new URLSearchParams({
      client_id: this.config.clientId,
      post_logout_redirect_uri: `${window.location.origin}/`,
    });
    if (this.tokens.idToken) params.set("id_token_hint", this.tokens.idToken);
    const issuer = issuerOf(this.config.keycloakUrl, this.config.realm);
    window.location.assign(`${issuer}/protocol/openid-connect/logout?${params}`);
  }

  private async refresh(): Promise<void> {
    const used = this.tokens.refreshToken;
    try {
      this.tokens = await tokenRequest(this.config, {
        grant_type: "refresh_token",
        refresh_token: used,
      });
    } catch (error) {
      if (error instanceof SignInUnreachable) throw error; // keep the tokens for when it is back
      // Two tabs may refresh at once; if the other one's tokens are good, they serve this one.
      const other = this.store.load();
      if (other && other.refreshToken !== used && Date.now() < other.expiresAt - REFRESH_MARGIN_MS) {
        this.tokens = other;
        return;
      }
      this.store.clear();
      throw new SignInError(
        `Your sign-in has expired; sign in again (${error instanceof Error ? error.message : error}).`,
      );
    }
    this.store.save(this.tokens);
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
    throw new SignInUnreachable("The sign-in service (Keycloak) is not answering; try again shortly.");
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
