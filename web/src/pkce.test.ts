import { describe, expect, it } from "vitest";
import { authorizeUrl, base64url, challengeOf, claimsOf, randomVerifier } from "./pkce";

describe("PKCE", () => {
  it("derives the S256 challenge of RFC 7636's example verifier", async () => {
    // Appendix B of RFC 7636.
    expect(await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("makes verifiers of the allowed alphabet and length, different each time", () => {
    const a = randomVerifier();
    expect(a).toMatch(/^[A-Za-z0-9\-._~]{64}$/);
    expect(randomVerifier()).not.toBe(a);
    expect(() => randomVerifier(20)).toThrow(/43 to 128/);
  });

  it("sends a sign-up to Keycloak's registration page with the same PKCE parameters", () => {
    const url = new URL(
      authorizeUrl({
        issuer: "http://127.0.0.1:18080/realms/mocksy",
        clientId: "mocksy-web",
        redirectUri: "http://127.0.0.1:5173/callback",
        state: "s1",
        challenge: "c1",
        register: true,
      }),
    );
    expect(url.pathname).toBe("/realms/mocksy/protocol/openid-connect/registrations");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("redirect_uri")).toBe("http://127.0.0.1:5173/callback");
  });

  it("reads a token's claims, including URL-safe characters", () => {
    const payload = base64url(new TextEncoder().encode(JSON.stringify({ name: "Ada ü?>", exp: 5 })));
    expect(claimsOf(`h.${payload}.s`)).toEqual({ name: "Ada ü?>", exp: 5 });
  });
});
