/** Small shared pieces: links that use the router, notices, headings that take focus. */
import { type ReactNode, useEffect, useRef } from "react";
import { navigate, pathOf, type Route } from "./router";

export function Link({ to, current, children }: { to: Route; current?: Route; children: ReactNode }) {
  const here = current !== undefined && pathOf(current) === pathOf(to);
  return (
    <a
      href={pathOf(to)}
      aria-current={here ? "page" : undefined}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export function Notice({
  kind,
  children,
  onDismiss,
}: {
  kind: "error" | "info" | "warning";
  children: ReactNode;
  onDismiss?: () => void;
}) {
  return (
    <div className={`notice ${kind}`} role={kind === "error" ? "alert" : "status"}>
      <div>{children}</div>
      {onDismiss && (
        <button type="button" className="quiet" onClick={onDismiss} aria-label="Dismiss message">
          ×
        </button>
      )}
    </div>
  );
}

/** The screen's title; focused when the screen opens so screen readers announce it. */
export function Title({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

export function label(value: string): string {
  return value.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
