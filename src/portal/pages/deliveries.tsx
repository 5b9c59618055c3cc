/** @jsxImportSource hono/jsx */

import type { EndpointRow } from "../../attempts/endpoint-snapshot";
import { headersShownTo } from "../../attempts/shown-headers";
import type { AttemptRow, DeliveryRow } from "../../services/deliveries/query";
import { Badge, PostButton } from "./layout";

const STATUSES = ["pending", "delivering", "succeeded", "pending_retry", "failed", "cancelled"];
// Every time on the portal is UTC, and says so.
const when = (ms: number | null) =>
  ms === null ? "—" : `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)} UTC`;

export interface LogFilters {
  endpoint_id?: string;
  status?: string;
  event_type?: string;
  since?: string;
  until?: string;
}

export function DeliveryLog(props: {
  rows: DeliveryRow[];
  endpoints: EndpointRow[];
  filters: LogFilters;
  nextCursor: string | null;
  error: string | null;
}) {
  const f = props.filters;
  const urlOf = new Map(props.endpoints.map((e) => [e.id, e.url]));
  const next = new URLSearchParams(Object.entries(f).filter(([, v]) => v) as [string, string][]);
  if (props.nextCursor) next.set("cursor", props.nextCursor);
  return (
    <>
      <form class="card filters" method="get" action="/portal/deliveries" aria-label="Filter deliveries">
        <div>
          <label for="f-endpoint">Endpoint</label>
          <select id="f-endpoint" name="endpoint_id">
            <option value="">All endpoints</option>
            {props.endpoints.map((e) => (
              <option value={e.id} selected={f.endpoint_id === e.id}>
                {e.url}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" name="status">
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option value={s} selected={f.status === s}>
                {s.replace("_", " ")}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-type">Event type</label>
          <input type="text" id="f-type" name="event_type" value={f.event_type ?? ""} />
        </div>
        <div>
          <label for="f-since">
            Since <span class="hint">(UTC)</span>
          </label>
          <input type="datetime-local" id="f-since" name="since" value={f.since ?? ""} />
        </div>
        <div>
          <label for="f-until">
            Until <span class="hint">(UTC)</span>
          </label>
          <input type="datetime-local" id="f-until" name="until" value={f.until ?? ""} />
        </div>
        <div>
          <button type="submit">Filter</button>
        </div>
      </form>
      {props.error ? (
        <div class="notice bad" role="alert">
          {props.error}
        </div>
      ) : null}
      {props.rows.length === 0 ? (
        <div class="card">No deliveries match.</div>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Delivery</th>
                <th scope="col">Status</th>
                <th scope="col" class="opt">
                  Endpoint
                </th>
                <th scope="col">Attempts</th>
                <th scope="col" class="opt">
                  Created
                </th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((d) => (
                <tr>
                  <td>
                    <a href={`/portal/deliveries/${d.id}`}>
                      <code>{d.eventType}</code>
                    </a>
                    <div class="muted mono">{d.eventId}</div>
                  </td>
                  <td>
                    <Badge value={d.status} />
                    {d.lastStatusCode !== null ? (
                      <div class="muted">HTTP {d.lastStatusCode}</div>
                    ) : d.lastError ? (
                      <div class="muted">{d.lastError}</div>
                    ) : null}
                  </td>
                  <td class="opt">
                    <code>{urlOf.get(d.endpointId) ?? d.endpointId}</code>
                  </td>
                  <td>{d.attemptCount}</td>
                  <td class="opt">{when(d.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.nextCursor ? (
        <p>
          <a class="button secondary" href={`/portal/deliveries?${next.toString()}`}>
            Older deliveries
          </a>
        </p>
      ) : null}
    </>
  );
}

/** The event's data as stored (pretty-printed), or null once retention purged it. */
function prettyPayload(payload: string | null) {
  if (payload === null) return null;
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

export function DeliveryDetail(props: {
  delivery: DeliveryRow;
  attempts: AttemptRow[];
  endpointUrl: string | null;
  payload: string | null;
  envelope: string | null;
  csrf: string;
  readOnly: boolean;
}) {
  const d = props.delivery;
  const payload = prettyPayload(props.payload);
  return (
    <>
      <div class="card">
        <dl class="kv">
          <dt>Status</dt>
          <dd>
            <Badge value={d.status} />
          </dd>
          <dt>Event</dt>
          <dd>
            <code>{d.eventType}</code> <span class="mono muted">{d.eventId}</span>
          </dd>
          <dt>Endpoint</dt>
          <dd>
            <a href={`/portal/endpoints/${d.endpointId}`}>
              <code>{props.endpointUrl ?? d.endpointId}</code>
            </a>
          </dd>
          {d.sequence === null ? null : (
            <>
              <dt>Sequence</dt>
              <dd>
                <span title="Its place in the lane of this endpoint and the event's ordering key (webhook-sequence)">
                  {d.sequence}
                </span>
              </dd>
            </>
          )}
          <dt>Created</dt>
          <dd>{when(d.createdAt)}</dd>
          <dt>Next attempt</dt>
          <dd>{d.status === "pending" || d.status === "pending_retry" ? when(d.nextAttemptAt) : "—"}</dd>
        </dl>
      </div>
      {props.readOnly ? null : (
        <div class="actions" style="margin-bottom:1rem">
          {/* Primary only where a retry is the next step; on a succeeded delivery it would send it again. */}
          <PostButton
            action={`/portal/deliveries/${d.id}/retry`}
            csrf={props.csrf}
            label="Retry now"
            variant={d.status === "succeeded" ? "secondary" : undefined}
          />
        </div>
      )}
      <h2>Payload</h2>
      {payload === null ? (
        <div class="card muted">The event's data is no longer stored (past the retention period).</div>
      ) : (
        <section class="card" aria-label="Payload">
          <p class="muted" style="margin-top:0">
            The event's <code>data</code>
            {props.envelope ? (
              <>
                , sent in the endpoint's <code>{props.envelope}</code> body shape
              </>
            ) : null}
            .
          </p>
          <pre id="payload">{payload}</pre>
        </section>
      )}
      <h2>Attempts</h2>
      {props.attempts.length === 0 ? <div class="card">No attempt yet.</div> : null}
      {props.attempts.map((a) => (
        <section class="card" aria-label={`Attempt ${a.number}`}>
          <h3 style="margin-top:0;font-size:1rem">
            #{a.number} · {a.trigger} · {when(a.startedAt)} ·{" "}
            {a.statusCode !== null ? <Badge value={`${String(a.statusCode)[0]}xx`} /> : <Badge value="none" />}{" "}
            {a.statusCode !== null ? `HTTP ${a.statusCode}` : a.error} · {a.durationMs} ms
          </h3>
          {a.errorDetail ? <p>{a.errorDetail}</p> : null}
          <details>
            <summary>Request headers</summary>
            <pre>
              {Object.entries(headersShownTo(a.requestHeaders, !props.readOnly)).map(([k, v]) => `${k}: ${v}\n`)}
            </pre>
          </details>
          {a.responseBody ? (
            <details open>
              <summary>Response body (first 16 KiB)</summary>
              <pre>{a.responseBody}</pre>
            </details>
          ) : null}
        </section>
      ))}
    </>
  );
}
