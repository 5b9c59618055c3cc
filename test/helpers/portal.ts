/** A tiny cookie-keeping browser for the portal's server-side tests (SELF.fetch, no redirects followed). */
import { SELF } from "cloudflare:test";
import { api } from "./api";

export interface Page {
  status: number;
  html: string;
  headers: Headers;
}

export class PortalClient {
  cookie = "";
  constructor(readonly origin = "http://edgehooks.test") {}

  static async open(tenant: string, opts: { read_only?: boolean; expires_in_s?: number } = {}) {
    const session = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: opts })).body;
    const client = new PortalClient();
    const login = await client.get(new URL(session.url).pathname + new URL(session.url).search);
    return { client, session, login };
  }

  private async send(method: string, path: string, body?: URLSearchParams, headers: Record<string, string> = {}): Promise<Page> {
    const res = await SELF.fetch(`${this.origin}${path}`, {
      method,
      redirect: "manual",
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...(body ? { "content-type": "application/x-www-form-urlencoded", origin: this.origin } : {}), ...headers },
      body,
    });
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
