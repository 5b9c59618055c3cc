/** @jsxImportSource hono/jsx */
/** Portal routes for the delivery log: list with filters, one delivery with its attempts, retry now. */
import type { Context, Hono } from "hono";
import { idPathParam, isId } from "../../db/ids";
import { DELIVERY_STATUSES, type DeliveryStatus } from "../../domain/deliveries";
import { decodeCursor, page as pageOf } from "../../http/pagination";
import { retryDelivery } from "../../services/deliveries/actions";
import { deliveryDetail, deliveryEvent, listDeliveries } from "../../services/deliveries/query";
import { getEndpoint, listEndpoints } from "../../services/endpoints";
import { limitedNotice } from "../pages/action-limit";
import { DeliveryDetail, DeliveryLog, type LogFilters } from "../pages/deliveries";
import { AttemptResult } from "../pages/endpoints";
import { page } from "../pages/layout";
import type { PortalEnv } from "../session";

const STATUSES: ReadonlySet<string> = new Set(DELIVERY_STATUSES);
const localTime = (s: string | undefined) =>
  s && !Number.isNaN(Date.parse(`${s}Z`)) ? Date.parse(`${s}Z`) : undefined;

export function registerPortalDeliveries(portal: Hono<PortalEnv>) {
  portal.get("/deliveries", async (c) => {
    const ctx = c.var.services;
    const tenant = c.get("session").tenantId;
    const q = c.req.query();
    const filters: LogFilters = {
      endpoint_id: isId("ep", q.endpoint_id ?? "") ? q.endpoint_id : undefined,
      status: STATUSES.has(q.status ?? "") ? q.status : undefined,
      event_type: q.event_type?.trim() || undefined,
      since: localTime(q.since) !== undefined ? q.since : undefined,
      until: localTime(q.until) !== undefined ? q.until : undefined,
    };
    let before: string | undefined;
    let error: string | null = null;
    try {
      before = decodeCursor(q.cursor || undefined);
    } catch {
      error = "That page link is no longer valid; showing the newest deliveries.";
    }
    const limit = 25;
    const [rows, endpoints] = await Promise.all([
      listDeliveries(ctx, tenant, {
        limit,
        before,
        endpointId: filters.endpoint_id,
        status: filters.status as DeliveryStatus | undefined,
        eventType: filters.event_type,
        since: localTime(filters.since),
        until: localTime(filters.until),
      }),
      listEndpoints(ctx, tenant, { limit: 100 }),
    ]);
    const p = pageOf(rows, limit);
    return page(
      c,
      { title: "Delivery log", current: "deliveries" },
      <DeliveryLog rows={p.data} endpoints={endpoints} filters={filters} nextCursor={p.next_cursor} error={error} />,
    );
  });

  const detail = async (c: Context<PortalEnv, any>, id: string, banner?: unknown, status: 200 | 429 = 200) => {
    const ctx = c.var.services;
    const tenant = c.get("session").tenantId;
    const { delivery, attempts } = await deliveryDetail(ctx, tenant, id);
    const [endpoint, event] = await Promise.all([
      getEndpoint(ctx, tenant, delivery.endpointId).catch(() => null),
      deliveryEvent(ctx, tenant, delivery.eventId),
    ]);
    return page(
      c,
      { title: `Delivery of ${delivery.eventType}`, current: "deliveries" },
      <>
        {banner as never}
        <DeliveryDetail
          delivery={delivery}
          attempts={attempts}
          endpointUrl={endpoint?.url ?? null}
          payload={event?.payload ?? null}
          envelope={endpoint?.envelope ?? null}
          csrf={c.get("csrf")}
          readOnly={c.get("session").readOnly}
        />
      </>,
      status,
    );
  };

  portal.get(`/deliveries/${idPathParam("dlv")}`, (c) => detail(c, c.req.param("id")));

  portal.post(`/deliveries/${idPathParam("dlv")}/retry`, async (c) => {
    let attempt: Awaited<ReturnType<typeof retryDelivery>>;
    try {
      attempt = await retryDelivery(c.var.services, c.get("session").tenantId, c.req.param("id"));
    } catch (err) {
      const limited = limitedNotice(c, err);
      if (!limited) throw err;
      return detail(c, c.req.param("id"), limited, 429);
    }
    const banner = (
      <AttemptResult
        title="Retried now"
        attempt={{
          status_code: attempt.statusCode,
          duration_ms: attempt.durationMs,
          response_body: attempt.responseBody,
          error: attempt.error,
          error_detail: attempt.errorDetail,
        }}
      />
    );
    return detail(c, c.req.param("id"), banner);
  });
}
