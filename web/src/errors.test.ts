import { describe, expect, it } from "vitest";
import { ServiceDown, describeDetail, isOutage } from "./errors";

describe("error messages", () => {
  it("names the field and the limit of a validation error", () => {
    const detail = [
      { loc: ["body", "question_count"], msg: "Input should be less than or equal to 20" },
    ];
    expect(describeDetail(detail, 422)).toBe(
      "question_count: Input should be less than or equal to 20",
    );
  });

  it("passes a service's own sentence through", () => {
    expect(describeDetail("No such interview", 404)).toBe("No such interview");
  });

  it("says which service is down, not a status code", () => {
    expect(new ServiceDown("voice").message).toMatch(/voice interview service is not answering/);
    expect(isOutage(503)).toBe(true);
    expect(isOutage(404)).toBe(false);
  });
});
