// The retention's rows, measured: what a segment's drop and its hourly looks write. The running
// service cannot show it (a segment drops once its newest row is past the tenant's retention, at
// least a day of wall-clock time away), so this runs the workerd test that ages a segment's rows
// and drops it, counted with the service's own row counters (test/tenant-log/retention-rows.test.ts),
// and turns its figures into rows per webhook for a segment of a given number of events.
import { spawn } from "node:child_process";
import { ROOT } from "./lib.mjs";

const TEST_FILE = "test/tenant-log/retention-rows.test.ts";
/** Its line of figures (the test prints it; ANSI colours stripped before matching). */
const LINE = /RETENTION_ROWS (\{.*\})/;

/** Runs the test; answers its figures, or null and why when it could not (BENCH_RETENTION=off skips it). */
export async function measureRetentionRows() {
  if (process.env.BENCH_RETENTION === "off") return { figures: null, why: "BENCH_RETENTION=off" };
  const out = await new Promise((resolve) => {
    const child = spawn("npx", ["vitest", "run", "--project", "workers-fresh-db", "--silent=false", TEST_FILE], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (d) => {
      text += d;
    });
    child.stderr.on("data", (d) => {
      text += d;
    });
    child.once("exit", (code) => resolve({ code, text }));
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
  const m = LINE.exec(out.text.replace(/\u001b\[[0-9;]*m/g, ""));
  if (out.code !== 0 || !m) return { figures: null, why: `${TEST_FILE} exited ${out.code}: ${out.text.slice(-600)}` };
  return { figures: JSON.parse(m[1]), why: null };
}

/**
 * Rows per webhook the retention writes over one segment's life, for a segment of `events`
 * webhooks that took events for `openHours` and is kept `retentionDays` after it closed: the
 * hourly looks while it takes events, the hourly looks while closed, and the drop. Alarms are
 * included (each look re-arms one), so these rows are not in the run's alarm column.
 */
export function retentionPerWebhook(figures, { events, openHours, retentionDays }) {
  const openLooks = (openHours * 3600_000) / figures.open_look_every_ms;
  const closedLooks = (retentionDays * 86_400_000) / figures.closed_look_every_ms;
  const rows = openLooks * figures.open_look.total + closedLooks * figures.closed_look.total + figures.drop.total;
  return {
    per_webhook: rows / events,
    rows_per_segment: rows,
    events_per_segment: events,
    open_looks: openLooks,
    closed_looks: closedLooks,
    drop_rows: figures.drop.total,
    measured: figures,
  };
}
