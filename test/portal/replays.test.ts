/**
 * The portal's replay pages call the replay verb the API calls: the preview shows the very plan
 * POST /v1/tenants/{t}/replays answers with `dry_run`, before the button that starts it; the
 * button starts a task whose progress page reads what GET /v1/tasks/{id} reads, and its Cancel
 * stops it (nothing sent after). Bad filters come back as messages on the form (400, never a 500,
 * nothing started); a session sees and starts only its own tenant's replays; read-only sessions
 * get no replay form. The dispatchers run on frozen clocks (test/helpers/ladder.ts): only
 * runAlarm sends, so what reaches the real receiver is counted exactly.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createTenant, eventually } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { PortalClient } from "../helpers/portal";
import { script, uniquePath } from "../helpers/receiver";

const HOUR = 3600_000;
/** A datetime-local value (UTC), as the browser sends it. */
const local = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/** Two endpoints with traffic: A got 3 events (succeeded), B failed the same 3 (500 to both tries of each, 200 after). */
async function tenantWithHistory() {
  const tenant = await createTenant();
  const a = await ladder({ tenant, path: uniquePath("/ok") });
  const bPath = uniquePath("/scripted");
  await script(bPath, Array(6).fill({ status: 500 }));
  const b = await ladder({ tenant, path: bPath, endpoint: { retry_policy: { schedule_s: [1] } } });
  for (const type of ["a.b", "a.c", "d.e"]) await a.post({ type, data: {} });
  await a.runAlarm();
  await b.runAlarm();
  await b.advance(1000);
  await b.runAlarm();
  expect((await b.deliveries()).map((d) => d.status)).toEqual(["failed", "failed", "failed"]);
  const { client } = await PortalClient.open(tenant);
  const form = await client.get("/portal/replays");
  expect(form.status).toBe(200);
  return { tenant, a, b, client, csrf: PortalClient.csrfOf(form.html) };
}

/** The hidden fields of the preview's "Replay N" form: what its button sends. */
function startFields(html: string): Record<string, string[]> {
  const form = /<form method="post" action="\/portal\/replays"[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1];
  if (!form) throw new Error("no Replay button on the page");
  const fields: Record<string, string[]> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
    fields[m[1]!] = [...(fields[m[1]!] ?? []), m[2]!.replace(/&amp;/g, "&")];
  return fields;
}

const buttonCount = (html: string) => /<button type="submit">Replay ([\d,]+) deliver/.exec(html)?.[1];

async function replayTasks(tenant: string) {
  return (await env.DB.prepare("SELECT count(*) AS n FROM task_owners WHERE tenant_id = ?")
    .bind(tenant)
    .first<{ n: number }>())!.n;
}

describe("portal replay: preview, start, progress", () => {
  it("the preview shows the plan's counts, per endpoint and status, before the button", async () => {
    const { tenant, a, b, client, csrf } = await tenantWithHistory();
    const since = Date.now() - HOUR;
    for (const [fields, api_filter] of [
      [{}, {}],
      [{ event_types: "a.*" }, { event_types: ["a.*"] }],
      [{ statuses: ["failed"] }, { statuses: ["failed"] }],
      [
        { endpoint_ids: [a.endpoint.id], event_types: "d.e, a.b" },
        { endpoint_ids: [a.endpoint.id], event_types: ["d.e", "a.b"] },
      ],
    ] as [Record<string, string | string[]>, Record<string, unknown>][]) {
      const plan = await api("POST", `/v1/tenants/${tenant}/replays`, {
        body: { mode: "retry", since: new Date(since).toISOString(), dry_run: true, ...api_filter },
      });
      expect(plan.status).toBe(200);
      const preview = await client.post("/portal/replays/preview", {
        _csrf: csrf,
        mode: "retry",
        since: local(since).slice(0, 16),
        ...fields,
      });
      expect(preview.status, JSON.stringify(fields)).toBe(200);
      expect(buttonCount(preview.html), JSON.stringify(fields)).toBe(String(plan.body.total));
      expect(preview.html).toContain(`${plan.body.total} deliveries would be sent`);
      for (const e of plan.body.by_endpoint as { endpoint_id: string; count: number }[])
        expect(preview.html).toContain(`<td data-endpoint="${e.endpoint_id}">${e.count}</td>`);
      for (const id of [a.endpoint.id, b.endpoint.id])
        if (!plan.body.by_endpoint.some((e: { endpoint_id: string }) => e.endpoint_id === id))
          expect(preview.html).not.toContain(`data-endpoint="${id}"`);
      for (const [status, n] of Object.entries(plan.body.by_status as Record<string, number>))
        expect(preview.html).toContain(`<span data-status="${status}">${n} ${status}</span>`);
    }
    // A preview sends nothing and starts nothing.
    expect(await replayTasks(tenant)).toBe(0);
    expect(await a.received()).toHaveLength(3);
  });

  it("the button starts the task it previewed; its page shows the progress GET /v1/tasks/{id} reads", async () => {
    const { tenant, a, b, client, csrf } = await tenantWithHistory();
    const preview = await client.post("/portal/replays/preview", {
      _csrf: csrf,
      mode: "retry",
      since: local(Date.now() - HOUR),
      event_types: "a.*",
    });
    expect(buttonCount(preview.html)).toBe("4");
    const fields = startFields(preview.html);
    // The window's end is pinned at the preview, so the button sends what it counted.
    expect(fields.until?.[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?$/);
    const started = await client.post("/portal/replays", fields as Record<string, string[]>);
    expect(started.status).toBe(303);
    const taskId = /^\/portal\/tasks\/(task_[0-9a-z]+)$/.exec(started.headers.get("location") ?? "")?.[1];
    expect(taskId).toBeDefined();
    expect((await api("GET", `/v1/tasks/${taskId}`)).body).toMatchObject({
      kind: "replay",
      tenant_id: tenant,
      total: 4,
      params: { mode: "retry", event_types: ["a.*"] },
    });
    const running = await client.get(`/portal/tasks/${taskId}`);
    expect(running.status).toBe(200);
    expect(running.html).toContain("0 of 4 deliveries done");
    expect(running.html).toContain(`action="/portal/tasks/${taskId}/cancel"`);

    await a.runAlarm();
    await b.runAlarm();
    expect((await a.received()).slice(3)).toHaveLength(2);
    expect((await b.received()).slice(6)).toHaveLength(2);
    const finished = await client.get(`/portal/tasks/${taskId}`);
    expect(finished.html).toContain("4 of 4 deliveries done");
    expect(finished.html).toContain('class="badge b-completed"');
    expect(finished.html).not.toContain("/cancel");
  });

  it("Cancel stops a running replay: nothing is sent after it", async () => {
    const tenant = await createTenant();
    const a = await ladder({ tenant, path: uniquePath("/ok"), endpoint: { rate_limit_per_s: 1 } });
    for (let i = 0; i < 3; i++) {
      await a.post({ type: "a.b", data: { i } });
      await a.runAlarm();
      await a.advance(1000);
    }
    expect(await a.received()).toHaveLength(3);
    const { client } = await PortalClient.open(tenant);
    const csrf = PortalClient.csrfOf((await client.get("/portal/replays")).html);
    const preview = await client.post("/portal/replays/preview", {
      _csrf: csrf,
      mode: "retry",
      since: local(Date.now() - HOUR),
    });
    expect(buttonCount(preview.html)).toBe("3");
    const started = await client.post("/portal/replays", startFields(preview.html));
    const taskPath = started.headers.get("location")!;
    await a.runAlarm(); // the rate limit lets one go this second
    expect(await a.received()).toHaveLength(4);

    const cancelled = await client.post(`${taskPath}/cancel`, { _csrf: csrf });
    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.get("location")).toBe(taskPath);
    const taskId = taskPath.split("/").at(-1);
    expect((await api("GET", `/v1/tasks/${taskId}`)).body).toMatchObject({ status: "cancelled", total: 3 });
    for (let i = 0; i < 3; i++) {
      await a.advance(10_000);
      await a.runAlarm();
    }
    expect(await a.received()).toHaveLength(4);
    const shown = await client.get(taskPath);
    expect(shown.html).toContain('class="badge b-cancelled"');
    expect(shown.html).not.toContain("/cancel");
  });
});

describe("portal replay: missed while disabled", () => {
  it("the endpoint page offers 'Replay missing' for what it missed, prefilled; the preview counts exactly those", async () => {
    const tenant = await createTenant();
    const a = await ladder({ tenant, path: uniquePath("/ok") });
    const b = await ladder({ tenant, path: uniquePath("/ok") });
    const { client } = await PortalClient.open(tenant);
    const page = `/portal/endpoints/${b.endpoint.id}`;
    const csrf = PortalClient.csrfOf((await client.get(page)).html);
    expect((await client.post(`${page}/disable`, { _csrf: csrf })).status).toBe(303);
    // Fanned out by the queue's consumer while B is disabled (A's deliveries show it has run).
    for (let i = 0; i < 2; i++)
      await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: { i } } });
    await eventually(
      () => a.deliveries(),
      (list) => list.length === 2,
    );
    expect((await client.post(`${page}/enable`, { _csrf: csrf })).status).toBe(303);

    const shown = await client.get(page);
    expect(shown.html).toMatch(/<strong id="missed">2 events missed while disabled<\/strong>/);
    const href = /<a href="(\/portal\/replays\?[^"]+)">Replay missing<\/a>/
      .exec(shown.html)?.[1]
      ?.replace(/&amp;/g, "&");
    expect(href).toBeDefined();
    const missed = (await api("GET", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}`)).body.missed;
    expect(Object.fromEntries(new URL(href!, "http://x").searchParams)).toEqual({
      mode: "missing",
      endpoint_ids: b.endpoint.id,
      since: missed.since,
      until: missed.until,
    });

    // The link's form: missing, B ticked, the window filled in (UTC, to the millisecond).
    const form = await client.get(href!);
    expect(form.status).toBe(200);
    expect(form.html).toMatch(/value="missing" checked=""/);
    expect(form.html).toMatch(new RegExp(`value="${b.endpoint.id}" checked=""`));
    const fields = Object.fromEntries(
      ["since", "until"].map((f) => [f, new RegExp(`name="${f}" value="([^"]+)"`).exec(form.html)?.[1] ?? ""]),
    );
    expect(new Date(`${fields.since}Z`).toISOString()).toBe(missed.since);
    expect(new Date(`${fields.until}Z`).toISOString()).toBe(missed.until);

    const preview = await client.post("/portal/replays/preview", {
      _csrf: csrf,
      mode: "missing",
      endpoint_ids: [b.endpoint.id],
      ...fields,
    });
    expect(buttonCount(preview.html)).toBe("2");
    expect(preview.html).toContain('<span data-status="missing">2 never sent</span>');
    const started = await client.post("/portal/replays", startFields(preview.html));
    expect(started.status).toBe(303);
    await b.runAlarm();
    expect(await b.received()).toHaveLength(2);
    // Sent: the page says nothing more is missed.
    expect((await client.get(page)).html).not.toContain('id="missed"');
  });
});

describe("portal replay: the tenant's action limit", () => {
  /** TENANT_ACTION_LIMITER: 60 per 60 s per tenant and action, in windows aligned to the clock. */
  const LIMIT = 60;
  const windowOf = () => Math.floor(Date.now() / 60_000);

  it("spent by API replays, Preview and Replay answer a 429 notice on the form and start nothing", async () => {
    const bogus = "ep_01jd0000000000000000000000";
    for (let tries = 0; ; tries++) {
      // A run that straddles a limiter window proves nothing: made again with a fresh tenant.
      const { tenant, client, csrf } = await tenantWithHistory();
      const start = windowOf();
      const body = { mode: "retry", since: new Date(Date.now() - HOUR).toISOString(), endpoint_ids: [bogus] };
      for (let i = 0; i < LIMIT; i++)
        expect((await api("POST", `/v1/tenants/${tenant}/replays`, { body })).status).toBe(404);
      const fields = { _csrf: csrf, mode: "retry", since: local(Date.now() - HOUR) };
      const preview = await client.post("/portal/replays/preview", fields);
      const started = await client.post("/portal/replays", fields);
      if (windowOf() !== start && tries < 2) continue;
      for (const res of [preview, started]) {
        expect(res.status).toBe(429);
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(res.html).toContain("Too many replays were planned or started");
        expect(res.html).toContain("share one limit");
        expect(res.html).toContain('action="/portal/replays/preview"');
      }
      expect(await replayTasks(tenant)).toBe(0);
      return;
    }
  });
});

describe("portal replay: bad input and scope", () => {
  it("bad filters answer 400 with a message on the form, never a 500, and start nothing", async () => {
    const { tenant, b, client, csrf } = await tenantWithHistory();
    const since = local(Date.now() - HOUR);
    const cases: [Record<string, string | string[]>, string][] = [
      [{ mode: "retry" }, "required"],
      [{ mode: "retry", since: "yesterday" }, "enter a date and time"],
      [{ mode: "again", since }, "pick one of the options"],
      [{ mode: "retry", since, event_types: "bad type!" }, "an event type or a pattern like job.*"],
      [{ mode: "retry", since, statuses: ["pending"] }, "pick one of the options"],
      [{ mode: "missing", since, statuses: ["failed"] }, "only with mode"],
      [{ mode: "retry", since, status_class: "6xx" }, "pick one of the options"],
      [{ mode: "retry", since, endpoint_ids: ["nope"] }, "endpoint_ids"],
      [{ mode: "retry", since: "2026-01-02T00:00", until: "2026-01-01T00:00" }, "before since"],
      [{ mode: "retry", since: "2026-01-01T00:00", until: "2026-01-09T00:00" }, "at most 7 days"],
      [{ mode: "retry", since, endpoint_ids: ["ep_01jd0000000000000000000000"] }, "no longer exists"],
    ];
    for (const [fields, message] of cases) {
      for (const path of ["/portal/replays/preview", "/portal/replays"]) {
        const res = await client.post(path, { _csrf: csrf, ...fields });
        expect(res.status, `${path} ${JSON.stringify(fields)}`).toBe(400);
        expect(res.headers.get("content-type")).toMatch(/text\/html/);
        expect(res.html).toContain('role="alert"');
        if (message !== "endpoint_ids") expect(res.html, JSON.stringify(fields)).toContain(message);
        else expect(res.html).toMatch(/<div class="field-error" id="endpoint_ids-error">[^<]+</);
        // The form is there again, with what was typed.
        expect(res.html).toContain('action="/portal/replays/preview"');
      }
    }
    // A disabled endpoint ticked: the verb's conflict, said on the form.
    await api("POST", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}/disable`);
    const disabled = await client.post("/portal/replays/preview", {
      _csrf: csrf,
      mode: "missing",
      since,
      endpoint_ids: [b.endpoint.id],
    });
    expect(disabled.status).toBe(400);
    expect(disabled.html).toContain(`${b.endpoint.id} is disabled`);
    expect(await replayTasks(tenant)).toBe(0);
  });

  it("a session of tenant A neither sees nor starts nor cancels tenant B's replays", async () => {
    const mine = await tenantWithHistory();
    const theirs = await tenantWithHistory();
    const task = await api("POST", `/v1/tenants/${theirs.tenant}/replays`, {
      body: { mode: "retry", since: new Date(Date.now() - HOUR).toISOString() },
    });
    expect(task.status).toBe(202);

    // Their task: not found, not cancelled.
    const seen = await mine.client.get(`/portal/tasks/${task.body.id}`);
    expect(seen.status).toBe(404);
    expect(seen.html).not.toContain(task.body.id);
    expect((await mine.client.post(`/portal/tasks/${task.body.id}/cancel`, { _csrf: mine.csrf })).status).toBe(404);
    expect((await api("GET", `/v1/tasks/${task.body.id}`)).body.status).toBe("running");

    // Their endpoints: not listed on my form, and refused when named.
    const form = await mine.client.get("/portal/replays");
    expect(form.html).toContain(mine.a.endpoint.id);
    expect(form.html).not.toContain(theirs.a.endpoint.id);
    for (const path of ["/portal/replays/preview", "/portal/replays"]) {
      const res = await mine.client.post(path, {
        _csrf: mine.csrf,
        mode: "retry",
        since: local(Date.now() - HOUR),
        endpoint_ids: [theirs.a.endpoint.id],
      });
      expect(res.status).toBe(400);
      expect(res.html).toContain("no longer exists");
    }
    expect(await replayTasks(mine.tenant)).toBe(0);
    expect(await replayTasks(theirs.tenant)).toBe(1);
    // Their session's CSRF token does not work in mine.
    expect((await mine.client.post("/portal/replays", { _csrf: theirs.csrf, mode: "retry" })).status).toBe(403);
  });

  it("a read-only session gets no replay form and cannot start or cancel one", async () => {
    const { tenant, csrf } = await tenantWithHistory();
    const task = await api("POST", `/v1/tenants/${tenant}/replays`, {
      body: { mode: "retry", since: new Date(Date.now() - HOUR).toISOString() },
    });
    const { client: ro } = await PortalClient.open(tenant, { read_only: true });
    expect((await ro.get("/portal/replays")).status).toBe(403);
    const shown = await ro.get(`/portal/tasks/${task.body.id}`);
    expect(shown.status).toBe(200);
    expect(shown.html).not.toContain("/cancel");
    const roCsrf = PortalClient.csrfOf(shown.html);
    expect((await ro.post(`/portal/tasks/${task.body.id}/cancel`, { _csrf: roCsrf })).status).toBe(403);
    expect((await ro.post("/portal/replays", { _csrf: roCsrf, mode: "retry", since: local(Date.now()) })).status).toBe(
      403,
    );
    expect((await api("GET", `/v1/tasks/${task.body.id}`)).body.status).toBe("running");
    expect(csrf).not.toBe(roCsrf);
  });
});
