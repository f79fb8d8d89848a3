import { describe, expect, it } from "vitest";
import { chartPoints, polyline } from "./chart";

const box = { width: 220, height: 120, padding: 10 };

describe("progress chart", () => {
  it("puts the first attempt on the left, the last on the right, higher scores higher", () => {
    const [first, second] = chartPoints([40, 90], box);
    expect(first.x).toBe(10);
    expect(second.x).toBe(210);
    expect(second.y).toBeLessThan(first.y);
    expect(polyline([first, second])).toBe("10.0,70.0 210.0,20.0");
  });

  it("centres a single attempt and clamps scores to 0..100", () => {
    expect(chartPoints([150], box)).toEqual([{ x: 110, y: 10 }]);
  });
});
