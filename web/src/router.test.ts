import { describe, expect, it } from "vitest";
import { parseRoute, pathOf, type Route } from "./router";

describe("routes", () => {
  it("round-trip every screen through its path", () => {
    const routes: Route[] = [
      { screen: "home" },
      { screen: "setup" },
      { screen: "interviews" },
      { screen: "history" },
      { screen: "room", interviewId: "abc 1" },
      { screen: "feedback", sessionId: "s-2" },
    ];
    for (const route of routes) expect(parseRoute(pathOf(route))).toEqual(route);
  });

  it("shows an unknown path as missing instead of a blank page", () => {
    expect(parseRoute("/nope/x/y")).toEqual({ screen: "missing", path: "/nope/x/y" });
  });
});
