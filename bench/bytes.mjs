// Bytes per event and per delivery in the tenant's log, measured on the running service: events
// with a 1 KB payload posted to tenants with 0, 1 and 3 endpoints, each delivered on the first try,
// and the log's SQLite size read before and after (GET /metrics?tenant=: every kept segment and
// shard). Pages are 4 KB, so BENCH_BYTES_EVENTS (default 300) keeps one page's rounding near 1 %.
import { listAll, tenantLogBytes, waitFor } from "./lib.mjs";
import { countArrivals, setupTenant } from "./scenario-kit.mjs";

const EVENTS = Number(process.env.BENCH_BYTES_EVENTS || 300);
/** A 1 KB payload, as issue 21's bytes target counts it. */
const PAYLOAD = "x".repeat(1000);
/** Posted first, so the objects and their tables exist before the first reading. */
const WARM = 10;

async function post(call, tenant, count, from) {
  for (let i = 0; i < count; i += 100) {
    const events = Array.from({ length: Math.min(100, count - i) }, (_, j) => ({
      type: "bytes.probe",
      data: { n: from + i + j, text: PAYLOAD },
    }));
    await call("POST", `/v1/tenants/${tenant}/events/batch`, { events });
  }
}

/** Waits until every event so far reached every endpoint and the log shows none still open. */
async function delivered(call, receiver, tenant, fanout, events) {
  if (fanout === 0) return;
  const arrived = await waitFor(
    async () => countArrivals(await receiver.stats(), [tenant]).delivered >= events * fanout || null,
    { timeoutMs: 120_000, everyMs: 250 },
  );
  if (!arrived) throw new Error(`bytes: ${tenant} did not get its ${events * fanout} deliveries`);
  const recorded = await waitFor(
    async () =>
      (await listAll(call, `/v1/tenants/${tenant}/deliveries?status=succeeded`)).length >= events * fanout || null,
    { timeoutMs: 60_000, everyMs: 500 },
  );
  if (!recorded) throw new Error(`bytes: ${tenant}'s log did not record its ${events * fanout} deliveries`);
}

/** Answers bytes per event (no endpoint), and per event and per delivery at fan-out 1 and 3. */
export async function measureBytes({ call, service, receiver, prefix = "bench-bytes" }) {
  const out = { events: EVENTS, payload_bytes: PAYLOAD.length };
  const grown = {};
  for (const fanout of [0, 1, 3]) {
    const tenant = `${prefix}-${fanout}`;
    await setupTenant(call, tenant, fanout, receiver);
    await post(call, tenant, WARM, 0);
    await delivered(call, receiver, tenant, fanout, WARM);
    const before = await tenantLogBytes(service, tenant);
    await post(call, tenant, EVENTS, WARM);
    await delivered(call, receiver, tenant, fanout, WARM + EVENTS);
    grown[fanout] = (await tenantLogBytes(service, tenant)) - before;
  }
  out.per_event = grown[0] / EVENTS;
  for (const fanout of [1, 3]) {
    out[`per_event_fanout_${fanout}`] = grown[fanout] / EVENTS;
    out[`per_delivery_fanout_${fanout}`] = (grown[fanout] / EVENTS - out.per_event) / fanout;
  }
  console.log(
    `  bytes (TenantLog SQLite, ${EVENTS} events, 1 KB payload): ${out.per_event.toFixed(0)} per event; per delivery with its first attempt ${out.per_delivery_fanout_1.toFixed(0)} (fan-out 1), ${out.per_delivery_fanout_3.toFixed(0)} (fan-out 3); per event all-in ${out.per_event_fanout_1.toFixed(0)} at fan-out 1, ${out.per_event_fanout_3.toFixed(0)} at fan-out 3`,
  );
  return out;
}
