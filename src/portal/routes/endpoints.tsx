/** @jsxImportSource hono/jsx */
/** Portal routes for endpoints: list, create, edit, test, disable/enable, rotate, recover, delete. */
import type { Context, Hono } from "hono";
import type { EndpointRow } from "../../attempts/endpoint-snapshot";
import { resolveEndpoint } from "../../attempts/endpoint-snapshot";
import { idPathParam, isId } from "../../db/ids";
import type { TenantEnvironment } from "../../db/schema";
import { ApiError, type ErrorIssue } from "../../errors";
import { CreateEndpointInput, UpdateEndpointInput } from "../../routes/endpoints/schema";
import type { ServiceCtx } from "../../services/context";
import { missedWhileDisabled } from "../../services/endpoint-missed";
import { rotateSecret } from "../../services/endpoint-secrets";
import { urlSharedWarning } from "../../services/endpoint-url-share";
import {
  assertDestination,
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listEndpoints,
  setEndpointStatus,
  updateEndpoint,
} from "../../services/endpoints";
import { testEndpoint } from "../../services/endpoints-test";
import { listEventTypes } from "../../services/event-types";
import { getTask, recoverEndpoint } from "../../services/recover";
import { DEFAULT_STATS_WINDOW_MS, emptySeries, endpointStats, hourlyTraffic, tenantStats } from "../../services/stats";
import { tenantEnvironment } from "../../services/tenants";
import {
  EMPTY_FORM,
  type EndpointFormValues,
  formValues,
  parseEndpointForm,
  type StoredCredentials,
} from "../form-input/endpoint";
import { limitedNotice } from "../pages/action-limit";
import { EndpointForm } from "../pages/endpoint-form";
import { AttemptResult, ConfirmDelete, EndpointDetail, EndpointList, SecretOnce } from "../pages/endpoints";
import { page } from "../pages/layout";
import type { PortalEnv } from "../session";

const ID = idPathParam("ep");

function valuesOf(row: EndpointRow): EndpointFormValues {
  const policy = row.retryPolicy as string | { schedule_s: number[] } | null;
  const signature = row.signature as
    | { scheme: "standard" }
    | { scheme: "hmac-sha256-hex"; header: string; prefix?: string }
    | null;
  return {
    ...EMPTY_FORM,
    url: row.url,
    description: row.description,
    event_types: row.eventTypes ?? [],
    extra_types: "",
    channels: (row.channels ?? []).join(", "),
    filter: row.filter ? JSON.stringify(row.filter, null, 2) : "",
    retry: typeof policy === "object" && policy ? "custom" : (policy ?? "default"),
    schedule: typeof policy === "object" && policy ? policy.schedule_s.join(", ") : "",
    rate_limit_per_s: row.rateLimitPerS?.toString() ?? "",
    max_in_flight: row.maxInFlight?.toString() ?? "",
    timeout_ms: String(row.timeoutMs),
    // Credentials: the type and the header names only; their values never reach the page.
    auth_type: row.authType ?? "none",
    headers: (row.headerNames ?? []).map((name) => ({ name, value: "", remove: false, existing: true })),
    signature_scheme: signature?.scheme ?? "default",
    signature_header: signature?.scheme === "hmac-sha256-hex" ? signature.header : "",
    signature_prefix: signature?.scheme === "hmac-sha256-hex" ? (signature.prefix ?? "") : "",
    envelope: row.envelope,
    omit_traceparent: !row.propagateTraceparent,
    metadata: Object.entries(row.metadata ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join("\n"),
  };
}

/** The endpoint's stored auth and header values, decrypted in memory to merge blank (= keep) fields. */
async function storedCredentials(env: Env, row: EndpointRow): Promise<StoredCredentials> {
  const resolved = await resolveEndpoint(env, row, Date.now());
  return { auth: resolved.auth, headers: resolved.headers };
}

async function catalogNames(ctx: ServiceCtx) {
  return (await listEventTypes(ctx, { limit: 100 })).map((t) => t.name);
}

/** What the endpoint page shows: the endpoint, its stats and its chart over the chosen window. */
async function endpointDetailData(c: Context<PortalEnv, any>, id: string) {
  const ctx = c.var.services;
  const tenant = c.get("session").tenantId;
  const row = await getEndpoint(ctx, tenant, id);
  const now = Date.now();
  // The chart's window: the last 24 hours, or 7 days with ?range=7d (a link: no script needed).
  const range = c.req.query("range") === "7d" ? "7d" : "24h";
  const hours = range === "7d" ? 7 * 24 : 24;
  const [stats, hourly, missed] = await Promise.all([
    endpointStats(ctx, tenant, row.id, now - DEFAULT_STATS_WINDOW_MS),
    hourlyTraffic(ctx, tenant, hours, now, [row.id]),
    missedWhileDisabled(ctx, row, now),
  ]);
  return { row, stats, missed, traffic: { series: hourly.get(row.id) ?? emptySeries(hours, now), range } as const };
}

/**
 * The destination check's word on the URL beside the form's other problems: the verb runs it only
 * after the schema passes, and a form should report every problem in one answer.
 */
function withDestinationIssue(
  ctx: ServiceCtx,
  url: string,
  environment: TenantEnvironment,
  issues: ErrorIssue[],
): ErrorIssue[] {
  if (issues.some((i) => i.path === "url" || i.path.startsWith("url."))) return issues;
  try {
    assertDestination(ctx, url, environment);
    return issues;
  } catch (err) {
    if (err instanceof ApiError) return [...issues, ...(err.issues ?? [{ path: "url", message: err.message }])];
    throw err;
  }
}

export function registerPortalEndpoints(portal: Hono<PortalEnv>) {
  portal.get("/", async (c) => {
    const ctx = c.var.services;
    const tenant = c.get("session").tenantId;
    const now = Date.now();
    const [rows, stats] = await Promise.all([
      listEndpoints(ctx, tenant, { limit: 100 }),
      tenantStats(ctx, tenant, now - DEFAULT_STATS_WINDOW_MS),
    ]);
    const traffic = await hourlyTraffic(
      ctx,
      tenant,
      24,
      now,
      rows.slice(0, 100).map((r) => r.id),
    );
    const byEndpoint = new Map(stats.endpoints.map((s) => [s.endpoint_id, s]));
    return page(
      c,
      { title: "Endpoints", current: "endpoints" },
      <EndpointList
        rows={rows.slice(0, 100)}
        stats={byEndpoint}
        traffic={traffic}
        empty={emptySeries(24, now)}
        readOnly={c.get("session").readOnly}
      />,
    );
  });

  const form = async (
    c: Context<PortalEnv, any>,
    action: string,
    values: EndpointFormValues,
    issues: ErrorIssue[],
    title: string,
    submit: string,
    storedAuthType: string | null = null,
  ) =>
    page(
      c,
      { title, current: "endpoints" },
      <EndpointForm
        action={action}
        csrf={c.get("csrf")}
        values={values}
        issues={issues}
        catalog={await catalogNames(c.var.services)}
        submit={submit}
        storedAuthType={storedAuthType}
      />,
      issues.length ? 400 : 200,
    );

  portal.get("/endpoints/new", async (c) => {
    if (c.get("session").readOnly) throw new ApiError("forbidden", "this session is read-only");
    return form(c, "/portal/endpoints", EMPTY_FORM, [], "Add endpoint", "Create endpoint");
  });

  portal.post("/endpoints", async (c) => {
    const values = formValues(await c.req.parseBody({ all: true }));
    const parsed = parseEndpointForm(CreateEndpointInput, values);
    const ctx = c.var.services;
    const tenant = c.get("session").tenantId;
    if (!parsed.ok) {
      const issues = withDestinationIssue(ctx, values.url, await tenantEnvironment(ctx.db, tenant), parsed.issues);
      return form(c, "/portal/endpoints", values, issues, "Add endpoint", "Create endpoint");
    }
    try {
      const { row, secret, sharing } = await createEndpoint(ctx, tenant, parsed.input);
      // The secret is rendered in this answer only, never put in a URL.
      return page(
        c,
        { title: "Endpoint created", current: "endpoints" },
        <SecretOnce secret={secret} endpointId={row.id} warnings={urlSharedWarning(sharing)} />,
        201,
      );
    } catch (err) {
      if (err instanceof ApiError && (err.status === 400 || err.status === 409))
        return form(
          c,
          "/portal/endpoints",
          values,
          err.issues ?? [{ path: "url", message: err.message }],
          "Add endpoint",
          "Create endpoint",
        );
      throw err;
    }
  });

  portal.get(`/endpoints/${ID}`, async (c) => {
    const ctx = c.var.services;
    const tenant = c.get("session").tenantId;
    const { row, stats, traffic, missed } = await endpointDetailData(c, c.req.param("id"));
    const taskId = c.req.query("task");
    const task =
      taskId && isId("task", taskId) ? ((await getTask(ctx, taskId, tenant).catch(() => null))?.view ?? null) : null;
    return page(
      c,
      { title: row.description || "Endpoint", current: "endpoints" },
      <EndpointDetail
        row={row}
        csrf={c.get("csrf")}
        readOnly={c.get("session").readOnly}
        stats={stats}
        traffic={traffic}
        task={task}
        missed={missed}
      />,
    );
  });

  portal.get(`/endpoints/${ID}/edit`, async (c) => {
    if (c.get("session").readOnly) throw new ApiError("forbidden", "this session is read-only");
    const row = await getEndpoint(c.var.services, c.get("session").tenantId, c.req.param("id"));
    return form(c, `/portal/endpoints/${row.id}`, valuesOf(row), [], "Edit endpoint", "Save changes", row.authType);
  });

  portal.post(`/endpoints/${ID}`, async (c) => {
    const ctx = c.var.services;
    const tenant = c.get("session").tenantId;
    const id = c.req.param("id");
    const current = await getEndpoint(ctx, tenant, id);
    // Stored headers the form does not mention are kept as they are (the merge starts from them).
    const values = formValues(await c.req.parseBody({ all: true }));
    const again = (issues: ErrorIssue[]) =>
      form(c, `/portal/endpoints/${id}`, values, issues, "Edit endpoint", "Save changes", current.authType);
    const parsed = parseEndpointForm(UpdateEndpointInput, values, await storedCredentials(c.env, current));
    if (!parsed.ok) return again(withDestinationIssue(ctx, values.url, current.tenantEnvironment, parsed.issues));
    try {
      await updateEndpoint(ctx, tenant, id, parsed.input);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 400 || err.status === 409))
        return again(err.issues ?? [{ path: "url", message: err.message }]);
      throw err;
    }
    return c.redirect(`/portal/endpoints/${id}`, 303);
  });

  for (const action of ["enable", "disable"] as const) {
    portal.post(`/endpoints/${ID}/${action}`, async (c) => {
      const tenant = c.get("session").tenantId;
      const { row } = await setEndpointStatus(
        c.var.services,
        tenant,
        c.req.param("id"),
        action === "enable" ? "active" : "disabled",
        "manual",
      );
      return c.redirect(`/portal/endpoints/${row.id}`, 303);
    });
  }

  portal.post(`/endpoints/${ID}/rotate`, async (c) => {
    const ctx = c.var.services;
    const tenant = c.get("session").tenantId;
    // The verb raises endpoint.secret_rotated itself.
    const { row, secret } = await rotateSecret(ctx, tenant, c.req.param("id"));
    return page(
      c,
      { title: "Secret rotated", current: "endpoints" },
      <SecretOnce secret={secret} endpointId={row.id} rotated />,
    );
  });

  /** The endpoint's page with a banner on top: a test's answer, or why the action was refused. */
  const detailWith = async (c: Context<PortalEnv, any>, id: string, banner: unknown, status: 200 | 429 = 200) => {
    const { row, stats, traffic, missed } = await endpointDetailData(c, id);
    return page(
      c,
      { title: row.description || "Endpoint", current: "endpoints" },
      <>
        {banner as never}
        <EndpointDetail
          row={row}
          csrf={c.get("csrf")}
          readOnly={false}
          stats={stats}
          traffic={traffic}
          missed={missed}
        />
      </>,
      status,
    );
  };

  portal.post(`/endpoints/${ID}/test`, async (c) => {
    try {
      const attempt = await testEndpoint(c.var.services, c.get("session").tenantId, c.req.param("id"), {});
      const a = {
        status_code: attempt.statusCode,
        duration_ms: attempt.durationMs,
        response_body: attempt.responseBody,
        error: attempt.error,
        error_detail: attempt.errorDetail,
      };
      return detailWith(c, c.req.param("id"), <AttemptResult title="Test event sent" attempt={a} />);
    } catch (err) {
      const limited = limitedNotice(c, err);
      if (!limited) throw err;
      return detailWith(c, c.req.param("id"), limited, 429);
    }
  });

  portal.post(`/endpoints/${ID}/recover`, async (c) => {
    const ctx = c.var.services;
    const body = await c.req.parseBody();
    const since = Date.parse(`${String(body.since ?? "")}Z`);
    if (Number.isNaN(since)) throw new ApiError("bad_request", "pick the time to recover from");
    try {
      const task = await recoverEndpoint(ctx, c.get("session").tenantId, c.req.param("id"), { since });
      return c.redirect(`/portal/endpoints/${c.req.param("id")}?task=${task.id}`, 303);
    } catch (err) {
      const limited = limitedNotice(c, err);
      if (!limited) throw err;
      return detailWith(c, c.req.param("id"), limited, 429);
    }
  });

  portal.get(`/endpoints/${ID}/delete`, async (c) => {
    if (c.get("session").readOnly) throw new ApiError("forbidden", "this session is read-only");
    const row = await getEndpoint(c.var.services, c.get("session").tenantId, c.req.param("id"));
    return page(
      c,
      { title: "Delete endpoint", current: "endpoints" },
      <ConfirmDelete row={row} csrf={c.get("csrf")} />,
    );
  });

  portal.post(`/endpoints/${ID}/delete`, async (c) => {
    await deleteEndpoint(c.var.services, c.get("session").tenantId, c.req.param("id"));
    return c.redirect("/portal", 303);
  });
}
