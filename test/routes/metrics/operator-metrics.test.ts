/**
 * GET /metrics' operator metrics, parsed back from the exposition text and checked against a
 * known set of attempts driven by hand (frozen dispatcher clocks, runDurableObjectAlarm): the
 * counters per endpoint and tenant, a histogram's buckets against the attempts' own recorded
 * durations, the backlog states (retrying, held, breaker_open), the scrape cap and its cursor.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LATENCY_BUCKETS_MS } from "../../../src/domain/deliveries";
import { escapeLabelValue, PrometheusText } from "../../../src/lib/prometheus";
import { api, createTenant, uniqueTenantId } from "../../helpers/api";
import { ladder } from "../../helpers/ladder";
import { workerWith } from "../../helpers/portal";
import { find, parsePrometheus } from "../../helpers/prometheus";
import { uniquePath } from "../../helpers/receiver";
import { logRows, tenantLogStub } from "../../helpers/tenant-log";

async function scrape(query = "") {
  const res = await api("GET", `/metrics${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheus(res.body as string);
}

describe("operator metrics", () => {
  it("counts attempts by outcome and status class, a latency histogram, finished deliveries and the backlog of a known run", async () => {
    const failing = await ladder({
      path: uniquePath("/status/503"),
      endpoint: { retry_policy: { schedule_s: [3600, 3600] } },
    });
    const tenant = failing.tenant;
    const ok = await ladder({ tenant, path: uniquePath("/ok") });
    const gone = await ladder({
      tenant,
      path: uniquePath("/status/404"),
      endpoint: { retry_policy: { schedule_s: [3600] } },
    });
    const held = await ladder({ tenant, path: uniquePath("/status/500") });
    // Three events fan out to all four endpoints.
    for (let n = 0; n < 3; n++) await failing.post({ type: "metrics.run", data: { n } });
    await failing.runAlarm(); // 3 × 503: retrying
    await ok.runAlarm(); // 3 × 200: succeeded
    await gone.runAlarm(); // 3 × 404: retrying
    await gone.advance(3600_000);
    await gone.runAlarm(); // 3 × 404 again: ladder exhausted, failed
    // The fourth never ran: disabled with its three deliveries still pending, they are held.
    expect((await api("POST", `/v1/tenants/${tenant}/endpoints/${held.endpoint.id}/disable`)).status).toBe(200);

    const m = await scrape(`?tenant=${tenant}`);
    const at = (endpoint: { id: string }, more: Record<string, string> = {}) => ({
      tenant_id: tenant,
      endpoint_id: endpoint.id,
      ...more,
    });
    expect(m.types.get("edgehooks_attempts_total")).toBe("counter");
    expect(m.types.get("edgehooks_attempt_duration_seconds")).toBe("histogram");
    expect(m.types.get("edgehooks_backlog_deliveries")).toBe("gauge");

    expect(find(m, "edgehooks_attempts_total", at(ok.endpoint, { outcome: "succeeded" }))).toBe(3);
    expect(find(m, "edgehooks_attempts_total", at(ok.endpoint, { outcome: "failed" }))).toBe(0);
    expect(find(m, "edgehooks_attempts_total", at(failing.endpoint, { outcome: "failed" }))).toBe(3);
    expect(find(m, "edgehooks_attempts_total", at(gone.endpoint, { outcome: "failed" }))).toBe(6);
    expect(find(m, "edgehooks_attempts_by_status_class_total", at(ok.endpoint, { status_class: "2xx" }))).toBe(3);
    expect(find(m, "edgehooks_attempts_by_status_class_total", at(failing.endpoint, { status_class: "5xx" }))).toBe(3);
    expect(find(m, "edgehooks_attempts_by_status_class_total", at(failing.endpoint, { status_class: "4xx" }))).toBe(0);
    expect(find(m, "edgehooks_attempts_by_status_class_total", at(gone.endpoint, { status_class: "4xx" }))).toBe(6);
    expect(find(m, "edgehooks_deliveries_finished_total", at(ok.endpoint, { status: "succeeded" }))).toBe(3);
    expect(find(m, "edgehooks_deliveries_finished_total", at(gone.endpoint, { status: "failed" }))).toBe(3);
    expect(find(m, "edgehooks_deliveries_finished_total", at(failing.endpoint, { status: "failed" }))).toBe(0);
    // An endpoint that never attempted anything has no counters yet.
    expect(find(m, "edgehooks_attempts_total", at(held.endpoint, { outcome: "failed" }))).toBeUndefined();

    // The histogram, bucket by bucket, against the durations the attempts recorded.
    const attempts = (await api("GET", `/v1/tenants/${tenant}/deliveries?endpoint_id=${gone.endpoint.id}`)).body
      .data as { id: string }[];
    const durations: number[] = [];
    for (const d of attempts)
      for (const a of (await api("GET", `/v1/tenants/${tenant}/deliveries/${d.id}`)).body.attempts)
        durations.push(a.duration_ms);
    expect(durations).toHaveLength(6);
    for (const le of LATENCY_BUCKETS_MS) {
      const expected = durations.filter((ms) => ms <= le).length;
      expect([
        le,
        find(m, "edgehooks_attempt_duration_seconds_bucket", at(gone.endpoint, { le: String(le / 1000) })),
      ]).toEqual([le, expected]);
    }
    expect(find(m, "edgehooks_attempt_duration_seconds_bucket", at(gone.endpoint, { le: "+Inf" }))).toBe(6);
    expect(find(m, "edgehooks_attempt_duration_seconds_count", at(gone.endpoint))).toBe(6);
    expect(find(m, "edgehooks_attempt_duration_seconds_sum", at(gone.endpoint))).toBeCloseTo(
      durations.reduce((a, b) => a + b, 0) / 1000,
      6,
    );

    // Backlog: every state of every endpoint with open deliveries, zeros included.
    expect(find(m, "edgehooks_backlog_deliveries", at(failing.endpoint, { state: "retrying" }))).toBe(3);
    expect(find(m, "edgehooks_backlog_deliveries", at(failing.endpoint, { state: "pending" }))).toBe(0);
    expect(find(m, "edgehooks_backlog_deliveries", at(held.endpoint, { state: "held" }))).toBe(3);
    expect(find(m, "edgehooks_backlog_deliveries", at(held.endpoint, { state: "pending" }))).toBe(0);
    expect(find(m, "edgehooks_backlog_deliveries", at(ok.endpoint, { state: "pending" }))).toBeUndefined();
    expect(find(m, "edgehooks_backlog_deliveries", at(gone.endpoint, { state: "retrying" }))).toBeUndefined();

    // Per tenant: the sums over its endpoints.
    expect(find(m, "edgehooks_tenant_attempts_total", { tenant_id: tenant, outcome: "succeeded" })).toBe(3);
    expect(find(m, "edgehooks_tenant_attempts_total", { tenant_id: tenant, outcome: "failed" })).toBe(9);
    expect(find(m, "edgehooks_tenant_backlog_deliveries", { tenant_id: tenant, state: "retrying" })).toBe(3);
    expect(find(m, "edgehooks_tenant_backlog_deliveries", { tenant_id: tenant, state: "held" })).toBe(3);
    expect(find(m, "edgehooks_scrape_tenants", {})).toBe(1);
    expect(find(m, "edgehooks_scrape_truncated", {})).toBe(0);
    expect(find(m, "edgehooks_scrape_errors", {})).toBe(0);
    // The bench's series are still there.
    expect(
      m.samples
        .filter((s) => s.name === "edgehooks_rows_written_total")
        .map((s) => s.labels.store)
        .sort(),
    ).toEqual(["d1", "dispatcher", "tenant_log"]);

    // Counters only grow: a second run of attempts adds to them.
    await failing.advance(3600_000);
    await failing.runAlarm();
    const again = await scrape(`?tenant=${tenant}`);
    expect(find(again, "edgehooks_attempts_total", at(failing.endpoint, { outcome: "failed" }))).toBe(6);
    expect(find(again, "edgehooks_backlog_deliveries", at(failing.endpoint, { state: "retrying" }))).toBe(3);
  });

  it("counts the backlog an open breaker holds back as breaker_open", async () => {
    const l = await ladder({
      path: uniquePath("/status/500"),
      endpoint: { retry_policy: { schedule_s: [3600, 3600] } },
    });
    for (let i = 0; i < 10; i++) await l.post({ type: "a.b", data: { i } });
    await l.runAlarm(); // 10 failures: the breaker opens
    expect((await l.inspect()).health.breakerOpen).toBe(true);
    await l.post({ type: "a.b", data: { i: 10 } }); // a first attempt that waits for the breaker
    const m = await scrape(`?tenant=${l.tenant}`);
    const state = (s: string) =>
      find(m, "edgehooks_backlog_deliveries", { tenant_id: l.tenant, endpoint_id: l.endpoint.id, state: s });
    expect([state("breaker_open"), state("retrying"), state("pending")]).toEqual([11, 0, 0]);
  });

  it("keeps counting what retention purged: expired roll-ups fold into a carry row, so no counter goes down", async () => {
    const l = await ladder({ path: uniquePath("/status/500"), endpoint: { retry_policy: { schedule_s: [3600] } } });
    const counters = async () => {
      const m = await scrape(`?tenant=${l.tenant}`);
      const at = { tenant_id: l.tenant, endpoint_id: l.endpoint.id };
      return [
        find(m, "edgehooks_attempts_total", { ...at, outcome: "failed" }),
        find(m, "edgehooks_deliveries_finished_total", { ...at, status: "failed" }),
        find(m, "edgehooks_attempt_duration_seconds_count", at),
      ];
    };
    const age = () =>
      logRows(l.tenant, "UPDATE delivery_stats SET hour = 3600000 * (24 + (hour / 3600000) % 1000) WHERE hour > 0"); // 1970, each hour its own: past any retention
    await l.post({ type: "a.b", data: { n: 1 } });
    await l.runAlarm();
    await age();
    await l.advance(3600_000);
    await l.post({ type: "a.b", data: { n: 2 } });
    await l.runAlarm(); // the second attempt of the first, the first of the second: a fresh hour row
    expect(await counters()).toEqual([3, 1, 3]);
    expect(await runDurableObjectAlarm(tenantLogStub(l.tenant))).toBe(true); // the retention purge
    expect(await logRows(l.tenant, "SELECT hour FROM delivery_stats ORDER BY hour")).toEqual([
      { hour: 0 },
      { hour: expect.any(Number) },
    ]);
    expect(await counters()).toEqual([3, 1, 3]);
    // A later purge adds to the carry row instead of replacing it.
    await l.advance(3600_000);
    await l.runAlarm(); // the second's last attempt: exhausted
    await age();
    expect(await runDurableObjectAlarm(tenantLogStub(l.tenant))).toBe(true);
    expect(await logRows(l.tenant, "SELECT hour FROM delivery_stats")).toEqual([{ hour: 0 }]);
    expect(await counters()).toEqual([4, 2, 4]);
  });

  it("reads at most METRICS_MAX_TENANTS tenants per scrape, then says so and answers a cursor for the rest", async () => {
    const mine = [
      await createTenant(uniqueTenantId("cap")),
      await createTenant(uniqueTenantId("cap")),
      await createTenant(uniqueTenantId("cap")),
    ];
    const fetch = workerWith({ METRICS_MAX_TENANTS: "2" });
    const get = async (query: string) => {
      const res = await fetch(
        new Request(`http://edgehooks.test/metrics${query}`, {
          headers: { authorization: "Bearer ek_root_test_key_0123456789" },
        }),
      );
      return { status: res.status, text: await res.text() };
    };
    const seen: string[] = [];
    let query = "";
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(500); // a runaway cursor would loop forever
      const res = await get(query);
      expect(res.status).toBe(200);
      const m = parsePrometheus(res.text);
      const tenants = [
        ...new Set(
          m.samples.filter((s) => s.name === "edgehooks_tenant_backlog_deliveries").map((s) => s.labels.tenant_id!),
        ),
      ];
      expect(find(m, "edgehooks_scrape_tenants", {})).toBe(tenants.length);
      expect(tenants.length).toBeLessThanOrEqual(2);
      seen.push(...tenants);
      const next = m.comments.find((c) => c.startsWith("# next_cursor "))?.slice("# next_cursor ".length);
      expect(find(m, "edgehooks_scrape_truncated", {})).toBe(next ? 1 : 0);
      if (!next) break;
      expect(tenants).toHaveLength(2);
      query = `?cursor=${encodeURIComponent(next)}`;
    }
    // Every tenant once, in id order, across the pages.
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    for (const t of mine) expect(seen).toContain(t);
  });

  it("answers 400 for a bad tenant id, a bad cursor or both at once, and 404 for an unknown tenant, in the error envelope", async () => {
    const tenant = await createTenant();
    const cases: [string, number, string][] = [
      ["?tenant=a%20b", 400, "tenant"],
      [`?tenant=${"x".repeat(65)}`, 400, "tenant"],
      ["?cursor=not-a-cursor", 400, "cursor"],
      [`?cursor=${btoa(JSON.stringify({ id: "bad id!" }))}`, 400, "cursor"],
      [`?tenant=${tenant}&cursor=${btoa(JSON.stringify({ id: tenant }))}`, 400, "cursor"],
      [`?tenant=${uniqueTenantId("nobody")}`, 404, ""],
    ];
    for (const [query, status, path] of cases) {
      const res = await api("GET", `/metrics${query}`);
      expect([query, res.status]).toEqual([query, status]);
      expect(res.body.error).toMatchObject({
        code: status === 400 ? "bad_request" : "not_found",
        request_id: expect.stringMatching(/^req_/),
      });
      if (path) expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
  });
});

describe("Prometheus text writer", () => {
  it("escapes backslash, double quote and line feed in label values, so no value can break a line or add a label", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const text = new PrometheusText()
      .family("x_total", "counter", "help with \\ and\nnewline")
      .sample("x_total", { v: 'evil"} 1\nx_total{v="forged' }, 2)
      .toString();
    const parsed = parsePrometheus(text);
    expect(parsed.samples).toEqual([{ name: "x_total", labels: { v: 'evil"} 1\nx_total{v="forged' }, value: 2 }]);
    expect(text.split("\n")).toHaveLength(4); // HELP, TYPE, one sample, the final line feed
  });

  it("writes a histogram's buckets cumulatively, with +Inf, _sum and _count", () => {
    const text = new PrometheusText()
      .family("h", "histogram", "h")
      .histogram("h", { a: "1" }, [0.1, 0.5], [2, 0, 3], 1.25)
      .toString();
    const p = parsePrometheus(text);
    expect(p.samples.map((s) => [s.name, s.labels.le ?? "", s.value])).toEqual([
      ["h_bucket", "0.1", 2],
      ["h_bucket", "0.5", 2],
      ["h_bucket", "+Inf", 5],
      ["h_sum", "", 1.25],
      ["h_count", "", 5],
    ]);
  });
});
