/** @jsxImportSource hono/jsx */
/**
 * "Test a URL before saving it": one signed test request to a URL that is not an endpoint yet,
 * through the same verb as POST /v1/tenants/{t}/test-url (same destination checks). Shows the
 * answer and the secret it was signed with, so the customer can check their receiver first.
 */
import type { Hono } from "hono";
import { ApiError, type ErrorIssue } from "../../errors";
import { zodIssues } from "../../http/validation";
import { TestUrlInput } from "../../routes/endpoints/schema";
import { testUrl } from "../../services/test-url";
import { limitedNotice } from "../pages/action-limit";
import { AttemptResult } from "../pages/endpoints";
import { Notice, page } from "../pages/layout";
import type { PortalEnv } from "../session";

interface Values {
  url: string;
  scheme: string;
  header: string;
  secret: string;
}

const EMPTY: Values = { url: "", scheme: "standard", header: "X-Webhook-Signature", secret: "" };

function TestUrlForm(props: { csrf: string; values: Values; issues: ErrorIssue[] }) {
  const v = props.values;
  const err = (path: string) =>
    props.issues
      .filter((i) => i.path === path || i.path.startsWith(`${path}.`))
      .map((i) => i.message)
      .join("; ") || null;
  const field = (id: string, path: string, label: string, hint: string, input: unknown) => {
    const e = err(path);
    return (
      <div>
        <label for={id}>
          {label} <span class="hint">— {hint}</span>
        </label>
        {input}
        {e ? (
          <div class="field-error" id={`${id}-error`}>
            {e}
          </div>
        ) : null}
      </div>
    );
  };
  return (
    <form class="card stack" method="post" action="/portal/test-url">
      <input type="hidden" name="_csrf" value={props.csrf} />
      <p>
        Sends one signed <code>webhook.test</code> request to the address now and shows what it answered. Nothing is
        saved: add the endpoint afterwards.
      </p>
      {field(
        "url",
        "url",
        "URL",
        "where your receiver listens",
        <input type="url" id="url" name="url" required value={v.url} aria-invalid={err("url") ? "true" : undefined} />,
      )}
      {field(
        "scheme",
        "signature",
        "Signature format",
        "how your receiver checks requests",
        <select id="scheme" name="scheme">
          <option value="standard" selected={v.scheme === "standard"}>
            Standard Webhooks (webhook-signature header)
          </option>
          <option value="hmac-sha256-hex" selected={v.scheme === "hmac-sha256-hex"}>
            Hex HMAC-SHA256 of the body in a header of your choice
          </option>
        </select>,
      )}
      {field(
        "header",
        "signature.header",
        "Signature header",
        "only for the hex format",
        <input type="text" id="header" name="header" value={v.header} />,
      )}
      {field(
        "secret",
        "secret",
        "Secret",
        "leave empty for a fresh one; or paste the one your receiver already has",
        <input
          type="text"
          id="secret"
          name="secret"
          autocomplete="off"
          spellcheck={false}
          value={v.secret}
          aria-invalid={err("secret") ? "true" : undefined}
        />,
      )}
      <div>
        <button type="submit">Send test request</button>
      </div>
    </form>
  );
}

export function registerPortalTestUrl(portal: Hono<PortalEnv>) {
  const meta = { title: "Test a URL", current: "endpoints" as const };

  portal.get("/test-url", async (c) => {
    if (c.get("session").readOnly) throw new ApiError("forbidden", "this session is read-only");
    return page(c, meta, <TestUrlForm csrf={c.get("csrf")} values={EMPTY} issues={[]} />);
  });

  portal.post("/test-url", async (c) => {
    const body = await c.req.parseBody();
    const values: Values = {
      url: String(body.url ?? "").trim(),
      scheme: String(body.scheme ?? "standard"),
      header: String(body.header ?? "").trim(),
      secret: String(body.secret ?? "").trim(),
    };
    const form = (issues: ErrorIssue[]) =>
      page(c, meta, <TestUrlForm csrf={c.get("csrf")} values={values} issues={issues} />, 400);
    const parsed = TestUrlInput.safeParse({
      url: values.url,
      signature:
        values.scheme === "hmac-sha256-hex"
          ? { scheme: "hmac-sha256-hex", header: values.header, prefix: "" }
          : { scheme: "standard" },
      ...(values.secret ? { secret: values.secret } : {}),
    });
    if (!parsed.success) return form(zodIssues(parsed.error));
    try {
      const { result, secret } = await testUrl(c.var.services, c.get("session").tenantId, parsed.data);
      return page(
        c,
        meta,
        <>
          <AttemptResult
            title="Test request sent"
            attempt={{
              status_code: result.statusCode,
              duration_ms: result.durationMs,
              response_body: result.responseBody,
              error: result.error,
              error_detail: result.errorDetail,
            }}
          />
          <Notice kind="info">
            Signed with this secret{values.secret ? " (the one you gave)" : ""}:
            <code class="secret" id="secret">
              {secret}
            </code>
            To keep it, paste it into the “secret” of the endpoint you create through the API, or rotate to it from the
            endpoint's secret page.
          </Notice>
          <TestUrlForm csrf={c.get("csrf")} values={{ ...values, secret }} issues={[]} />
        </>,
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 400)
        return form(err.issues ?? [{ path: "url", message: err.message }]);
      const limited = limitedNotice(c, err);
      if (limited)
        return page(
          c,
          meta,
          <>
            {limited}
            <TestUrlForm csrf={c.get("csrf")} values={values} issues={[]} />
          </>,
          429,
        );
      throw err;
    }
  });
}
