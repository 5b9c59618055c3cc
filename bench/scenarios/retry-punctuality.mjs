// Scenario 5: retry punctuality. Every delivery fails once, then waits on a RETRY_STEP_S ladder
// step, so all its retries are pending at once before the first comes due; measures how late
// each retry arrives against the due time the log showed while it waited.
import { listAll, percentile, sleep, waitFor } from "../lib.mjs";
import { postBatches, setupTenant, withRows } from "../scenario-kit.mjs";

export const id = 5;
export const title = "retry punctuality";

// 8 retries per endpoint: 10 failures in a row would open an endpoint's circuit breaker (by
// design) and hold the rest back, which is not what this measures. 1,250 × 8 = 10,000 pending
// retries (the target). The step sets how fast they come due (± 20 % jitter on first
// attempts spread over ~20 s). Measured, one local workerd thread completes ~240 retries/s:
// with 300 s they fall due at ≤ ~85/s, within it; BENCH_RETRY_STEP_S=120 (≤ ~200/s) is at its
// edge and 40 (~350/s) beyond it, which shows how the ladder degrades when overloaded (late,
// never lost). Long enough, either way, that every first attempt is made and every due time read
// before the first retry is due.
const RETRY_ENDPOINTS = Number(process.env.BENCH_RETRY_ENDPOINTS || 1250);
const RETRY_PER_ENDPOINT = 8;
const RETRY_STEP_S = Number(process.env.BENCH_RETRY_STEP_S || 300);

export async function run(ctx) {
  const { call, receiver } = ctx;
  const total = RETRY_ENDPOINTS * RETRY_PER_ENDPOINT;
  console.log(
    `5. retry punctuality: ${RETRY_PER_ENDPOINT} events × ${RETRY_ENDPOINTS} endpoints = ${total} pending retries, first attempt 500, ladder { schedule_s: [${RETRY_STEP_S}] }`,
  );
  await receiver.reset({ failFirst: true });
  const setupStarted = Date.now();
  const retryEps = await setupTenant(call, "bench-retry", RETRY_ENDPOINTS, receiver, {
    retry_policy: { schedule_s: [RETRY_STEP_S] },
  });
  console.log(`  ${RETRY_ENDPOINTS} endpoints created in ${((Date.now() - setupStarted) / 1000).toFixed(0)} s`);
  await sleep(500);
  ctx.results.figures.retry_punctuality = await withRows(ctx.service, "retry", "delivered", () =>
    measure(ctx, retryEps, total),
  );
}

async function measure({ call, receiver }, retryEps, total) {
  const pathOf = new Map(retryEps.map((ep, i) => [ep.id, `/bench-retry/${i}`]));
  const started = Date.now();
  await postBatches(call, "bench-retry", RETRY_PER_ENDPOINT);
  // The due time of each retry is the delivery's next_attempt_at while it waits: read the log in
  // passes, a second apart, while first attempts go out (a pass takes far less than the step's
  // shortest wait, 0.8 × RETRY_STEP_S), until every due time is known or the first attempts stop.
  const due = new Map();
  const readUntil = Date.now() + 300_000;
  let firstAttempts = 0;
  let quietSince = Date.now();
  let serviceErrors = 0;
  while (due.size < total && Date.now() < readUntil) {
    // A failing service read is a finding, not the end of the run: count it and read again.
    const page = await listAll(call, "/v1/tenants/bench-retry/deliveries?status=pending_retry").catch((err) => {
      serviceErrors += 1;
      if (serviceErrors <= 3) console.log(`  service error while reading due times: ${String(err).slice(0, 1600)}`);
      return [];
    });
    for (const d of page) {
      if (d.next_attempt_at && !due.has(d.id))
        due.set(d.id, { key: `${pathOf.get(d.endpoint_id)}|${d.event_id}`, at: Date.parse(d.next_attempt_at) });
    }
    const seen = Object.keys((await receiver.stats()).arrivals).filter((k) => k.startsWith("/bench-retry/")).length;
    if (seen > firstAttempts) [firstAttempts, quietSince] = [seen, Date.now()];
    else if (Date.now() - quietSince > RETRY_STEP_S * 1000) break; // nothing new for a whole step
    if (due.size < total) await sleep(1000);
  }
  const firstSpanS = (Date.now() - started) / 1000;
  console.log(
    `  ${due.size} due times read, ${firstAttempts} first attempts seen, in ${firstSpanS.toFixed(0)} s; waiting for the retries`,
  );
  // The last retry can be due a whole step (+20 % jitter) after the last first attempt, which may
  // be now: wait from whichever is later.
  const lastDue = Math.max(Date.now() + RETRY_STEP_S * 1200, ...[...due.values()].map((d) => d.at));
  await waitFor(
    async () => {
      const stats = await receiver.stats();
      const retried = Object.entries(stats.arrivals).filter(
        ([k, a]) => k.startsWith("/bench-retry/") && a.length >= 2,
      ).length;
      return retried >= total || Date.now() > lastDue + 60_000 ? true : null;
    },
    { timeoutMs: RETRY_STEP_S * 2000 + 180_000, everyMs: 1000 },
  );
  const arr5 = new Map(
    Object.entries((await receiver.stats()).arrivals).filter(([k]) => k.startsWith("/bench-retry/")),
  );
  const offsets = [];
  const signed = [];
  for (const { key, at } of due.values()) {
    const second = arr5.get(key)?.[1];
    if (second) {
      offsets.push(Math.abs(second[0] - at));
      signed.push(second[0] - at);
    }
  }
  offsets.sort((a, b) => a - b);
  signed.sort((a, b) => a - b);
  if (process.env.BENCH_DEBUG)
    console.log(
      "  debug: signed lateness p1/p50/p99",
      percentile(signed, 1),
      percentile(signed, 50),
      percentile(signed, 99),
    );
  // How many retries were pending at once: +1 at a first attempt, −1 at its retry.
  const steps = [...arr5.values()]
    .flatMap((a) => [[a[0][0], 1], ...(a[1] ? [[a[1][0], -1]] : [])])
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let pending = 0;
  let pendingAtOnce = 0;
  for (const [, d] of steps) {
    pending += d;
    pendingAtOnce = Math.max(pendingAtOnce, pending);
  }
  const retriedOk = [...arr5.values()].filter((a) => a.some(([, s]) => s >= 200 && s < 300)).length;
  const duplicates = [...arr5.values()].reduce(
    (s, a) => s + Math.max(0, a.filter(([, st]) => st >= 200 && st < 300).length - 1),
    0,
  );
  const seconds = (Date.now() - started) / 1000;
  return {
    endpoints: RETRY_ENDPOINTS,
    deliveries: total,
    step_s: RETRY_STEP_S,
    pending_at_once: pendingAtOnce,
    first_attempts_s: firstSpanS,
    delivered: retriedOk,
    retried_ok: retriedOk,
    // Not delivered when the run stopped waiting: lost, or still late on the ladder.
    undelivered_at_end: total - retriedOk,
    duplicates,
    observed_due_times: offsets.length,
    service_errors: serviceErrors,
    early_ms_min: signed[0] < 0 ? -signed[0] : 0,
    p50_ms: percentile(offsets, 50),
    p99_ms: percentile(offsets, 99),
    max_ms: offsets.at(-1),
    run_s: seconds,
  };
}
