/** What a person reads when a request fails: the API's own message, or which service is down. */
import { SERVICE_LABELS, type ServiceName } from "./config";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly service: ServiceName,
  ) {
    super(message);
  }
}

export class ServiceDown extends Error {
  constructor(readonly service: ServiceName) {
    super(
      `The ${SERVICE_LABELS[service]} service is not answering right now. ` +
        "Your data is safe; try again in a moment.",
    );
  }
}

type Detail = string | { loc?: (string | number)[]; msg?: string }[] | undefined;

/** FastAPI's `detail`: a sentence, or validation errors naming the field. */
export function describeDetail(detail: Detail, status: number): string {
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail) && detail.length > 0) {
    return detail
      .map((d) => {
        const field = (d.loc ?? []).filter((p) => p !== "body" && p !== "query").join(".");
        return field ? `${field}: ${d.msg ?? "invalid"}` : (d.msg ?? "invalid");
      })
      .join("; ");
  }
  return `request failed with status ${status}`;
}

/** Statuses that mean the service (or what it needs) is down, not that the request was wrong. */
export function isOutage(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
