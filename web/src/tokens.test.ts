import { describe, expect, it } from "vitest";
import {
  type KeyValueStorage,
  type StorageChange,
  type StorageEvents,
  type StoredTokens,
  TOKENS_KEY,
  TokenStore,
} from "./tokens";

/** One browser's localStorage, shared by its tabs; a write is announced to the other tabs only. */
class FakeBrowser {
  readonly entries = new Map<string, string>();
  private readonly tabs: FakeTab[] = [];

  openTab(): TokenStore {
    const tab = new FakeTab(this);
    this.tabs.push(tab);
    return new TokenStore(tab, tab);
  }

  announce(from: FakeTab, change: StorageChange): void {
    for (const tab of this.tabs) if (tab !== from) tab.hear(change);
  }
}

class FakeTab implements KeyValueStorage, StorageEvents {
  private readonly listeners = new Set<(event: StorageChange) => void>();

  constructor(private readonly browser: FakeBrowser) {}

  getItem(key: string): string | null {
    return this.browser.entries.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.browser.entries.set(key, value);
    this.browser.announce(this, { key, newValue: value });
  }
  removeItem(key: string): void {
    this.browser.entries.delete(key);
    this.browser.announce(this, { key, newValue: null });
  }
  clearAll(): void {
    this.browser.entries.clear();
    this.browser.announce(this, { key: null, newValue: null });
  }
  addEventListener(_type: "storage", listener: (event: StorageChange) => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: "storage", listener: (event: StorageChange) => void): void {
    this.listeners.delete(listener);
  }
  hear(change: StorageChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

const signedIn: StoredTokens = {
  accessToken: "access-1",
  refreshToken: "refresh-1",
  idToken: "id-1",
  expiresAt: 1_800_000_000_000,
};
const refreshed: StoredTokens = { ...signedIn, accessToken: "access-2", refreshToken: "refresh-2" };

describe("TokenStore", () => {
  it("signs a second tab in with the tokens the first one saved", () => {
    const browser = new FakeBrowser();
    const first = browser.openTab();
    first.save(signedIn);

    expect(browser.openTab().load()).toEqual(signedIn);
  });

  it("has nothing for a browser that never signed in", () => {
    expect(new FakeBrowser().openTab().load()).toBeNull();
  });

  it("tells the other tabs when one signs out, so they sign out too", () => {
    const browser = new FakeBrowser();
    const first = browser.openTab();
    const second = browser.openTab();
    first.save(signedIn);
    const heard: (StoredTokens | null)[] = [];
    second.onChange((tokens) => heard.push(tokens));

    first.clear();

    expect(heard).toEqual([null]);
    expect(second.load()).toBeNull();
  });

  it("tells the other tabs of refreshed tokens, and of a sign-in", () => {
    const browser = new FakeBrowser();
    const first = browser.openTab();
    const second = browser.openTab();
    const heard: (StoredTokens | null)[] = [];
    second.onChange((tokens) => heard.push(tokens));

    first.save(signedIn);
    first.save(refreshed);

    expect(heard).toEqual([signedIn, refreshed]);
    expect(second.load()).toEqual(refreshed);
  });

  it("takes storage cleared as a whole (site data deleted) as a sign-out", () => {
    const browser = new FakeBrowser();
    const tab = new FakeTab(browser);
    const second = browser.openTab();
    second.save(signedIn);
    const heard: (StoredTokens | null)[] = [];
    second.onChange((tokens) => heard.push(tokens));

    tab.clearAll();

    expect(heard).toEqual([null]);
  });

  it("ignores other keys and stops listening when asked", () => {
    const browser = new FakeBrowser();
    const first = new FakeTab(browser);
    const second = browser.openTab();
    const heard: (StoredTokens | null)[] = [];
    const stop = second.onChange((tokens) => heard.push(tokens));

    first.setItem("mocksy.session.iv-1", "s-1");
    stop();
    first.setItem(TOKENS_KEY, JSON.stringify(signedIn));

    expect(heard).toEqual([]);
  });

  it("reads an unreadable or incomplete entry as signed out", () => {
    const browser = new FakeBrowser();
    const tab = new FakeTab(browser);
    const store = new TokenStore(tab);

    tab.setItem(TOKENS_KEY, "{not json");
    expect(store.load()).toBeNull();
    tab.setItem(TOKENS_KEY, JSON.stringify({ accessToken: "a" }));
    expect(store.load()).toBeNull();
    tab.setItem(TOKENS_KEY, JSON.stringify({ ...signedIn, idToken: undefined }));
    expect(store.load()).toEqual({ ...signedIn, idToken: null });
  });
});
