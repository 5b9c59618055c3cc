/** @jsxImportSource hono/jsx */
/**
 * Hourly traffic drawn as inline SVG from the stats roll-ups: no script, no CDN, readable with
 * JavaScript off. Each chart carries its text equivalent (an SVG title and description, and the
 * hours as a table), so a screen reader gets the numbers the picture shows.
 */
import type { HourPoint } from "../../services/stats";

const W = 720;
const H = 160;
const OK = "#2f9e5b";
const BAD = "#d0433a";
const LATENCY = "#2457d6";

const hourText = (ms: number) => `${new Date(ms).toISOString().slice(5, 13).replace("T", " ")}:00 UTC`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function totals(series: HourPoint[]) {
  const delivered = series.reduce((a, p) => a + p.delivered, 0);
  const failed = series.reduce((a, p) => a + p.failed, 0);
  const p95s = series.map((p) => p.p95).filter((v): v is number => v !== null);
  return { delivered, failed, worstP95: p95s.length ? Math.max(...p95s) : null };
}

/** The p95 line, one polyline per run of hours that had attempts. */
function latencyLines(series: HourPoint[], step: number, maxP95: number) {
  const runs: string[][] = [];
  let run: string[] = [];
  series.forEach((p, i) => {
    if (p.p95 === null) {
      if (run.length) runs.push(run);
      run = [];
      return;
    }
    run.push(`${(i + 0.5) * step},${H - (p.p95 / maxP95) * (H - 4)}`);
  });
  if (run.length) runs.push(run);
  return runs.map((points) =>
    points.length === 1 ? (
      // A lone hour: a dash across its bar (a circle would stretch into an ellipse, the SVG scales x alone).
      <line
        x1={Number(points[0]!.split(",")[0]) - step / 2}
        x2={Number(points[0]!.split(",")[0]) + step / 2}
        y1={points[0]!.split(",")[1]}
        y2={points[0]!.split(",")[1]}
        stroke={LATENCY}
        stroke-width="3"
        vector-effect="non-scaling-stroke"
      />
    ) : (
      <polyline
        points={points.join(" ")}
        fill="none"
        stroke={LATENCY}
        stroke-width="2"
        vector-effect="non-scaling-stroke"
      />
    ),
  );
}

/** Delivered and failed deliveries per hour as stacked bars, with the hour's p95 latency as a line. */
export function HourlyChart(props: { series: HourPoint[]; span: string; id: string }) {
  const { series } = props;
  const t = totals(series);
  const maxCount = Math.max(1, ...series.map((p) => p.delivered + p.failed));
  const maxP95 = t.worstP95 ?? 1;
  const step = W / series.length;
  const gap = step > 6 ? 1 : 0;
  const busiest = Math.max(0, ...series.map((p) => p.delivered + p.failed));
  const summary = `${t.delivered} delivered and ${t.failed} failed over the ${props.span}; busiest hour ${plural(busiest, "delivery", "deliveries")}; worst hourly p95 latency ${t.worstP95 === null ? "none (no attempts)" : `${t.worstP95} ms`}.`;
  const busy = series.filter((p) => p.delivered || p.failed || p.p95 !== null);
  return (
    <figure class="chart" aria-labelledby={`${props.id}-cap`}>
      <figcaption id={`${props.id}-cap`}>
        <span class="legend">
          <span class="key" style={`background:${OK}`} /> delivered <span class="key" style={`background:${BAD}`} />{" "}
          failed <span class="key line" style={`background:${LATENCY}`} /> p95 latency
        </span>
        <span class="muted">
          bars up to {plural(maxCount, "delivery", "deliveries")}/hour · line up to{" "}
          {t.worstP95 === null ? "—" : `${t.worstP95} ms`}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        preserveAspectRatio="none"
        role="img"
        aria-labelledby={`${props.id}-t ${props.id}-d`}
      >
        <title id={`${props.id}-t`}>Deliveries per hour, {props.span}</title>
        <desc id={`${props.id}-d`}>{summary}</desc>
        <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} stroke="#b9c2ce" />
        {series.map((p, i) => {
          const ok = (p.delivered / maxCount) * (H - 4);
          const bad = (p.failed / maxCount) * (H - 4);
          const x = i * step + gap / 2;
          return (
            <g>
              <title>
                {hourText(p.hour)}: {p.delivered} delivered, {p.failed} failed
                {p.p95 !== null ? `, p95 ${p.p95} ms` : ""}
              </title>
              {p.delivered ? <rect x={x} y={H - ok} width={step - gap} height={ok} fill={OK} /> : null}
              {p.failed ? <rect x={x} y={H - ok - bad} width={step - gap} height={bad} fill={BAD} /> : null}
            </g>
          );
        })}
        {latencyLines(series, step, maxP95)}
      </svg>
      <div class="axis muted">
        <span>{hourText(series[0]!.hour)}</span>
        <span>{hourText(series[series.length - 1]!.hour)}</span>
      </div>
      <details>
        <summary>The numbers ({busy.length ? plural(busy.length, "hour") : "no hour"} with traffic)</summary>
        {busy.length ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Hour</th>
                  <th scope="col">Delivered</th>
                  <th scope="col">Failed</th>
                  <th scope="col">p95 latency</th>
                </tr>
              </thead>
              <tbody>
                {busy.map((p) => (
                  <tr>
                    <td>{hourText(p.hour)}</td>
                    <td>{p.delivered}</td>
                    <td>{p.failed}</td>
                    <td>{p.p95 === null ? "—" : `${p.p95} ms`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">No deliveries finished in this window.</p>
        )}
      </details>
    </figure>
  );
}

/** A small bar per hour (delivered green, failed red) for the endpoints list. */
export function Sparkline(props: { series: HourPoint[] }) {
  const { series } = props;
  const t = totals(series);
  const w = 96;
  const h = 20;
  const max = Math.max(1, ...series.map((p) => p.delivered + p.failed));
  const step = w / series.length;
  return (
    <svg
      class="spark"
      viewBox={`0 0 ${w} ${h}`}
      width={w}
      height={h}
      role="img"
      aria-label={`Last 24 hours: ${t.delivered} delivered, ${t.failed} failed`}
    >
      <line x1="0" y1={h - 0.5} x2={w} y2={h - 0.5} stroke="#d9dee5" />
      {series.map((p, i) => {
        const ok = (p.delivered / max) * h;
        const bad = (p.failed / max) * h;
        return (
          <>
            {p.delivered ? <rect x={i * step} y={h - ok} width={step - 0.5} height={ok} fill={OK} /> : null}
            {p.failed ? <rect x={i * step} y={h - ok - bad} width={step - 0.5} height={bad} fill={BAD} /> : null}
          </>
        );
      })}
    </svg>
  );
}
