/**
 * The endpoint form's input, pure: submitted fields become the API's own input schema, so the
 * portal validates exactly as the API does (issues come back per field, in words a customer
 * understands). It covers everything a tenant may set on an endpoint except the secret. The form
 * itself is rendered by src/portal/pages/endpoint-form.tsx.
 *
 * Credentials are write-only: `auth` values and custom header values are never put back into the
 * values a form shows. A blank value keeps the stored one; "No authentication" and each header's
 * Remove box take them away.
 */
import type { z } from "@hono/zod-openapi";
import type { EndpointAuth } from "../../attempts/endpoint-snapshot";
import { AUTH_TYPES as ENDPOINT_AUTH_TYPES, ENVELOPES } from "../../domain/endpoints";
import type { ErrorIssue } from "../../errors";
import { SMALL_BODY_BYTES } from "../../http/body-limit";
import { zodIssues } from "../../http/validation";
import type { CreateEndpointInput, UpdateEndpointInput } from "../../routes/endpoints/schema";
import { friendlyError } from "./errors";

export const AUTH_TYPES = ["none", ...ENDPOINT_AUTH_TYPES] as const;
export const SIGNATURE_CHOICES = ["default", "standard", "hmac-sha256-hex"] as const;
/** The most header rows read from one submission: bounds the work a posted form can cause. */
export const MAX_HEADER_ROWS = 40;

export interface HeaderRow {
  name: string;
  value: string;
  remove: boolean;
  /** A header already stored on the endpoint (its name is shown, its value never). */
  existing: boolean;
}

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
  auth_type: (typeof AUTH_TYPES)[number];
  auth_username: string;
  auth_password: string;
  auth_header_name: string;
  auth_header_value: string;
  headers: HeaderRow[];
  signature_scheme: (typeof SIGNATURE_CHOICES)[number];
  signature_header: string;
  signature_prefix: string;
  envelope: (typeof ENVELOPES)[number];
  metadata: string;
  /** The opt-out box: checked = attempts carry no traceparent (unchecked, or absent, forwards it). */
  omit_traceparent: boolean;
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
  auth_type: "none",
  auth_username: "",
  auth_password: "",
  auth_header_name: "",
  auth_header_value: "",
  headers: [],
  signature_scheme: "default",
  signature_header: "",
  signature_prefix: "",
  envelope: "standard",
  metadata: "",
  omit_traceparent: false,
};

/** What the endpoint holds now, decrypted server-side for merging; never rendered. */
export interface StoredCredentials {
  auth: EndpointAuth | null;
  headers: Record<string, string>;
}

export const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

const oneOf = <T extends string>(options: readonly T[], value: string, fallback: T): T =>
  (options as readonly string[]).includes(value) ? (value as T) : fallback;

export function formValues(body: Record<string, string | File | (string | File)[]>): EndpointFormValues {
  const str = (k: string) => {
    const v = body[k];
    return typeof v === "string" ? v : "";
  };
  const types = body.event_types;
  const headers: HeaderRow[] = [];
  for (let i = 0; i < MAX_HEADER_ROWS; i++) {
    if (!(`header_name_${i}` in body)) continue;
    headers.push({
      name: str(`header_name_${i}`).trim(),
      value: str(`header_value_${i}`),
      remove: str(`header_remove_${i}`) === "on",
      existing: str(`header_existing_${i}`) === "1",
    });
  }
  return {
    url: str("url").trim(),
    description: str("description"),
    event_types: (Array.isArray(types) ? types : types ? [types] : []).filter(
      (t): t is string => typeof t === "string",
    ),
    extra_types: str("extra_types"),
    channels: str("channels"),
    filter: str("filter"),
    retry: str("retry") || "default",
    schedule: str("schedule"),
    rate_limit_per_s: str("rate_limit_per_s"),
    max_in_flight: str("max_in_flight"),
    timeout_ms: str("timeout_ms"),
    auth_type: oneOf(AUTH_TYPES, str("auth_type"), "none"),
    auth_username: str("auth_username"),
    auth_password: str("auth_password"),
    auth_header_name: str("auth_header_name").trim(),
    auth_header_value: str("auth_header_value"),
    headers,
    signature_scheme: oneOf(SIGNATURE_CHOICES, str("signature_scheme"), "default"),
    signature_header: str("signature_header").trim(),
    signature_prefix: str("signature_prefix"),
    envelope: oneOf(ENVELOPES, str("envelope"), "standard"),
    metadata: str("metadata"),
    omit_traceparent: str("omit_traceparent") === "on",
  };
}

type Parsed<T> = { ok: true; input: T } | { ok: false; issues: ErrorIssue[] };

/** `auth` for the API input: undefined keeps what is stored. Blank fields take the stored values of the same type. */
function authInput(v: EndpointFormValues, stored: EndpointAuth | null): unknown {
  if (v.auth_type === "none") return stored ? null : undefined;
  if (v.auth_type === "basic") {
    const kept = stored?.type === "basic" ? stored : null;
    if (kept && !v.auth_username && !v.auth_password) return undefined;
    return {
      type: "basic",
      username: v.auth_username || kept?.username || "",
      password: v.auth_password || kept?.password || "",
    };
  }
  const kept = stored?.type === "header" ? stored : null;
  if (kept && !v.auth_header_name && !v.auth_header_value) return undefined;
  return {
    type: "header",
    name: v.auth_header_name || kept?.name || "",
    value: v.auth_header_value || kept?.value || "",
  };
}

/** Custom headers for the API input: the stored set with this form's changes; undefined when nothing changed. */
function headersInput(
  v: EndpointFormValues,
  stored: Record<string, string>,
  issues: ErrorIssue[],
): Record<string, string> | undefined {
  const next = { ...stored };
  let changed = false;
  for (const row of v.headers) {
    if (row.existing && row.name in stored) {
      if (row.remove) {
        delete next[row.name];
        changed = true;
      } else if (row.value) {
        next[row.name] = row.value;
        changed = true;
      }
      continue;
    }
    if (!row.name && !row.value) continue;
    if (!row.name) issues.push({ path: "headers", message: "a header value needs a header name" });
    else if (!row.value) issues.push({ path: "headers", message: `enter a value for ${row.name}` });
    else {
      next[row.name] = row.value;
      changed = true;
    }
  }
  return changed ? next : undefined;
}

function metadataInput(text: string, issues: ErrorIssue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const at = line.indexOf("=");
    if (at <= 0) {
      issues.push({ path: "metadata", message: "write one key=value per line" });
      break;
    }
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

/** Form values → the API input, validated by the API's schema. `stored` is the endpoint's current credentials (edit). */
export function parseEndpointForm<S extends typeof CreateEndpointInput | typeof UpdateEndpointInput>(
  schema: S,
  v: EndpointFormValues,
  stored: StoredCredentials = { auth: null, headers: {} },
): Parsed<z.infer<S>> {
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
    retry_policy:
      v.retry === "custom" ? { schedule_s: list(v.schedule).map(Number) } : v.retry === "default" ? null : v.retry,
    rate_limit_per_s: num(v.rate_limit_per_s),
    max_in_flight: num(v.max_in_flight),
    timeout_ms: num(v.timeout_ms) ?? 15000,
    signature:
      v.signature_scheme === "default"
        ? null
        : v.signature_scheme === "standard"
          ? { scheme: "standard" }
          : { scheme: "hmac-sha256-hex", header: v.signature_header, prefix: v.signature_prefix },
    envelope: v.envelope,
    metadata: metadataInput(v.metadata, issues),
    propagate_traceparent: !v.omit_traceparent,
  };
  const auth = authInput(v, stored.auth);
  if (auth !== undefined) candidate.auth = auth;
  const headers = headersInput(v, stored.headers, issues);
  if (headers !== undefined) candidate.headers = headers;
  // Every problem at once: the schema checks the rest even when the form's own reading found some
  // (what it could not read went in left out: bad JSON as no filter, a half header row as no row).
  // The schema refuses a filter nested deeper than the API allows (so nothing below recurses on one).
  const parsed = schema.safeParse(candidate, { error: friendlyError });
  if (!parsed.success) issues.push(...zodIssues(parsed.error));
  if (!parsed.success || issues.length) return { ok: false, issues };
  const tooLarge = sizeIssue(candidate);
  if (tooLarge) return { ok: false, issues: [tooLarge] };
  return { ok: true, input: parsed.data as z.infer<S> };
}

/**
 * The API refuses an endpoint body over SMALL_BODY_BYTES before its schema runs; the form's input
 * meets the same bound, counted on the same JSON, blamed on the field that weighs most.
 */
function sizeIssue(candidate: Record<string, unknown>): ErrorIssue | null {
  const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;
  if (bytes(candidate) <= SMALL_BODY_BYTES) return null;
  const [heaviest] = Object.entries(candidate).sort((a, b) => bytes(b[1]) - bytes(a[1]));
  return {
    path: heaviest![0],
    message: `the endpoint is larger than ${SMALL_BODY_BYTES / 1024} KiB as JSON (the API's limit on a request body)`,
  };
}
