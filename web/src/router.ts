/** Paths of the screens; the browser's history drives them, so back and forward work. */
import { useEffect, useState } from "react";

export type Route =
  | { screen: "home" }
  | { screen: "callback" }
  | { screen: "setup" }
  | { screen: "interviews" }
  | { screen: "room"; interviewId: string }
  | { screen: "feedback"; sessionId: string }
  | { screen: "history" }
  | { screen: "missing"; path: string };

export function parseRoute(path: string): Route {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second] = parts;
  if (parts.length === 0) return { screen: "home" };
  if (parts.length === 1 && first === "callback") return { screen: "callback" };
  if (parts.length === 1 && first === "setup") return { screen: "setup" };
  if (parts.length === 1 && first === "interviews") return { screen: "interviews" };
  if (parts.length === 1 && first === "history") return { screen: "history" };
  if (parts.length === 2 && first === "room" && second) return { screen: "room", interviewId: second };
  if (parts.length === 2 && first === "feedback" && second) return { screen: "feedback", sessionId: second };
  return { screen: "missing", path };
}

export function pathOf(route: Route): string {
  switch (route.screen) {
    case "home":
      return "/";
    case "room":
      return `/room/${encodeURIComponent(route.interviewId)}`;
    case "feedback":
      return `/feedback/${encodeURIComponent(route.sessionId)}`;
    case "missing":
      return route.path;
    default:
      return `/${route.screen}`;
  }
}

export function navigate(route: Route, replace = false): void {
  const path = pathOf(route);
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return route;
}
