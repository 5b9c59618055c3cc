/** @jsxImportSource hono/jsx */
import type { EndpointRow } from "../../attempts/endpoint-snapshot";
import type { Missed } from "../../services/endpoint-missed";
import type { HourPoint } from "../../services/stats";
import { HourlyChart, Sparkline } from "./chart";
import { Badge, Notice, PostButton } from "./layout";

export type Stats = {
  success_rate: number | null;
  attempts: { total: number; failed: number };
  deliveries: { succeeded: number; failed: number; pending?: number };
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Deliveries by outcome, then the attempts they took: the rate is of finished deliveries, not of attempts. */
function outcomeText(s: Stats | undefined) {
  const d = s?.deliveries ?? { succeeded: 0, failed: 0 };
  const rate = s?.success_rate ?? null;
  return `${d.succeeded} delivered, ${d.failed} failed${rate === null ? "" : ` (${pct(rate)} of finished deliveries)`}`;
}

function attemptsText(s: Stats | undefined) {
  const a = s?.attempts ?? { total: 0, failed: 0 };
  return `${plural(a.total, "attempt")}${a.failed ? `, ${a.failed} failed` : ""}`;
}

function signatureText(sig: unknown) {
  const s = sig as { scheme: string; header?: string; prefix?: string } | null;
  if (!s) return "deployment default";
  if (s.scheme === "standard") return "Standard Webhooks";
  return `hex HMAC-SHA256 in ${s.header}${s.prefix ? ` (prefix ${s.prefix})` : ""}`;
}

const pct = (r: number | null) => (r === null ? "—" : `${Math.round(r * 1000) / 10}%`);

export function EndpointList(props: {
  rows: EndpointRow[];
  stats: Map<string, Stats>;
  traffic: Map<string, HourPoint[]>;
  empty: HourPoint[];
  readOnly: boolean;
}) {
  return (
    <>
      {props.readOnly ? null : (
        <p>
          <a class="button" href="/portal/endpoints/new">
            Add endpoint
          </a>{" "}
          <a class="button secondary" href="/portal/test-url">
            Test a URL first
          </a>
        </p>
      )}
      {props.rows.length === 0 ? (
        <div class="card">No endpoints yet.{props.readOnly ? "" : " Add one to start receiving webhooks."}</div>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="muted" style="text-align:left;padding:.5rem .6rem">
              Deliveries over the last 24 hours, per hour
            </caption>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Status</th>
                <th scope="col" class="opt">
                  Event types
                </th>
                <th scope="col">Last 24 hours</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => {
                const s = props.stats.get(r.id);
                return (
                  <tr>
                    <td>
                      <a href={`/portal/endpoints/${r.id}`}>
                        <code>{r.url}</code>
                      </a>
                      {r.description ? <div class="muted">{r.description}</div> : null}
                    </td>
                    <td>
                      <Badge value={r.status} />
                      {r.status === "disabled" ? <div class="muted">{r.disabledReason ?? "manual"}</div> : null}
                    </td>
                    <td class="opt">
                      {r.eventTypes?.length ? (
                        r.eventTypes.map((t) => <code>{t} </code>)
                      ) : (
                        <span class="muted">all</span>
                      )}
                    </td>
                    <td>
                      <Sparkline series={props.traffic.get(r.id) ?? props.empty} />
                      <div>{outcomeText(s)}</div>
                      <div class="muted">{attemptsText(s)}</div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function SecretOnce(props: {
  secret: string;
  endpointId: string;
  rotated?: boolean;
  warnings?: { message: string; endpoint_ids: string[] }[];
}) {
  return (
    <>
      {(props.warnings ?? []).map((w) => (
        <Notice kind="bad">
          <strong>Check this:</strong> {w.message}{" "}
          {w.endpoint_ids.map((id, i) => (
            <>
              {i ? ", " : ""}
              <a href={`/portal/endpoints/${id}`}>{id}</a>
            </>
          ))}
        </Notice>
      ))}
      <Notice kind="ok">
        <strong>{props.rotated ? "Secret rotated." : "Endpoint created."}</strong> This is the signing secret. Copy it
        now: it will not be shown again.
        <code class="secret" id="secret">
          {props.secret}
        </code>
        <a href={`/portal/endpoints/${props.endpointId}`}>Continue to the endpoint</a>
      </Notice>
    </>
  );
}

export interface AttemptView {
  status_code: number | null;
  duration_ms: number;
  response_body: string | null;
  error: string | null;
  error_detail: string | null;
}

export function AttemptResult(props: { attempt: AttemptView; title: string }) {
  const a = props.attempt;
  const ok = a.status_code !== null && a.status_code >= 200 && a.status_code < 300;
  return (
    <Notice kind={ok ? "ok" : "bad"}>
      <strong>{props.title}:</strong> {a.status_code !== null ? `HTTP ${a.status_code}` : (a.error ?? "no answer")} in{" "}
      {a.duration_ms} ms
      {a.error_detail ? <div>{a.error_detail}</div> : null}
      {a.response_body ? <pre>{a.response_body}</pre> : null}
    </Notice>
  );
}

export function EndpointDetail(props: {
  row: EndpointRow;
  csrf: string;
  readOnly: boolean;
  stats: Stats;
  traffic: { series: HourPoint[]; range: "24h" | "7d" };
  task?: { id: string; status: string; total: number; done: number } | null;
  missed?: Missed | null;
}) {
  const r = props.row;
  const base = `/portal/endpoints/${r.id}`;
  const range = props.traffic.range;
  return (
    <>
      {props.missed?.count ? <MissedNotice endpointId={r.id} missed={props.missed} readOnly={props.readOnly} /> : null}
      <div class="card">
        <dl class="kv">
          <dt>URL</dt>
          <dd>
            <code>{r.url}</code>
          </dd>
          <dt>Endpoint id</dt>
          <dd>
            <code>{r.id}</code>
          </dd>
          <dt>Status</dt>
          <dd>
            <Badge value={r.status} />{" "}
            {r.status === "disabled" ? <span class="muted">({r.disabledReason ?? "manual"})</span> : null}
          </dd>
          <dt>Description</dt>
          <dd>{r.description || <span class="muted">—</span>}</dd>
          <dt>Event types</dt>
          <dd>{r.eventTypes?.length ? r.eventTypes.join(", ") : "all"}</dd>
          <dt>Channels</dt>
          <dd>{r.channels?.length ? r.channels.join(", ") : "any"}</dd>
          <dt>Filter</dt>
          <dd>{r.filter ? <code>{JSON.stringify(r.filter)}</code> : <span class="muted">none</span>}</dd>
          <dt>Retry policy</dt>
          <dd>
            {typeof r.retryPolicy === "object" && r.retryPolicy
              ? `custom ${JSON.stringify(r.retryPolicy)}`
              : String(r.retryPolicy ?? "deployment default")}
          </dd>
          <dt>Authentication</dt>
          <dd>
            {r.authType === "basic" ? (
              "basic auth"
            ) : r.authType === "header" ? (
              "header token"
            ) : (
              <span class="muted">none</span>
            )}{" "}
            {r.authType ? <span class="muted">(values hidden)</span> : null}
          </dd>
          <dt>Custom headers</dt>
          <dd>
            {r.headerNames?.length ? (
              <>
                {r.headerNames.map((n) => (
                  <code>{n} </code>
                ))}{" "}
                <span class="muted">(values hidden)</span>
              </>
            ) : (
              <span class="muted">none</span>
            )}
          </dd>
          <dt>Signature</dt>
          <dd>{signatureText(r.signature)}</dd>
          <dt>Body shape</dt>
          <dd>{r.envelope}</dd>
          {Object.keys(r.metadata ?? {}).length ? (
            <>
              <dt>Metadata</dt>
              <dd>
                {Object.entries(r.metadata).map(([k, v]) => (
                  <div>
                    <code>{k}</code> = {v}
                  </div>
                ))}
              </dd>
            </>
          ) : null}
          <dt>Limits</dt>
          <dd>
            {r.rateLimitPerS ? `${r.rateLimitPerS}/s` : "no rate limit"},{" "}
            {r.maxInFlight ? `${r.maxInFlight} in flight` : "default concurrency"}, timeout {r.timeoutMs} ms
          </dd>
          <dt>Last 24 hours</dt>
          <dd>
            {outcomeText(props.stats)}, {props.stats.deliveries.pending ?? 0} pending
            <div class="muted">{attemptsText(props.stats)}</div>
          </dd>
        </dl>
        <p>
          <a href={`/portal/deliveries?endpoint_id=${r.id}`}>See its deliveries</a>
        </p>
      </div>
      <h2 id="traffic">Traffic per hour, last {range === "7d" ? "7 days" : "24 hours"}</h2>
      <div class="card">
        <nav class="range" aria-label="Chart range">
          <a href={`${base}#traffic`} aria-current={range === "24h" ? "true" : undefined}>
            24 hours
          </a>
          <a href={`${base}?range=7d#traffic`} aria-current={range === "7d" ? "true" : undefined}>
            7 days
          </a>
        </nav>
        <HourlyChart
          series={props.traffic.series}
          span={range === "7d" ? "last 7 days" : "last 24 hours"}
          id="traffic-chart"
        />
      </div>
      {props.task ? (
        <Notice kind="info">
          Recovery task <code>{props.task.id}</code>: {props.task.done} of {props.task.total} done ({props.task.status}
          ). <a href={`${base}?task=${props.task.id}`}>Refresh</a>
        </Notice>
      ) : null}
      {props.readOnly ? null : (
        <>
          <h2>Actions</h2>
          <div class="card actions">
            <a class="button secondary" href={`${base}/edit`}>
              Edit
            </a>
            <PostButton action={`${base}/test`} csrf={props.csrf} label="Send test event" variant="secondary" />
            <PostButton
              action={`${base}/${r.status === "active" ? "disable" : "enable"}`}
              csrf={props.csrf}
              label={r.status === "active" ? "Disable" : "Enable"}
              variant="secondary"
            />
            <PostButton action={`${base}/rotate`} csrf={props.csrf} label="Rotate secret" variant="secondary" />
            <a class="button secondary" href={`${base}/secret`}>
              Signing secret…
            </a>
            <a class="button secondary" href={`${base}/delete`}>
              Delete…
            </a>
          </div>
          <h2>Recover failed deliveries</h2>
          <form class="card filters" method="post" action={`${base}/recover`}>
            <input type="hidden" name="_csrf" value={props.csrf} />
            <div>
              <label for="since">Failed since</label>
              <input type="datetime-local" id="since" name="since" required />
            </div>
            <div>
              <button type="submit">Recover</button>
            </div>
          </form>
        </>
      )}
    </>
  );
}

/** What a re-enabled endpoint missed while disabled, and the replay that sends it (prefilled). */
function MissedNotice(props: { endpointId: string; missed: Missed; readOnly: boolean }) {
  const m = props.missed;
  const replay = new URLSearchParams({
    mode: "missing",
    endpoint_ids: props.endpointId,
    since: m.since,
    until: m.until,
  });
  return (
    <Notice kind="info">
      <strong id="missed">
        {m.capped ? "At least " : ""}
        {plural(m.count, "event")} missed while disabled
      </strong>{" "}
      <span class="muted">
        ({m.since.replace("T", " ").slice(0, 19)} to {m.until.replace("T", " ").slice(0, 19)} UTC)
      </span>
      {props.readOnly ? null : (
        <>
          {" — "}
          <a href={`/portal/replays?${replay}`}>Replay missing</a>
        </>
      )}
    </Notice>
  );
}

export function ConfirmDelete(props: { row: EndpointRow; csrf: string }) {
  return (
    <div class="card">
      <p>
        Delete <code>{props.row.url}</code>? Its pending deliveries are cancelled. This cannot be undone.
      </p>
      <div class="actions">
        <PostButton
          action={`/portal/endpoints/${props.row.id}/delete`}
          csrf={props.csrf}
          label="Delete endpoint"
          variant="danger"
        />
        <a class="button secondary" href={`/portal/endpoints/${props.row.id}`}>
          Keep it
        </a>
      </div>
    </div>
  );
}
