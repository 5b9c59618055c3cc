/** A tiny cookie-keeping browser for the portal's server-side tests (SELF.fetch, no redirects followed). */
import { createExecutionContext, SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { api } from "./api";

type Fetcher = (request: Request) => Promise<Response>;

/** The real Worker with some vars changed (PORTAL_FRAME_ANCESTORS, branding...): same bindings, same D1. */
export function workerWith(vars: Partial<Record<keyof Env, string>>): Fetcher {
  return (request) => Promise.resolve(worker.fetch(request, { ...env, ...vars } as Env, createExecutionContext()));
}

export interface Page {
  status: number;
  html: string;
  headers: Headers;
}

export class PortalClient {
  cookie = "";
  constructor(
    readonly origin = "http://edgehooks.test",
    readonly fetcher: Fetcher = (request) => SELF.fetch(request),
  ) {}

  static async open(
    tenant: string,
    opts: { read_only?: boolean; expires_in_s?: number } = {},
    client = new PortalClient(),
  ) {
    const session = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: opts })).body;
    const login = await client.follow(PortalClient.linkPath(session.url));
    return { client, session, login };
  }

  /**
   * Opens a portal link as a person does: the GET answers a page naming the tenant, and its
   * button posts the code from the portal's own origin. Answers the POST's answer (303 with the
   * cookie), or the GET's when it showed no form (a refusal, or a reload that is already in).
   */
  async follow(path: string, headers: Record<string, string> = {}): Promise<Page> {
    const page = await this.get(path, headers);
    const code = /name="code" value="([^"]+)"/.exec(page.html)?.[1];
    if (page.status !== 200 || !code) return page;
    return this.post("/portal/login", { code }, { ...headers, "sec-fetch-site": "same-origin" });
  }

  /** The path and query of a portal link (the client has its own origin). */
  static linkPath(url: string) {
    return new URL(url).pathname + new URL(url).search;
  }

  private async send(
    method: string,
    path: string,
    body?: URLSearchParams,
    headers: Record<string, string> = {},
  ): Promise<Page> {
    const res = await this.fetcher(
      new Request(`${this.origin}${path}`, {
        method,
        redirect: "manual",
        headers: {
          ...(this.cookie ? { cookie: this.cookie } : {}),
          ...(body ? { "content-type": "application/x-www-form-urlencoded", origin: this.origin } : {}),
          ...headers,
        },
        body,
      }),
    );
    const set = res.headers.get("set-cookie");
    if (set) {
      const [pair] = set.split(";");
      this.cookie = /=\s*$/.test(pair!) || /max-age=0/i.test(set) ? "" : pair!;
    }
    return { status: res.status, html: await res.text(), headers: res.headers };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.send("GET", path, undefined, headers);
  }

  post(path: string, fields: Record<string, string | string[]>, headers?: Record<string, string>) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    return this.send("POST", path, body, headers);
  }

  /** The CSRF token the portal put in its forms on a page. */
  static csrfOf(html: string): string {
    const m = /name="_csrf" value="([0-9a-f]+)"/.exec(html);
    if (!m) throw new Error("no CSRF token on the page");
    return m[1]!;
  }
}

/** Every field of the form, as a browser would submit it for a new endpoint. */
export function createFields(csrf: string, url: string, extra: Record<string, string | string[]> = {}) {
  return {
    _csrf: csrf,
    url,
    description: "form test",
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
    header_name_0: "",
    header_value_0: "",
    header_name_1: "",
    header_value_1: "",
    signature_scheme: "default",
    signature_header: "",
    signature_prefix: "",
    envelope: "standard",
    metadata: "",
    ...extra,
  };
}
