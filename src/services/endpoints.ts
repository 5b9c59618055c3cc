/**
 * Endpoint verbs: subscriber URLs with their filters, secrets, headers and delivery policy. Each
 * verb is whole: it writes D1, tells the endpoint's dispatcher (src/dispatcher/client.ts) and emits
 * its own `endpoint.*` operational events, so a route, a portal handler or a job only calls it.
 */
import { and, count, desc, eq, lt, type SQL } from "drizzle-orm";
import { type DeploymentDefaults, deploymentDefaults } from "../attempts/deployment-defaults";
import { type EndpointRow, endpointField, type SealedColumn, type StoredSecret } from "../attempts/endpoint-snapshot";
import { nextVersion, statusColumns, writeEndpointStatus } from "../attempts/endpoint-status";
import { newId } from "../db/ids";
import { endpoints } from "../db/schema";
import { matchesEventType } from "../delivery/match";
import type { RetryPolicy } from "../delivery/retry-policy";
import { generateSecret } from "../delivery/secret";
import type { SignatureProfile } from "../delivery/sign";
import { checkDestination, destinationRules } from "../delivery/ssrf";
import { forgetEndpoints, pushSnapshot } from "../dispatcher/client";
import type { DisabledReason, EndpointStatus } from "../domain/endpoints";
import type { OperationalEvent } from "../domain/operational";
import type { TenantEnvironment } from "../domain/tenants";
import { ApiError, notFound } from "../errors";
import { decryptJson, encryptJson } from "../lib/crypto";
import { selfHosts } from "../lib/self-hosts";
import { iso } from "../lib/time";
import type { ServiceCtx } from "./context";
import type { CreateEndpoint, UpdateEndpoint } from "./endpoint-input";
import { assertUrlShareQuota } from "./endpoint-url-share";
import { emitOperational } from "./operational";
import { assertOwnSecret } from "./own-secret";
import { getTenant, tenantEnvironment } from "./tenants";

export const DEFAULT_TIMEOUT_MS = 15_000;
const MASK = "********";

/** The API's view of an endpoint; unset signature and retry policy show the deployment default. */
export function endpointView(row: EndpointRow, defaults: DeploymentDefaults) {
  return {
    id: row.id,
    tenant_id: row.tenantId,
    url: row.url,
    description: row.description,
    event_types: row.eventTypes ?? null,
    channels: row.channels ?? null,
    filter: (row.filter as Record<string, unknown> | null) ?? null,
    headers: Object.fromEntries((row.headerNames ?? []).map((n) => [n, MASK])),
    auth: row.authType ? { type: row.authType } : null,
    signature: (row.signature as SignatureProfile | null) ?? defaults.signature,
    envelope: row.envelope,
    retry_policy: (row.retryPolicy as RetryPolicy | null) ?? defaults.retryPolicy,
    rate_limit_per_s: row.rateLimitPerS,
    max_in_flight: row.maxInFlight,
    timeout_ms: row.timeoutMs,
    propagate_traceparent: row.propagateTraceparent,
    metadata: row.metadata,
    status: row.status,
    disabled_reason: row.status === "disabled" ? (row.disabledReason ?? "manual") : null,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/** Refuses destinations the SSRF guard blocks (under the tenant's environment), with the reason in `issues`. */
export function assertDestination(ctx: ServiceCtx, url: string, environment: TenantEnvironment = "production") {
  const verdict = checkDestination(url, {
    ...destinationRules(ctx.config, environment === "sandbox"),
    selfHosts: selfHosts(ctx.config),
  });
  if (!verdict.ok)
    throw new ApiError("bad_request", "destination URL is not allowed", [{ path: "url", message: verdict.reason }]);
  return verdict.url.toString();
}

export async function getEndpoint(ctx: ServiceCtx, tenantId: string, endpointId: string): Promise<EndpointRow> {
  const row = await ctx.db
    .select()
    .from(endpoints)
    .where(and(eq(endpoints.id, endpointId), eq(endpoints.tenantId, tenantId)))
    .get();
  if (!row) throw notFound("endpoint");
  return row;
}

async function sealOptional(ctx: ServiceCtx, value: unknown, endpointId: string, column: SealedColumn) {
  return value == null ? null : encryptJson(ctx.env, value, endpointField(endpointId, column));
}

/** MAX_ENDPOINTS_PER_TENANT: fan-out work grows with a tenant's endpoints, so their number is bounded. */
async function assertEndpointQuota(ctx: ServiceCtx, tenantId: string) {
  const max = ctx.config.maxEndpointsPerTenant;
  const row = await ctx.db.select({ n: count() }).from(endpoints).where(eq(endpoints.tenantId, tenantId)).get();
  if ((row?.n ?? 0) >= max)
    throw new ApiError(
      "conflict",
      `the tenant already has ${max} endpoints (MAX_ENDPOINTS_PER_TENANT); delete one first`,
    );
}

export async function createEndpoint(ctx: ServiceCtx, tenantId: string, input: CreateEndpoint) {
  const environment = await tenantEnvironment(ctx.db, tenantId);
  const url = assertDestination(ctx, input.url, environment);
  if (input.secret !== undefined)
    assertOwnSecret(input.secret, input.signature ?? deploymentDefaults(ctx.env).signature);
  await assertEndpointQuota(ctx, tenantId);
  const sharing = await assertUrlShareQuota(ctx, tenantId, url);
  const now = Date.now();
  const secret = input.secret ?? generateSecret();
  const secrets: StoredSecret[] = [{ secret, expires_at: null }];
  const headers = input.headers && Object.keys(input.headers).length ? input.headers : null;
  const id = newId("ep", now);
  const row: EndpointRow = {
    id,
    tenantId,
    url,
    description: input.description ?? "",
    eventTypes: input.event_types?.length ? input.event_types : null,
    channels: input.channels?.length ? input.channels : null,
    filter: input.filter && Object.keys(input.filter).length ? input.filter : null,
    secretsEnc: await encryptJson(ctx.env, secrets, endpointField(id, "secrets_enc")),
    headersEnc: await sealOptional(ctx, headers, id, "headers_enc"),
    authEnc: await sealOptional(ctx, input.auth, id, "auth_enc"),
    headerNames: headers ? Object.keys(headers) : null,
    authType: input.auth?.type ?? null,
    signature: input.signature ?? null,
    envelope: input.envelope ?? "standard",
    retryPolicy: input.retry_policy ?? null,
    rateLimitPerS: input.rate_limit_per_s ?? null,
    maxInFlight: input.max_in_flight ?? null,
    timeoutMs: input.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    metadata: input.metadata ?? {},
    status: input.disabled ? "disabled" : "active",
    disabledReason: input.disabled ? "manual" : null,
    disabledAt: input.disabled ? now : null,
    enabledAt: null,
    tenantEnvironment: environment,
    propagateTraceparent: input.propagate_traceparent ?? true,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.db.insert(endpoints).values(row);
  await emitOperational(ctx, [{ type: "endpoint.created", tenantId, data: { endpoint_id: id } }]);
  return { row, secret, sharing };
}

/** A page of the tenant's endpoints, newest first; an unknown tenant is a 404. */
export async function listEndpoints(
  ctx: ServiceCtx,
  tenantId: string,
  opts: { limit: number; before?: string; status?: EndpointStatus; eventType?: string },
) {
  await getTenant(ctx.db, tenantId);
  const conds = [eq(endpoints.tenantId, tenantId)];
  if (opts.before) conds.push(lt(endpoints.id, opts.before));
  if (opts.status) conds.push(eq(endpoints.status, opts.status));
  if (!opts.eventType) {
    return ctx.db
      .select()
      .from(endpoints)
      .where(and(...conds))
      .orderBy(desc(endpoints.id))
      .limit(opts.limit + 1)
      .all();
  }
  // Patterns live in JSON, so the type filter runs here; page through until the page is full.
  const out: EndpointRow[] = [];
  let before = opts.before;
  for (;;) {
    const batchConds = [
      ...conds.slice(0, 1),
      ...(before ? [lt(endpoints.id, before)] : []),
      ...(opts.status ? [eq(endpoints.status, opts.status)] : []),
    ];
    const rows = await ctx.db
      .select()
      .from(endpoints)
      .where(and(...batchConds))
      .orderBy(desc(endpoints.id))
      .limit(200)
      .all();
    for (const r of rows) if (matchesEventType(r.eventTypes, opts.eventType)) out.push(r);
    if (out.length > opts.limit || rows.length < 200) return out.slice(0, opts.limit + 1);
    before = rows[rows.length - 1]!.id;
  }
}

/**
 * Applies a partial update; answers the new row (version bumped so dispatchers refresh). Emits
 * endpoint.updated, and endpoint.enabled or endpoint.disabled when the status changed with it.
 */
export async function updateEndpoint(ctx: ServiceCtx, tenantId: string, endpointId: string, patch: UpdateEndpoint) {
  const current = await getEndpoint(ctx, tenantId, endpointId);
  const now = Date.now();
  // version + 1 in SQL (src/attempts/endpoint-status.ts): a concurrent change (a rotation) bumps it too.
  const set: Partial<Omit<EndpointRow, "version">> & { version: SQL } = { updatedAt: now, version: nextVersion() };
  if (patch.url !== undefined) set.url = assertDestination(ctx, patch.url, current.tenantEnvironment);
  if (set.url !== undefined && set.url !== current.url) await assertUrlShareQuota(ctx, tenantId, set.url, endpointId);
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.event_types !== undefined) set.eventTypes = patch.event_types?.length ? patch.event_types : null;
  if (patch.channels !== undefined) set.channels = patch.channels?.length ? patch.channels : null;
  if (patch.filter !== undefined) set.filter = patch.filter && Object.keys(patch.filter).length ? patch.filter : null;
  if (patch.headers !== undefined) {
    const headers = Object.keys(patch.headers).length ? patch.headers : null;
    set.headersEnc = await sealOptional(ctx, headers, endpointId, "headers_enc");
    set.headerNames = headers ? Object.keys(headers) : null;
  }
  if (patch.auth !== undefined) {
    set.authEnc = await sealOptional(ctx, patch.auth, endpointId, "auth_enc");
    set.authType = patch.auth?.type ?? null;
  }
  if (patch.signature !== undefined) {
    await assertSecretsFit(ctx, current, patch.signature ?? deploymentDefaults(ctx.env).signature);
    set.signature = patch.signature;
  }
  if (patch.envelope !== undefined) set.envelope = patch.envelope;
  if (patch.retry_policy !== undefined) set.retryPolicy = patch.retry_policy;
  if (patch.rate_limit_per_s !== undefined) set.rateLimitPerS = patch.rate_limit_per_s;
  if (patch.max_in_flight !== undefined) set.maxInFlight = patch.max_in_flight;
  if (patch.timeout_ms !== undefined) set.timeoutMs = patch.timeout_ms;
  if (patch.metadata !== undefined) set.metadata = patch.metadata;
  if (patch.propagate_traceparent !== undefined) set.propagateTraceparent = patch.propagate_traceparent;
  if (patch.disabled !== undefined && patch.disabled !== (current.status === "disabled")) {
    Object.assign(set, statusColumns(patch.disabled ? "disabled" : "active", "manual", now));
  }
  const row = await ctx.db
    .update(endpoints)
    .set(set)
    .where(and(eq(endpoints.id, endpointId), eq(endpoints.tenantId, tenantId)))
    .returning()
    .get();
  if (!row) throw notFound("endpoint");
  await pushSnapshot(ctx.env, row);
  const events: OperationalEvent[] = [{ type: "endpoint.updated", tenantId, data: { endpoint_id: endpointId } }];
  if (current.status !== row.status) events.push(statusEvent(row));
  await emitOperational(ctx, events);
  return { before: current, row };
}

/** A brought vendor-style secret cannot sign `standard`: switching such an endpoint's scheme is refused. */
async function assertSecretsFit(ctx: ServiceCtx, current: EndpointRow, profile: SignatureProfile) {
  if (profile.scheme !== "standard") return;
  const stored = await decryptJson<StoredSecret[]>(
    ctx.env,
    current.secretsEnc,
    endpointField(current.id, "secrets_enc"),
  );
  const current0 = stored[0];
  if (current0) assertOwnSecret(current0.secret, profile, "signature");
}

/** endpoint.enabled or endpoint.disabled, for a row whose status just changed. */
function statusEvent(row: EndpointRow): OperationalEvent {
  return {
    type: row.status === "active" ? "endpoint.enabled" : "endpoint.disabled",
    tenantId: row.tenantId,
    data: { endpoint_id: row.id, reason: row.disabledReason },
  };
}

/**
 * Enables or disables an endpoint. Disabling holds its pending deliveries; enabling resumes them.
 * The dispatcher is told either way: an unchanged status re-syncs an object that missed a change.
 */
export async function setEndpointStatus(
  ctx: ServiceCtx,
  tenantId: string,
  endpointId: string,
  status: EndpointStatus,
  reason: DisabledReason = "manual",
) {
  const current = await getEndpoint(ctx, tenantId, endpointId);
  if (current.status === status && (status === "active" || current.disabledReason === reason)) {
    await pushSnapshot(ctx.env, current);
    return { changed: false, row: current };
  }
  const row = await writeEndpointStatus(ctx.db, endpointId, { status, reason, at: Date.now() }, { tenantId });
  if (!row) throw notFound("endpoint");
  await pushSnapshot(ctx.env, row);
  await emitOperational(ctx, [statusEvent(row)]);
  return { changed: true, row };
}

export async function deleteEndpoint(ctx: ServiceCtx, tenantId: string, endpointId: string) {
  const row = await ctx.db
    .delete(endpoints)
    .where(and(eq(endpoints.id, endpointId), eq(endpoints.tenantId, tenantId)))
    .returning()
    .get();
  if (!row) throw notFound("endpoint");
  await forgetEndpoints(ctx.env, [row.id]);
  await emitOperational(ctx, [{ type: "endpoint.deleted", tenantId, data: { endpoint_id: row.id } }]);
  return row;
}
