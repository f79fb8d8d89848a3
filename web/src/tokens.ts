/** Where a candidate's tokens are kept: shared by every tab of the browser, and told of changes. */

export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  idToken: string | null;
  expiresAt: number;
}

/** The part of the Web Storage API the store uses (`localStorage` in the app). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What a `storage` event says: which key another tab changed (null: it cleared everything). */
export interface StorageChange {
  key: string | null;
  newValue: string | null;
}

/** Where `storage` events arrive (`window` in the app). */
export interface StorageEvents {
  addEventListener(type: "storage", listener: (event: StorageChange) => void): void;
  removeEventListener(type: "storage", listener: (event: StorageChange) => void): void;
}

export const TOKENS_KEY = "mocksy.tokens";

export class TokenStore {
  constructor(
    private readonly storage: KeyValueStorage,
    private readonly events: StorageEvents | null = null,
  ) {}

  /** The tokens any tab saved last, or null when signed out (or the entry is unreadable). */
  load(): StoredTokens | null {
    return parse(this.storage.getItem(TOKENS_KEY));
  }

  save(tokens: StoredTokens): void {
    this.storage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  }

  clear(): void {
    this.storage.removeItem(TOKENS_KEY);
  }

  /**
   * Call `listener` when another tab signs in, refreshes (new tokens) or signs out (null).
   * Browsers send `storage` events only to the other tabs, never to the one that wrote.
   * Returns the function that stops listening.
   */
  onChange(listener: (tokens: StoredTokens | null) => void): () => void {
    const events = this.events;
    if (!events) return () => undefined;
    const handle = (event: StorageChange) => {
      if (event.key !== null && event.key !== TOKENS_KEY) return;
      listener(event.key === null ? null : parse(event.newValue));
    };
    events.addEventListener("storage", handle);
    return () => events.removeEventListener("storage", handle);
  }
}

function parse(raw: string | null): StoredTokens | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<StoredTokens>;
    if (
      typeof value.accessToken !== "string" ||
      typeof value.refreshToken !== "string" ||
      typeof value.expiresAt !== "number"
    ) {
      return null;
    }
    return {
      accessToken: value.accessToken,
      refreshToken: value.refreshToken,
      idToken: typeof value.idToken === "string" ? value.idToken : null,
      expiresAt: value.expiresAt,
    };
  } catch {
    return null;
  }
}
