// `npm run chaos`: the local service against a receiver that fails at random (seeded), then a
// SIGKILL of the whole service while retries are pending, then a SIGKILL while ingest and outbox
// writes are in flight in the per-tenant store, then a SIGKILL right after a segment rollover
// (small segments). Checks that every (event, endpoint) pair got a
// 2xx at least once, counts duplicates, and compares with the deliveries API. Everything is read
// through the API, so the harness holds whichever store keeps the traffic (D1, or the TenantLog).
// Exit code 1 when anything was lost. CHAOS_EVENTS (default 300), CHAOS_SEED (default 7),
// CHAOS_SEGMENT_EVENTS (phase 4's segment size, default 20), CHAOS_PHASES (default 1,2,3,4).
import { client, freePort, freshStateDir, listAll, sleep, startReceiver, startService, waitFor } from "./lib.mjs";

const EVENTS = Number(process.env.CHAOS_EVENTS || 300);
// CHAOS_PHASES=4 runs only those phases (for working on one).
const PHASES = new Set((process.env.CHAOS_PHASES || "1,2,3,4").split(",").map(Number));
const SEED = Number(process.env.CHAOS_SEED || 7);
const ENDPOINTS = 5;
// A short ladder, so the run takes a minute, not a day: 20 steps of 1–5 s.
const LADDER = { schedule_s: [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5] };
const ok = (status) => status >= 200 && status < 300;

async function setup(call, receiver, tenant, extra, count = ENDPOINTS) {
  await call("POST", "/v1/tenants", { id: tenant, name: tenant });
  const eps = [];
  for (let i = 0; i < count; i++) {
    eps.push(
      await call("POST", `/v1/tenants/${tenant}/endpoints`, {
        url: `${receiver.base}/${tenant}/${i}`,
        retry_policy: LADDER,
        timeout_ms: 1000,
        ...extra,
      }),
    );
  }
  return new Map(eps.map((ep, i) => [ep.id, `/${tenant}/${i}`]));
}

async function post(call, tenant, count) {
  const ids = [];
  for (let i = 0; i < count; i += 50) {
    const events = Array.from({ length: Math.min(50, count - i) }, (_, j) => ({
      type: "chaos.event",
      data: { n: i + j },
    }));
    for (const r of (await call("POST", `/v1/tenants/${tenant}/events/batch`, { events })).data) ids.push(r.id);
  }
  return ids;
}

/** Every pair's arrivals at the receiver, and what the deliveries API says of each. */
async function verdict(call, receiver, tenant, pathOf, eventIds, earlier = {}) {
  // Arrivals from before a receiver reset (`earlier`) count too: a pair delivered before a kill is delivered.
  const arrivals = { ...(await receiver.stats()).arrivals };
  for (const [k, a] of Object.entries(earlier)) arrivals[k] = [...a, ...(arrivals[k] ?? [])];
  const deliveries = await listAll(call, `/v1/tenants/${tenant}/deliveries`);
  let lost = 0;
  let duplicates = 0;
  let attempts = 0;
  for (const id of eventIds) {
    for (const path of pathOf.values()) {
      const seen = arrivals[`${path}|${id}`] ?? [];
      attempts += seen.length;
      const good = seen.filter(([, s]) => ok(s)).length;
      if (good === 0) lost += 1;
      duplicates += Math.max(0, good - 1);
    }
  }
  const byStatus = {};
  for (const d of deliveries) byStatus[d.status] = (byStatus[d.status] ?? 0) + 1;
  // The API must agree with the receiver: a delivery is `succeeded` exactly when its pair got a 2xx.
  let disagreements = 0;
  for (const d of deliveries) {
    const good = (arrivals[`${pathOf.get(d.endpoint_id)}|${d.event_id}`] ?? []).some(([, s]) => ok(s));
    if ((d.status === "succeeded") !== good) disagreements += 1;
  }
  return {
    pairs: eventIds.length * pathOf.size,
    deliveries: deliveries.length,
    lost,
    duplicates,
    attempts_seen: attempts,
    by_status: byStatus,
    api_disagreements: disagreements,
  };
}

async function settle(call, receiver, tenant, pathOf, eventIds, timeoutMs, earlier = {}) {
  return waitFor(
    async () => {
      const v = await verdict(call, receiver, tenant, pathOf, eventIds, earlier);
      return v.lost === 0 && v.api_disagreements === 0 ? v : null;
    },
    { timeoutMs, everyMs: 1000 },
  );
}

/**
 * Phase 3: producers post as fast as they can (single events with an Idempotency-Key, and
 * batches whose events carry a body `id`) while the receiver fails 30 % of attempts, so ingest
 * writes, fan-out writes, outbox flushes and pending retries are all in flight; then SIGKILL the
 * service mid-stream and restart it on the same state. Producers then re-post, with the same keys,
 * whatever got no answer (as a real producer would). Every event that was answered 202 must still
 * be readable, a re-post of an answered key must give the same event, and every event must
 * reach every endpoint.
 */
async function killMidWrite(service, port, stateDir, receiver, report, phase = PHASE_3) {
  const { tenant, key, vars } = phase;
  const call0 = client(service.base, service.rootKey);
  console.log(`${key.replace("phase", "phase ")}: ${phase.says}`);
  await receiver.reset({ chaos: { seed: SEED + 1, p500: 0.3 } });
  const pathOf = await setup(call0, receiver, tenant, {}, ENDPOINTS);
  const accepted = new Map(); // idempotency key → event id answered with 202
  const unanswered = new Map(); // key → how to post it again
  let inFlight = 0;
  let inFlightAtKill = 0;
  let stop = false;
  const post = async (base, req) => {
    const res = await fetch(`${base}/v1/tenants/${tenant}/${req.path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${service.rootKey}`,
        "content-type": "application/json",
        ...(req.key ? { "idempotency-key": req.key } : {}),
      },
      body: JSON.stringify(req.body),
    });
    if (res.status !== 202) throw new Error(`status ${res.status}`);
    return res.json();
  };
  const single = (n) => ({
    keys: [`s-${n}`],
    path: "events",
    key: `s-${n}`,
    body: { type: "chaos.inflight", data: { n } },
  });
  const batch = (n) => ({
    keys: Array.from({ length: 20 }, (_, j) => `b-${n}-${j}`),
    path: "events/batch",
    body: {
      events: Array.from({ length: 20 }, (_, j) => ({ id: `b-${n}-${j}`, type: "chaos.inflight", data: { n, j } })),
    },
  });
  // Phase 4 kills right after an answer names a segment no answer named before: a rollover has
  // just happened, and the requests still in flight are meeting the closed segment.
  let maxSegment = -1;
  let rollovers = 0;
  const sawSegmentOf = (id) => {
    const n = segmentOf(id);
    if (n <= maxSegment) return;
    if (maxSegment >= 0) rollovers += 1;
    maxSegment = n;
  };
  const answered = (req, body) => {
    if (req.path === "events") accepted.set(req.key, body.id);
    else for (const [j, k] of req.keys.entries()) accepted.set(k, body.data[j].id);
    if (req.path === "events") sawSegmentOf(body.id);
    else for (const item of body.data) sawSegmentOf(item.id);
  };
  let seq = 0;
  const producer = (make) => async () => {
    while (!stop) {
      const req = make(seq++);
      inFlight += 1;
      try {
        answered(req, await post(service.base, req));
      } catch {
        unanswered.set(req.keys[0], req);
      } finally {
        inFlight -= 1;
      }
    }
  };
  const producers = [
    ...Array.from({ length: 6 }, () => producer(single)()),
    ...Array.from({ length: 2 }, () => producer(batch)()),
  ];
  // Kill once the pipeline is busy: events stored, deliveries failing and waiting on the ladder.
  await waitFor(async () => accepted.size >= 300 && (await receiver.stats()).count >= 200, {
    timeoutMs: 60_000,
    everyMs: 50,
  });
  let rolloversBeforeKill = null;
  if (phase.killAtRollover) {
    // The next rollover after this point, as soon as an answer shows it.
    const seen = rollovers;
    await waitFor(async () => rollovers > seen || null, { timeoutMs: 60_000, everyMs: 1 });
    rolloversBeforeKill = rollovers;
  }
  inFlightAtKill = inFlight;
  stop = true; // no new requests; the ones in flight now meet the kill
  await service.stop("SIGKILL");
  const answeredAtKill = accepted.size;
  // What reached the receiver before the kill stays delivered; keep it across the reset below.
  const earlier = Object.fromEntries(
    Object.entries((await receiver.stats()).arrivals).filter(([k]) => k.startsWith(`/${tenant}/`)),
  );
  await Promise.all(producers);
  console.log(
    `   killed with ${inFlightAtKill} ingest requests in flight; ${accepted.size} events answered 202, ${unanswered.size} requests unanswered`,
  );

  await receiver.reset({ chaos: { seed: SEED } }); // healthy again
  // A kill loses what the local queue held (miniflare keeps queues in memory; Cloudflare's are
  // durable), so fan-outs and hand-offs in flight are left to the sweeper, as production's would
  // be if their consumer died. Each TenantLog's alarm asks for its tenant's sweep once the grace
  // has passed: 10 s here instead of 120 s, so the harness need not wait minutes. (The cron pinged
  // below only reseals now; it stays so a run against an older build still sweeps.)
  const restarted = await startService({ port, stateDir, vars: { SWEEP_GRACE_S: 10, ...vars } });
  const cron = setInterval(
    () =>
      fetch(`${restarted.base}/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*`)
        .then((r) => r.arrayBuffer())
        .catch(() => {}),
    5000,
  );
  const call = client(restarted.base, restarted.rootKey);
  // The producers' own retry: every unanswered request again, same keys, until it is answered.
  let unacceptedAfterRestart = 0;
  for (const req of unanswered.values()) {
    const body = await waitFor(() => post(restarted.base, req).catch(() => null), { timeoutMs: 30_000, everyMs: 500 });
    if (body) answered(req, body);
    else unacceptedAfterRestart += 1;
  }
  // Answered before the kill: readable now, and a re-post of its key is the same event.
  let ackedButMissing = 0;
  let mismatches = 0;
  const keys = [...accepted.keys()];
  for (const key of keys) {
    const res = await fetch(`${restarted.base}/v1/tenants/${tenant}/events/${accepted.get(key)}`, {
      headers: { authorization: `Bearer ${restarted.rootKey}` },
    });
    await res.arrayBuffer();
    if (res.status !== 200) ackedButMissing += 1;
  }
  for (const key of keys.filter((k) => k.startsWith("s-")).slice(0, 50)) {
    const again = await post(restarted.base, single(Number(key.slice(2)))).catch(() => null);
    if (again?.id !== accepted.get(key)) mismatches += 1;
  }
  const ids = [...new Set(accepted.values())];
  await settle(call, receiver, tenant, pathOf, ids, 180_000, earlier);
  clearInterval(cron);
  await sleep(2000);
  report[key] = {
    ...(phase.killAtRollover
      ? { rollovers_before_kill: rolloversBeforeKill, segments_spanned: new Set(ids.map(segmentOf)).size }
      : {}),
    in_flight_at_kill: inFlightAtKill,
    answered_before_kill: answeredAtKill,
    unanswered_at_kill: unanswered.size,
    unaccepted_after_restart: unacceptedAfterRestart,
    acked_but_missing: ackedButMissing,
    idempotency_mismatches: mismatches,
    ...(await verdict(call, receiver, tenant, pathOf, ids, earlier)),
  };
  console.log("  ", JSON.stringify(report[key]));
  return { service: restarted, call };
}

/** The segment an event id names (`evt_….<segment>` or `….<segment>~<shard>`; none: segment 0). */
function segmentOf(id) {
  const m = /\.(\d+)(?:~\d+)?$/.exec(id);
  return m ? Number(m[1]) : 0;
}

const PHASE_3 = {
  key: "phase3",
  tenant: "chaos-inflight",
  says: "producers posting at full speed, receiver 30 % 500s, SIGKILL mid-stream",
  vars: {},
  killAtRollover: false,
};

/**
 * Phase 4: the same, on a service whose segments close every CHAOS_SEGMENT_EVENTS events, so the
 * producers roll the tenant's log over every few hundred milliseconds; the kill comes right after
 * an answer shows a rollover, while other requests are still meeting the closed segment and moving
 * the tenant row on. 100 events a segment keep the run's ~500 events within the segments an
 * append looks back in for an idempotency key (IDEMPOTENCY_SEGMENTS_BACK, 8, in
 * src/tenant-log/log-segments.ts): with 20, the early keys re-posted after the restart are past
 * that bound and come back as new events, which is the bound's doing, not the kill's.
 */
const SEGMENT_EVENTS = Number(process.env.CHAOS_SEGMENT_EVENTS || 100);
const PHASE_4 = {
  key: "phase4",
  tenant: "chaos-rollover",
  says: `segments of ${SEGMENT_EVENTS} events, producers posting at full speed, receiver 30 % 500s, SIGKILL right after a rollover`,
  vars: { TENANT_LOG_SEGMENT_MAX_EVENTS: SEGMENT_EVENTS },
  killAtRollover: true,
};

/** A phase's verdict: anything lost, missing, mismatched, or a kill that met nothing in flight. */
const failedPhase = (p) =>
  !p ||
  p.lost > 0 ||
  p.api_disagreements > 0 ||
  p.acked_but_missing > 0 ||
  p.idempotency_mismatches > 0 ||
  p.unaccepted_after_restart > 0 ||
  p.in_flight_at_kill === 0;

async function main() {
  const stateDir = freshStateDir("chaos");
  const receiver = await startReceiver({ port: await freePort() });
  const servicePort = await freePort();
  let service = await startService({ port: servicePort, stateDir });
  const report = {};
  let failed = false;
  try {
    let call = client(service.base, service.rootKey);

    // Phase 1: a flaky receiver. 20 % 500s, 10 % answers slower than the 1 s timeout, 10 % dropped connections.
    if (PHASES.has(1)) {
      const chaos = { seed: SEED, p500: 0.2, pSlow: 0.1, pDrop: 0.1, slowMs: 1500 };
      console.log(`phase 1: ${EVENTS} events × ${ENDPOINTS} endpoints, receiver ${JSON.stringify(chaos)}`);
      await receiver.reset({ chaos });
      const flaky = await setup(call, receiver, "chaos-flaky");
      const ids1 = await post(call, "chaos-flaky", EVENTS);
      (await settle(call, receiver, "chaos-flaky", flaky, ids1, 180_000)) ??
        (await verdict(call, receiver, "chaos-flaky", flaky, ids1));
      await sleep(2000); // a late duplicate would show up now
      report.phase1 = await verdict(call, receiver, "chaos-flaky", flaky, ids1);
      console.log("  ", JSON.stringify(report.phase1));
    }

    // Phase 2: the receiver is down (every answer 500) while events arrive; once every pair has
    // failed once and waits on the ladder (5 s), SIGKILL the service (wrangler, workerd and all),
    // restart it on the same state, bring the receiver back: every pending retry must arrive.
    // 8 events per endpoint over 25 endpoints keeps each endpoint under its breaker threshold.
    if (PHASES.has(2)) {
      const down = { seed: SEED, p500: 1 };
      const n2 = 8;
      console.log(`phase 2: ${n2} events × 25 endpoints, receiver down, SIGKILL while retries are pending`);
      await receiver.reset({ chaos: down });
      const killed = await setup(
        call,
        receiver,
        "chaos-kill",
        { retry_policy: { schedule_s: [5, 5, 5, 5, 5, 5, 5, 5, 5, 5] } },
        25,
      );
      const ids2 = await post(call, "chaos-kill", n2);
      const allFailedOnce = await waitFor(
        async () => {
          const arrivals = (await receiver.stats()).arrivals;
          return ids2.every((id) => [...killed.values()].every((p) => (arrivals[`${p}|${id}`] ?? []).length > 0));
        },
        { timeoutMs: 60_000, everyMs: 50 },
      );
      // The receiver sees an attempt a moment before the dispatcher's outbox records it in D1: wait
      // until the delivery log shows every pair waiting on the ladder, then kill.
      let pendingBefore = 0;
      await waitFor(
        async () => {
          pendingBefore = (await listAll(call, "/v1/tenants/chaos-kill/deliveries?status=pending_retry")).length;
          return pendingBefore === killed.size * n2;
        },
        {
          timeoutMs: 4_000,
          everyMs: 100,
        },
      );
      await service.stop("SIGKILL");
      console.log(
        `   killed with ${pendingBefore} deliveries pending a retry (every pair failed once: ${Boolean(allFailedOnce)})`,
      );
      await receiver.reset({ chaos: { seed: SEED } }); // healthy again; arrivals from here on
      service = await startService({ port: servicePort, stateDir });
      call = client(service.base, service.rootKey);
      await settle(call, receiver, "chaos-kill", killed, ids2, 120_000);
      report.phase2 = {
        pending_before_kill: pendingBefore,
        ...(await verdict(call, receiver, "chaos-kill", killed, ids2)),
      };
      console.log("  ", JSON.stringify(report.phase2));
    }

    // Phase 3: SIGKILL while writes are in flight in the per-tenant store.
    if (PHASES.has(3)) ({ service, call } = await killMidWrite(service, servicePort, stateDir, receiver, report));

    // Phase 4: SIGKILL during a segment rollover, on a service with small segments.
    if (PHASES.has(4)) {
      await service.stop();
      // A port of its own: the stopped service's may still be held for a moment.
      const port = await freePort();
      service = await startService({ port, stateDir, vars: PHASE_4.vars });
      ({ service, call } = await killMidWrite(service, port, stateDir, receiver, report, PHASE_4));
    }
    failed =
      (PHASES.has(1) && (report.phase1.lost > 0 || report.phase1.api_disagreements > 0)) ||
      (PHASES.has(2) &&
        (report.phase2.lost > 0 || report.phase2.api_disagreements > 0 || report.phase2.pending_before_kill === 0)) ||
      (PHASES.has(3) && failedPhase(report.phase3)) ||
      (PHASES.has(4) && (failedPhase(report.phase4) || !(report.phase4.rollovers_before_kill > 0)));
  } finally {
    if (process.env.BENCH_DEBUG)
      console.log(
        service
          .output()
          .split("\n")
          .filter((l) => /rror|warn/i.test(l))
          .slice(-10)
          .join("\n"),
      );
    await service.stop();
    await receiver.stop();
  }
  const said = [];
  if (report.phase1)
    said.push(`phase 1 lost ${report.phase1.lost}/${report.phase1.pairs}, duplicates ${report.phase1.duplicates}`);
  if (report.phase2)
    said.push(
      `phase 2 lost ${report.phase2.lost}/${report.phase2.pairs} after SIGKILL with ${report.phase2.pending_before_kill} pending`,
    );
  for (const key of ["phase3", "phase4"]) {
    const p = report[key];
    if (!p) continue;
    said.push(
      `${key.replace("phase", "phase ")} lost ${p.lost}/${p.pairs} after SIGKILL with ${p.in_flight_at_kill} ingest requests in flight${p.rollovers_before_kill === undefined ? "" : ` (right after rollover ${p.rollovers_before_kill}; ${p.segments_spanned} segments)`}, ${p.acked_but_missing} acknowledged events missing, ${p.idempotency_mismatches} idempotency mismatches`,
    );
  }
  console.log(`\nchaos: ${said.join("; ")} — ${failed ? "FAILED" : "ok"}`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
