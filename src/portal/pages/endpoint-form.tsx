/** @jsxImportSource hono/jsx */
/**
 * The endpoint form, rendered: every field the API lets a tenant set, each with its issue next to
 * it. Its input (submitted fields to the API's schema) is src/portal/form-input/endpoint.ts.
 *
 * Credentials are write-only: `auth` values and custom header values are never put in the page
 * (not even back into a form that failed validation).
 */

import { PRESET_NAMES } from "../../delivery/retry-policy";
import type { ErrorIssue } from "../../errors";
import { type EndpointFormValues, type HeaderRow, list, MAX_HEADER_ROWS } from "../form-input/endpoint";

/** New header rows offered per page (no client-side script to add more: save and edit again). */
const NEW_HEADER_ROWS = 3;

/** How an issue's path reads next to its field ("headers.X-Foo" → "X-Foo"). */
function label(path: string, field: string) {
  const rest = path.slice(field.length + 1);
  if (!rest) return "";
  if (field === "retry_policy") return /\.(\d+)$/.test(path) ? `step ${Number(path.split(".").pop()) + 1}: ` : "";
  return `${rest}: `;
}

function fieldError(issues: ErrorIssue[], ...paths: string[]) {
  const found = issues.flatMap((i) => {
    const p = paths.find((p) => i.path === p || i.path.startsWith(`${p}.`));
    return p === undefined ? [] : [`${label(i.path, p)}${i.message}`];
  });
  return found.length ? found.join("; ") : null;
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

const aria = (id: string, message: string | null) =>
  message ? { "aria-invalid": "true", "aria-describedby": `${id}-error` } : {};

/** Basic auth or a static token header; values write-only. */
function AuthFields(props: { v: EndpointFormValues; storedType: string | null; issues: ErrorIssue[] }) {
  const { v, storedType, issues } = props;
  const keep = (type: string) => (storedType === type ? "unchanged — leave blank to keep" : undefined);
  const userErr = fieldError(issues, "auth.username");
  const passErr = fieldError(issues, "auth.password");
  const nameErr = fieldError(issues, "auth.name");
  const valueErr = fieldError(issues, "auth.value");
  const typeErr =
    fieldError(issues, "auth.type") ?? (issues.some((i) => i.path === "auth") ? fieldError(issues, "auth") : null);
  return (
    <fieldset class="card" style="margin:0">
      <legend>
        <strong>Authentication</strong>{" "}
        <span class="hint">— credentials your receiver expects; stored encrypted, never shown again</span>
      </legend>
      <Field id="auth_type" label="Authentication type" error={typeErr}>
        <select id="auth_type" name="auth_type">
          <option value="none" selected={v.auth_type === "none"}>
            {storedType ? "Remove authentication" : "No authentication"}
          </option>
          <option value="basic" selected={v.auth_type === "basic"}>
            Basic auth (username and password)
          </option>
          <option value="header" selected={v.auth_type === "header"}>
            Header token (e.g. X-Webhook-Token)
          </option>
        </select>
      </Field>
      {storedType ? (
        <p class="hint">
          Currently: {storedType === "basic" ? "basic auth" : "a header token"} is set. Leave its fields blank to keep
          it.
        </p>
      ) : null}
      <div class="filters">
        <Field id="auth_username" label="Basic auth username" error={userErr}>
          <input
            type="text"
            id="auth_username"
            name="auth_username"
            autocomplete="off"
            placeholder={keep("basic")}
            {...aria("auth_username", userErr)}
          />
        </Field>
        <Field id="auth_password" label="Basic auth password" error={passErr}>
          <input
            type="password"
            id="auth_password"
            name="auth_password"
            autocomplete="new-password"
            placeholder={keep("basic")}
            {...aria("auth_password", passErr)}
          />
        </Field>
      </div>
      <div class="filters">
        <Field id="auth_header_name" label="Token header name" error={nameErr}>
          <input
            type="text"
            id="auth_header_name"
            name="auth_header_name"
            autocomplete="off"
            placeholder={keep("header") ?? "X-Webhook-Token"}
            {...aria("auth_header_name", nameErr)}
          />
        </Field>
        <Field id="auth_header_value" label="Token value" error={valueErr}>
          <input
            type="password"
            id="auth_header_value"
            name="auth_header_value"
            autocomplete="new-password"
            placeholder={keep("header")}
            {...aria("auth_header_value", valueErr)}
          />
        </Field>
      </div>
    </fieldset>
  );
}

/** Stored headers by name (value never shown, Remove box) and a few empty rows for new ones. */
function HeaderFields(props: { rows: HeaderRow[]; issues: ErrorIssue[] }) {
  const err = fieldError(props.issues, "headers");
  const existing = props.rows.filter((r) => r.existing);
  const fresh = props.rows.filter((r) => !r.existing && (r.name || r.value));
  const rows = [
    ...existing,
    ...fresh,
    ...Array.from({ length: NEW_HEADER_ROWS }, () => ({ name: "", value: "", remove: false, existing: false })),
  ].slice(0, MAX_HEADER_ROWS);
  return (
    <fieldset class="card" style="margin:0" {...(err ? { "aria-describedby": "headers-error" } : {})}>
      <legend>
        <strong>Custom headers</strong>{" "}
        <span class="hint">— sent with every request; values stored encrypted, never shown again</span>
      </legend>
      {err ? (
        <div class="field-error" id="headers-error">
          {err}
        </div>
      ) : null}
      <div class="table-wrap">
        <table class="stack-rows">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
              <th scope="col">Remove</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr>
                <td data-label="Name">
                  {r.existing ? (
                    <>
                      <code>{r.name}</code>
                      <input type="hidden" name={`header_name_${i}`} value={r.name} />
                      <input type="hidden" name={`header_existing_${i}`} value="1" />
                    </>
                  ) : (
                    <input
                      type="text"
                      name={`header_name_${i}`}
                      value={r.name}
                      aria-label={`Header ${i + 1} name`}
                      placeholder="X-Header-Name"
                      autocomplete="off"
                    />
                  )}
                </td>
                <td data-label="Value">
                  <input
                    type="password"
                    name={`header_value_${i}`}
                    aria-label={r.existing ? `${r.name} value` : `Header ${i + 1} value`}
                    placeholder={r.existing ? "unchanged — leave blank to keep" : ""}
                    autocomplete="new-password"
                  />
                </td>
                <td>
                  {r.existing ? (
                    <label style="font-weight:400">
                      <input type="checkbox" name={`header_remove_${i}`} checked={r.remove} /> Remove{" "}
                      <span class="sr-only">{r.name}</span>
                    </label>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </fieldset>
  );
}

function SignatureFields(props: { v: EndpointFormValues; issues: ErrorIssue[] }) {
  const { v, issues } = props;
  const headerErr = fieldError(issues, "signature.header");
  const prefixErr = fieldError(issues, "signature.prefix");
  const schemeErr = fieldError(issues, "signature.scheme");
  const envelopeErr = fieldError(issues, "envelope");
  return (
    <fieldset class="card" style="margin:0">
      <legend>
        <strong>Signature and body</strong> <span class="hint">— how your receiver checks each request</span>
      </legend>
      <div class="pair">
        <Field id="signature_scheme" label="Signature" error={schemeErr}>
          <select id="signature_scheme" name="signature_scheme">
            <option value="default" selected={v.signature_scheme === "default"}>
              Deployment default
            </option>
            <option value="standard" selected={v.signature_scheme === "standard"}>
              Standard Webhooks (webhook-signature)
            </option>
            <option value="hmac-sha256-hex" selected={v.signature_scheme === "hmac-sha256-hex"}>
              Hex HMAC-SHA256 in a header
            </option>
          </select>
        </Field>
        <Field id="envelope" label="Body shape" error={envelopeErr}>
          <select id="envelope" name="envelope">
            <option value="standard" selected={v.envelope === "standard"}>
              {"{ id, type, timestamp, data }"}
            </option>
            <option value="event-data" selected={v.envelope === "event-data"}>
              {"{ event, data }"}
            </option>
            <option value="jsonapi" selected={v.envelope === "jsonapi"}>
              JSON:API
            </option>
          </select>
        </Field>
      </div>
      <div class="pair">
        <Field id="signature_header" label="Signature header" hint="for the hex HMAC" error={headerErr}>
          <input
            type="text"
            id="signature_header"
            name="signature_header"
            value={v.signature_header}
            placeholder="X-Webhook-Signature"
            {...aria("signature_header", headerErr)}
          />
        </Field>
        <Field id="signature_prefix" label="Signature prefix" hint="e.g. sha256=" error={prefixErr}>
          <input
            type="text"
            id="signature_prefix"
            name="signature_prefix"
            value={v.signature_prefix}
            {...aria("signature_prefix", prefixErr)}
          />
        </Field>
      </div>
    </fieldset>
  );
}

export function EndpointForm(props: {
  action: string;
  csrf: string;
  values: EndpointFormValues;
  issues: ErrorIssue[];
  catalog: string[];
  submit: string;
  /** The auth type stored on the endpoint being edited (null on create or when none). */
  storedAuthType?: string | null;
}) {
  const { values: v, issues } = props;
  const err = (_id: string, ...paths: string[]) => fieldError(issues, ...paths);
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
  const metadataErr = err("metadata", "metadata");
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
        <input
          type="text"
          id="description"
          name="description"
          value={v.description}
          {...aria("description", descErr)}
        />
      </Field>
      <fieldset class="card" style="margin:0">
        <legend>
          <strong>Event types</strong> <span class="hint">— none selected means every type</span>
        </legend>
        {props.catalog.length ? (
          <div class="checks">
            {props.catalog.map((name) => (
              <label>
                <input type="checkbox" name="event_types" value={name} checked={v.event_types.includes(name)} />{" "}
                <code>{name}</code>
              </label>
            ))}
          </div>
        ) : null}
        <Field
          id="extra_types"
          label="Other types or patterns"
          hint="comma-separated, e.g. job.* or invoice.paid"
          error={typesErr}
        >
          <input type="text" id="extra_types" name="extra_types" value={extra} {...aria("extra_types", typesErr)} />
        </Field>
      </fieldset>
      <Field id="channels" label="Channels" hint="comma-separated; only events on one of these" error={channelsErr}>
        <input type="text" id="channels" name="channels" value={v.channels} {...aria("channels", channelsErr)} />
      </Field>
      <Field
        id="filter"
        label="Payload filter"
        hint='JSON, e.g. {"data.total_amount": {"$gte": 1000}}'
        error={filterErr}
      >
        <textarea id="filter" name="filter" {...aria("filter", filterErr)}>
          {v.filter}
        </textarea>
      </Field>
      <AuthFields v={v} storedType={props.storedAuthType ?? null} issues={issues} />
      <HeaderFields rows={v.headers} issues={issues} />
      <SignatureFields v={v} issues={issues} />
      <Field id="retry" label="Retry policy" error={null}>
        <select id="retry" name="retry">
          {["default", ...PRESET_NAMES, "custom"].map((p) => (
            <option value={p} selected={v.retry === p}>
              {p === "custom" ? "custom schedule" : p === "default" ? "deployment default" : p}
            </option>
          ))}
        </select>
      </Field>
      <Field
        id="schedule"
        label="Custom schedule"
        hint="seconds between attempts, comma-separated (for a custom policy)"
        error={retryErr}
      >
        <input type="text" id="schedule" name="schedule" value={v.schedule} {...aria("schedule", retryErr)} />
      </Field>
      <div class="filters">
        <Field id="rate_limit_per_s" label="Rate limit (/s)" error={rateErr}>
          <input
            type="number"
            id="rate_limit_per_s"
            name="rate_limit_per_s"
            min="1"
            value={v.rate_limit_per_s}
            {...aria("rate_limit_per_s", rateErr)}
          />
        </Field>
        <Field id="max_in_flight" label="Max in flight" error={inflightErr}>
          <input
            type="number"
            id="max_in_flight"
            name="max_in_flight"
            min="1"
            value={v.max_in_flight}
            {...aria("max_in_flight", inflightErr)}
          />
        </Field>
        <Field id="timeout_ms" label="Timeout (ms)" error={timeoutErr}>
          <input
            type="number"
            id="timeout_ms"
            name="timeout_ms"
            min="1000"
            max="30000"
            value={v.timeout_ms}
            {...aria("timeout_ms", timeoutErr)}
          />
        </Field>
      </div>
      <label>
        <input type="checkbox" id="omit_traceparent" name="omit_traceparent" checked={v.omit_traceparent} /> Do not
        forward trace ids (no <code>traceparent</code> header to this endpoint)
      </label>
      <Field id="metadata" label="Metadata" hint="one key=value per line, for your own reference" error={metadataErr}>
        <textarea id="metadata" name="metadata" style="min-height:3rem" {...aria("metadata", metadataErr)}>
          {v.metadata}
        </textarea>
      </Field>
      <div class="actions">
        <button type="submit">{props.submit}</button>
        <a class="button secondary" href="/portal">
          Cancel
        </a>
      </div>
    </form>
  );
}
