/** Geometry of the progress chart: scores 0..100 over attempts, as SVG coordinates. */

export interface ChartPoint {
  x: number;
  y: number;
}

export interface ChartBox {
  width: number;
  height: number;
  padding: number;
}

export function chartPoints(scores: number[], box: ChartBox): ChartPoint[] {
  const inner = { w: box.width - 2 * box.padding, h: box.height - 2 * box.padding };
  const step = scores.length > 1 ? inner.w / (scores.length - 1) : 0;
  return scores.map((score, i) => ({
    x: box.padding + (scores.length > 1 ? i * step : inner.w / 2),
    y: box.padding + inner.h * (1 - Math.min(100, Math.max(0, score)) / 100),
  }));
}

export function polyline(points: ChartPoint[]): string {
  return points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
}
