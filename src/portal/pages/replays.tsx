/** @jsxImportSource hono/jsx */
/**
 * The replay pages: the filter form, the plan it previews (the count is shown before the button
 * that sends anything) and a task's progress with its Cancel button. Rendering only: the routes
 * are src/portal/routes/replays.tsx, the form's input src/portal/form-input/replay.ts.
 */
import type { EndpointRow } from "../../attempts/endpoint-snapshot";
import { STATUS_CLASSES } from "../../domain/deliveries";
import type { ErrorIssue } from "../../errors";
import { REPLAY_STATUSES } from "../../tenant-log/replay-query";
import type { ReplayFormValues } from "../form-input/replay";
import { Badge, Notice, PostButton } from "./layout";

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
// Every time on the portal is UTC, and says so.
const when = (t: string) => `${t.replace("T", " ").slice(0, 19)} UTC`;

/** The plan as POST /v1/tenants/{t}/replays answers it with `dry_run: true`. */
interface PlanView {
  mode: string;
  total: number;
  by_endpoint: { endpoint_id: string; count: number }[];
  by_status: Record<string, number>;
  truncated: boolean;
}

/** A task as GET /v1/tasks/{id} answers it. */
interface TaskView {
  id: string;
  kind: string;
  status: string;
  total: number;
  done: number;
  endpoint_id: string | null;
  params: Record<string, unknown>;
  created_at: string;
}

function FieldError(props: { issues: ErrorIssue[]; field: string }) {
  const mine = props.issues.filter((i) => i.path === props.field || i.path.startsWith(`${props.field}.`));
  if (!mine.length) return null;
  return (
    <div class="field-error" id={`${props.field}-error`}>
      {mine.map((i) => i.message).join("; ")}
    </div>
  );
}

const invalid = (issues: ErrorIssue[], field: string) =>
  issues.some((i) => i.path === field || i.path.startsWith(`${field}.`)) ? "true" : undefined;

/** The form's values as hidden fields: what the Replay button sends is what was previewed. */
function HiddenFilter(props: { values: ReplayFormValues }) {
  const v = props.values;
  const one = (name: string, value: string) => (value ? <input type="hidden" name={name} value={value} /> : null);
  return (
    <>
      {one("mode", v.mode)}
      {v.endpoint_ids.map((id) => one("endpoint_ids", id))}
      {one("event_types", v.event_types)}
      {v.statuses.map((s) => one("statuses", s))}
      {one("status_class", v.status_class)}
      {one("channel", v.channel)}
      {one("since", v.since)}
      {one("until", v.until)}
    </>
  );
}

export function ReplayForm(props: {
  values: ReplayFormValues;
  endpoints: EndpointRow[];
  issues: ErrorIssue[];
  csrf: string;
}) {
  const v = props.values;
  const issues = props.issues;
  // Issues the form has no field for (a conflict, a window too wide): shown above it.
  const fields = ["mode", "endpoint_ids", "event_types", "statuses", "status_class", "channel", "since", "until"];
  const general = issues.filter((i) => !fields.some((f) => i.path === f || i.path.startsWith(`${f}.`)));
  return (
    <form class="card stack" method="post" action="/portal/replays/preview" aria-label="Replay filter" novalidate>
      <input type="hidden" name="_csrf" value={props.csrf} />
      {issues.length ? (
        <Notice kind="bad">
          <strong>Check the filter:</strong>{" "}
          {general.length ? general.map((i) => i.message).join("; ") : "see the fields marked below."}
        </Notice>
      ) : null}
      <fieldset class="group">
        <legend>What to send</legend>
        <div class="checks">
          <label>
            <input type="radio" name="mode" value="retry" checked={v.mode !== "missing"} /> Send again what was
            delivered or failed (retry)
          </label>
          <label>
            <input type="radio" name="mode" value="missing" checked={v.mode === "missing"} /> Send what an endpoint
            never got (missing)
          </label>
        </div>
        <FieldError issues={issues} field="mode" />
      </fieldset>
      <fieldset class="group">
        <legend>
          Endpoints <span class="hint">(none ticked: every active endpoint)</span>
        </legend>
        <div class="checks">
          {props.endpoints.map((e) => (
            <label>
              <input
                type="checkbox"
                name="endpoint_ids"
                value={e.id}
                checked={v.endpoint_ids.includes(e.id)}
                disabled={e.status !== "active" && !v.endpoint_ids.includes(e.id)}
              />{" "}
              <code>{e.url}</code>
              {e.status !== "active" ? <span class="muted">(disabled)</span> : null}
            </label>
          ))}
        </div>
        <FieldError issues={issues} field="endpoint_ids" />
      </fieldset>
      <div class="pair">
        <div>
          <label for="r-since">
            Events since <span class="hint">(UTC)</span>
          </label>
          <input
            type="datetime-local"
            step="any"
            id="r-since"
            name="since"
            value={v.since}
            required
            aria-invalid={invalid(issues, "since")}
          />
          <FieldError issues={issues} field="since" />
        </div>
        <div>
          <label for="r-until">
            Until <span class="hint">(UTC; blank: now; at most 7 days after)</span>
          </label>
          <input
            type="datetime-local"
            step="any"
            id="r-until"
            name="until"
            value={v.until}
            aria-invalid={invalid(issues, "until")}
          />
          <FieldError issues={issues} field="until" />
        </div>
      </div>
      <div class="pair">
        <div>
          <label for="r-types">
            Event types <span class="hint">(e.g. job.*; blank: all)</span>
          </label>
          <input
            type="text"
            id="r-types"
            name="event_types"
            value={v.event_types}
            aria-invalid={invalid(issues, "event_types")}
          />
          <FieldError issues={issues} field="event_types" />
        </div>
        <div>
          <label for="r-channel">
            Channel <span class="hint">(blank: any)</span>
          </label>
          <input
            type="text"
            id="r-channel"
            name="channel"
            value={v.channel}
            aria-invalid={invalid(issues, "channel")}
          />
          <FieldError issues={issues} field="channel" />
        </div>
      </div>
      <fieldset class="group">
        <legend>
          Only for "retry" <span class="hint">(which earlier deliveries to send again)</span>
        </legend>
        <div class="pair">
          <div>
            <span style="display:block;font-weight:600;margin-bottom:.25rem">Status</span>
            <div class="checks">
              {REPLAY_STATUSES.map((s) => (
                <label>
                  <input type="checkbox" name="statuses" value={s} checked={v.statuses.includes(s)} /> {s}
                </label>
              ))}
            </div>
            <FieldError issues={issues} field="statuses" />
          </div>
          <div>
            <label for="r-class">Last answer</label>
            <select id="r-class" name="status_class" aria-invalid={invalid(issues, "status_class")}>
              <option value="">Any</option>
              {STATUS_CLASSES.map((k) => (
                <option value={k} selected={v.status_class === k}>
                  {k === "none" ? "no answer" : `HTTP ${k}`}
                </option>
              ))}
            </select>
            <FieldError issues={issues} field="status_class" />
          </div>
        </div>
      </fieldset>
      <div class="actions">
        <button type="submit">Preview</button>
        <span class="hint">Counts what would be sent; sends nothing.</span>
      </div>
    </form>
  );
}

/** The plan, and the one button that starts the replay it describes. */
export function ReplayPlan(props: {
  plan: PlanView;
  endpoints: EndpointRow[];
  values: ReplayFormValues;
  csrf: string;
}) {
  const p = props.plan;
  const urlOf = new Map(props.endpoints.map((e) => [e.id, e.url]));
  return (
    <section class="card" aria-labelledby="plan-title" id="plan">
      <h2 id="plan-title" style="margin-top:0">
        Preview: {plural(p.total, "delivery", "deliveries")} would be sent
      </h2>
      {p.truncated ? (
        <Notice kind="info">
          More matched than one replay sends: this one sends the oldest {p.total.toLocaleString("en-US")}. Replay the
          rest afterwards with a later "since".
        </Notice>
      ) : null}
      {p.total === 0 ? (
        <p class="muted">Nothing matches this filter: change it and preview again.</p>
      ) : (
        <>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Deliveries</th>
                </tr>
              </thead>
              <tbody>
                {p.by_endpoint.map((e) => (
                  <tr>
                    <td>
                      <code>{urlOf.get(e.endpoint_id) ?? e.endpoint_id}</code>
                    </td>
                    <td data-endpoint={e.endpoint_id}>{e.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p>
            {Object.entries(p.by_status).map(([status, n], i) => (
              <>
                {i ? ", " : ""}
                <span data-status={status}>
                  {n} {status === "missing" ? "never sent" : status}
                </span>
              </>
            ))}
          </p>
          <form method="post" action="/portal/replays" class="actions">
            <input type="hidden" name="_csrf" value={props.csrf} />
            <HiddenFilter values={props.values} />
            <button type="submit">Replay {plural(p.total, "delivery", "deliveries")}</button>
            <span class="hint">Paced by each endpoint's rate limit; you can cancel it while it runs.</span>
          </form>
        </>
      )}
    </section>
  );
}

export function TaskProgress(props: { task: TaskView; csrf: string; readOnly: boolean }) {
  const t = props.task;
  const params = t.params as { mode?: string; since?: string; until?: string };
  return (
    <div class="card">
      <dl class="kv">
        <dt>Task</dt>
        <dd>
          <code>{t.id}</code> ({t.kind}
          {params.mode ? `, ${params.mode}` : ""})
        </dd>
        <dt>State</dt>
        <dd>
          <Badge value={t.status} />
        </dd>
        <dt>Progress</dt>
        <dd>
          <span id="progress">
            {t.done} of {plural(t.total, "delivery", "deliveries")} done
          </span>{" "}
          <span class="hint">(delivered, failed, or cancelled)</span>
          {t.status === "cancelled" ? (
            <div class="muted">Cancelled: nothing more of it is sent; what had not gone out is cancelled.</div>
          ) : (
            <div>
              <progress
                max={Math.max(t.total, 1)}
                value={t.total === 0 ? 1 : t.done}
                aria-labelledby="progress"
                style="accent-color:var(--accent);width:16rem;max-width:100%"
              />
            </div>
          )}
        </dd>
        {params.since ? (
          <>
            <dt>Events from</dt>
            <dd>
              {when(params.since)} to {params.until ? when(params.until) : "now"}
            </dd>
          </>
        ) : null}
        <dt>Started</dt>
        <dd>{when(t.created_at)}</dd>
      </dl>
      <div class="actions" style="margin-top:1rem">
        <a class="button secondary" href={`/portal/tasks/${t.id}`}>
          Refresh
        </a>
        {t.status === "running" && !props.readOnly ? (
          <PostButton action={`/portal/tasks/${t.id}/cancel`} csrf={props.csrf} label="Cancel" variant="danger" />
        ) : null}
        <a href="/portal/replays">New replay</a>
      </div>
    </div>
  );
}
