// `npm run chaos`: the local service against a receiver that fails at random (seeded), then a
// SIGKILL of the whole service while retries are pending. Checks that every (event, endpoint)
// pair got a 2xx at least once, counts duplicates, and compares with the deliveries API.
// Exit code 1 when anything was lost. CHAOS_EVENTS (default 300), CHAOS_SEED (default 7).
import { client, freshStateDir, listAll, sleep, startReceiver, startService, waitFor } from "./lib.mjs";

const PORTS = { service: 8792, receiver: 4102 };
const EVENTS = Number(process.env.CHAOS_EVENTS || 300);
const SEED = Number(process.env.CHAOS_SEED || 7);
const ENDPOINTS = 5;
// A short ladder, so the run takes a minute, not a day: 20 steps of 1–5 s.
const LADDER = { schedule_s: [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5] };
const ok = (status) => status >= 200 && status < 300;

async function setup(call, receiver, tenant, extra, count = ENDPOINTS) {
  await call("POST", "/v1/tenants", { id: tenant, name: tenant });
  const eps = [];
  for (let i = 0; i < count; i++) {
    eps.push(await call("POST", `/v1/tenants/${tenant}/endpoints`, { url: `${receiver.base}/${tenant}/${i}`, retry_policy: LADDER, timeout_ms: 1000, ...extra }));
  }
  return new Map(eps.map((ep, i) => [ep.id, `/${tenant}/${i}`]));
}

async function post(call, tenant, count) {
  const ids = [];
  for (let i = 0; i < count; i += 50) {
    const events = Array.from({ length: Math.min(50, count - i) }, (_, j) => ({ type: "chaos.event", data: { n: i + j } }));
    for (const r of (await call("POST", `/v1/tenants/${tenant}/events/batch`, { events })).data) ids.push(r.id);
  }
  return ids;
}

/** Every pair's arrivals at the receiver, and what the deliveries API says of each. */
async function verdict(call, receiver, tenant, pathOf, eventIds) {
  const arrivals = (await receiver.stats()).arrivals;
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
  return { pairs: eventIds.length * pathOf.size, deliveries: deliveries.length, lost, duplicates, attempts_seen: attempts, by_status: byStatus, api_disagreements: disagreements };
}

async function settle(call, receiver, tenant, pathOf, eventIds, timeoutMs) {
  return waitFor(
    async () => {
      const v = await verdict(call, receiver, tenant, pathOf, eventIds);
      return v.lost === 0 && v.api_disagreements === 0 ? v : null;
    },
    { timeoutMs, everyMs: 1000 },
  );
}

async function main() {
  const stateDir = freshStateDir("chaos");
  const receiver = await startReceiver({ port: PORTS.receiver });
  let service = await startService({ port: PORTS.service, stateDir });
  const report = {};
  let failed = false;
  try {
    let call = client(service.base, service.rootKey);

    // Phase 1: a flaky receiver. 20 % 500s, 10 % answers slower than the 1 s timeout, 10 % dropped connections.
    const chaos = { seed: SEED, p500: 0.2, pSlow: 0.1, pDrop: 0.1, slowMs: 1500 };
    console.log(`phase 1: ${EVENTS} events × ${ENDPOINTS} endpoints, receiver ${JSON.stringify(chaos)}`);
    await receiver.reset({ chaos });
    const flaky = await setup(call, receiver, "chaos-flaky");
    const ids1 = await post(call, "chaos-flaky", EVENTS);
    const v1 = (await settle(call, receiver, "chaos-flaky", flaky, ids1, 180_000)) ?? (await verdict(call, receiver, "chaos-flaky", flaky, ids1));
    await sleep(2000); // a late duplicate would show up now
    report.phase1 = await verdict(call, receiver, "chaos-flaky", flaky, ids1);
    console.log("  ", JSON.stringify(report.phase1));

    // Phase 2: the receiver is down (every answer 500) while events arrive; once every pair has
    // failed once and waits on the ladder (5 s), SIGKILL the service (wrangler, workerd and all),
    // restart it on the same state, bring the receiver back: every pending retry must arrive.
    // 8 events per endpoint over 25 endpoints keeps each endpoint under its breaker threshold.
    const down = { seed: SEED, p500: 1 };
    const n2 = 8;
    console.log(`phase 2: ${n2} events × 25 endpoints, receiver down, SIGKILL while retries are pending`);
    await receiver.reset({ chaos: down });
    const killed = await setup(call, receiver, "chaos-kill", { retry_policy: { schedule_s: [5, 5, 5, 5, 5, 5, 5, 5, 5, 5] } }, 25);
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
      async () => (pendingBefore = (await listAll(call, "/v1/tenants/chaos-kill/deliveries?status=pending_retry")).length) === killed.size * n2,
      { timeoutMs: 4_000, everyMs: 100 },
    );
    await service.stop("SIGKILL");
    console.log(`   killed with ${pendingBefore} deliveries pending a retry (every pair failed once: ${Boolean(allFailedOnce)})`);
    await receiver.reset({ chaos: { seed: SEED } }); // healthy again; arrivals from here on
    service = await startService({ port: PORTS.service, stateDir });
    call = client(service.base, service.rootKey);
    await settle(call, receiver, "chaos-kill", killed, ids2, 120_000);
    report.phase2 = { pending_before_kill: pendingBefore, ...(await verdict(call, receiver, "chaos-kill", killed, ids2)) };
    console.log("  ", JSON.stringify(report.phase2));
    failed = report.phase1.lost > 0 || report.phase2.lost > 0 || report.phase1.api_disagreements > 0 || report.phase2.api_disagreements > 0 || pendingBefore === 0;
  } finally {
    if (process.env.BENCH_DEBUG) console.log(service.output().split("\n").filter((l) => /rror|warn/i.test(l)).slice(-10).join("\n"));
    await service.stop();
    await receiver.stop();
  }
  console.log(`\nchaos: phase 1 lost ${report.phase1.lost}/${report.phase1.pairs}, duplicates ${report.phase1.duplicates}; phase 2 lost ${report.phase2.lost}/${report.phase2.pairs} after SIGKILL with ${report.phase2.pending_before_kill} pending — ${failed ? "FAILED" : "ok"}`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
