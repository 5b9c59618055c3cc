/** @jsxImportSource hono/jsx */
/**
 * The endpoint form: rendering, and turning submitted fields into the API's own input schema so
 * the portal validates exactly as the API does (issues are shown next to their field).
 */
import type { z } from "@hono/zod-openapi";
import type { ErrorIssue } from "../errors";
import { zodIssues } from "../http/validation";
import { CreateEndpointInput, UpdateEndpointInput } from "../routes/endpoints/schema";
import { PRESET_NAMES } from "../delivery/retry-policy";

export interface EndpointFormValues {
  url: string;
  description: string;
  event_types: string[];
  extra_types: string;
  channels: string;
  filter: string;
  retry: string;
  schedule: string;
  rate_limit_per_s: string;
  max_in_flight: string;
  timeout_ms: string;
}

export const EMPTY_FORM: EndpointFormValues = {
  url: "",
  description: "",
  event_types: [],
  extra_types: "",
  channels: "",
  filter: "",
  retry: "default",
  schedule: "",
  rate_limit_per_s: "",
  max_in_flight: "",
  timeout_ms: "15000",
};

const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export function formValues(body: Record<string, string | File | (string | File)[]>): EndpointFormValues {
  const str = (k: string) => {
    const v = body[k];
    return typeof v === "string" ? v : "";
  };
  const types = body.event_types;
  return {
    url: str("url").trim(),
    description: str("description"),
    event_types: (Array.isArray(types) ? types : types ? [types] : []).filter((t): t is string => typeof t === "string"),
    extra_types: str("extra_types"),
    channels: str("channels"),
    filter: str("filter"),
    retry: str("retry") || "default",
    schedule: str("schedule"),
    rate_limit_per_s: str("rate_limit_per_s"),
    max_in_flight: str("max_in_flight"),
    timeout_ms: str("timeout_ms"),
  };
}

type Parsed<T> = { ok: true; input: T } | { ok: false; issues: ErrorIssue[] };

/** Form values → the API input, validated by the API's schema. */
export function parseEndpointForm<S extends typeof CreateEndpointInput | typeof UpdateEndpointInput>(schema: S, v: EndpointFormValues): Parsed<z.infer<S>> {
  const issues: ErrorIssue[] = [];
  let filter: unknown = null;
  if (v.filter.trim()) {
    try {
      filter = JSON.parse(v.filter);
    } catch {
      issues.push({ path: "filter", message: "not valid JSON" });
    }
  }
  const num = (s: string) => (s.trim() === "" ? null : Number(s));
  const types = [...v.event_types, ...list(v.extra_types)];
  const candidate: Record<string, unknown> = {
    url: v.url,
    description: v.description,
    event_types: types.length ? [...new Set(types)] : null,
    channels: list(v.channels).length ? list(v.channels) : null,
    filter,
    retry_policy: v.retry === "custom" ? { schedule_s: list(v.schedule).map(Number) } : v.retry === "default" ? null : v.retry,
    rate_limit_per_s: num(v.rate_limit_per_s),
    max_in_flight: num(v.max_in_flight),
    timeout_ms: num(v.timeout_ms) ?? 15000,
  };
  if (issues.length) return { ok: false, issues };
  const parsed = schema.safeParse(candidate);
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  return { ok: true, input: parsed.data as z.infer<S> };
}

function fieldError(issues: ErrorIssue[], ...paths: string[]) {
  const found = issues.filter((i) => paths.some((p) => i.path === p || i.path.startsWith(`${p}.`)));
  return found.length ? found.map((i) => (i.path.includes(".") ? `${i.path}: ${i.message}` : i.message)).join("; ") : null;
}

function Field(props: { id: string; label: string; hint?: string; error: string | null; children: unknown }) {
  return (
    <div>
      <label for={props.id}>
        {props.label} {props.hint ? <span class="hint">— {props.hint}</span> : null}
      </label>
      {props.children}
      {props.error ? (
        <div class="field-error" id={`${props.id}-error`}>
          {props.error}
        </div>
      ) : null}
    </div>
  );
}

export function EndpointForm(props: { action: string; csrf: string; values: EndpointFormValues; issues: ErrorIssue[]; catalog: string[]; submit: string }) {
  const { values: v, issues } = props;
  const err = (id: string, ...paths: string[]) => fieldError(issues, ...paths);
  const aria = (id: string, message: string | null) => (message ? { "aria-invalid": "true", "aria-describedby": `${id}-error` } : {});
  const known = new Set(props.catalog);
  const extra = [...v.event_types.filter((t) => !known.has(t)), ...list(v.extra_types)].join(", ");
  const urlErr = err("url", "url");
  const typesErr = err("event_types", "event_types");
  const channelsErr = err("channels", "channels");
  const filterErr = err("filter", "filter");
  const retryErr = err("schedule", "retry_policy");
  const rateErr = err("rate_limit_per_s", "rate_limit_per_s");
  const inflightErr = err("max_in_flight", "max_in_flight");
  const timeoutErr = err("timeout_ms", "timeout_ms");
  const descErr = err("description", "description");
  return (
    <form class="stack card" method="post" action={props.action} novalidate>
      <input type="hidden" name="_csrf" value={props.csrf} />
      {issues.length ? (
        <div class="notice bad" role="alert">
          Please fix the {issues.length === 1 ? "field" : `${issues.length} fields`} marked below.
        </div>
      ) : null}
      <Field id="url" label="URL" hint="https://… where we POST each event" error={urlErr}>
        <input type="url" id="url" name="url" value={v.url} required autocomplete="off" {...aria("url", urlErr)} />
      </Field>
      <Field id="description" label="Description" error={descErr}>
        <input type="text" id="description" name="description" value={v.description} {...aria("description", descErr)} />
      </Field>
      <fieldset class="card" style="margin:0">
        <legend>
          <strong>Event types</strong> <span class="hint">— none selected means every type</span>
        </legend>
        {props.catalog.length ? (
          <div class="checks">
            {props.catalog.map((name) => (
              <label>
                <input type="checkbox" name="event_types" value={name} checked={v.event_types.includes(name)} /> <code>{name}</code>
              </label>
            ))}
          </div>
        ) : null}
        <Field id="extra_types" label="Other types or patterns" hint="comma-separated, e.g. job.* or invoice.paid" error={typesErr}>
          <input type="text" id="extra_types" name="extra_types" value={extra} {...aria("extra_types", typesErr)} />
        </Field>
      </fieldset>
      <Field id="channels" label="Channels" hint="comma-separated; only events on one of these" error={channelsErr}>
        <input type="text" id="channels" name="channels" value={v.channels} {...aria("channels", channelsErr)} />
      </Field>
      <Field id="filter" label="Payload filter" hint='JSON, e.g. {"data.total_amount": {"$gte": 1000}}' error={filterErr}>
        <textarea id="filter" name="filter" {...aria("filter", filterErr)}>
          {v.filter}
        </textarea>
      </Field>
      <Field id="retry" label="Retry policy" error={null}>
        <select id="retry" name="retry">
          {["default", ...PRESET_NAMES, "custom"].map((p) => (
            <option value={p} selected={v.retry === p}>
              {p === "custom" ? "custom schedule" : p === "default" ? "deployment default" : p}
            </option>
          ))}
        </select>
      </Field>
      <Field id="schedule" label="Custom schedule" hint="seconds between attempts, comma-separated (for a custom policy)" error={retryErr}>
        <input type="text" id="schedule" name="schedule" value={v.schedule} {...aria("schedule", retryErr)} />
      </Field>
      <div class="filters">
        <Field id="rate_limit_per_s" label="Rate limit (/s)" error={rateErr}>
          <input type="number" id="rate_limit_per_s" name="rate_limit_per_s" min="1" value={v.rate_limit_per_s} {...aria("rate_limit_per_s", rateErr)} />
        </Field>
        <Field id="max_in_flight" label="Max in flight" error={inflightErr}>
          <input type="number" id="max_in_flight" name="max_in_flight" min="1" value={v.max_in_flight} {...aria("max_in_flight", inflightErr)} />
        </Field>
        <Field id="timeout_ms" label="Timeout (ms)" error={timeoutErr}>
          <input type="number" id="timeout_ms" name="timeout_ms" min="1000" max="30000" value={v.timeout_ms} {...aria("timeout_ms", timeoutErr)} />
        </Field>
      </div>
      <div class="actions">
        <button type="submit">{props.submit}</button>
        <a class="button secondary" href="/portal">
          Cancel
        </a>
      </div>
    </form>
  );
}
