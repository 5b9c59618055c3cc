/** @jsxImportSource hono/jsx */
/**
 * The endpoint's signing secret in the portal: see it again (where the deployment allows and the
 * session is not read-only), rotate it with a grace period, and the commit step, explained in a
 * customer's words. Same verbs as the API (GET .../secret, rotate-secret, rotate-secret/commit).
 * The secret is only ever rendered in the answer to a POST (with the CSRF check), never in a URL.
 */
import type { Context, Hono } from "hono";
import type { EndpointRow } from "../../attempts/endpoint-snapshot";
import { idPathParam } from "../../db/ids";
import type { SignatureProfile } from "../../delivery/sign";
import { ApiError, type ErrorIssue } from "../../errors";
import { commitRotation, revealSecret, rotateSecret, secretStatus } from "../../services/endpoint-secrets";
import { getEndpoint } from "../../services/endpoints";
import { Notice, PostButton, page } from "../pages/layout";
import type { PortalEnv } from "../session";

const ID = idPathParam("ep");

/** The grace periods offered, in words; the API takes any 0..604800 s. */
const GRACE_CHOICES: [string, string][] = [
  ["3600", "1 hour"],
  ["86400", "24 hours (recommended)"],
  ["604800", "7 days"],
  ["0", "No overlap: the old secret stops at once"],
];

type Status = Awaited<ReturnType<typeof secretStatus>>;

const when = (ms: number | null) =>
  ms === null ? null : new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";

function vendorHeader(row: EndpointRow): string | null {
  const sig = row.signature as SignatureProfile | null;
  return sig && sig.scheme === "hmac-sha256-hex" ? sig.header : null;
}

function StatusCard(props: { row: EndpointRow; status: Status }) {
  const { row, status } = props;
  const header = vendorHeader(row);
  return (
    <div class="card">
      <p>
        Every request to <code>{row.url}</code> is signed with this endpoint's secret, so your receiver can check it
        really comes from us.
        {header ? (
          <>
            {" "}
            The signature is in the <code>{header}</code> header (and, in the Standard Webhooks format, in{" "}
            <code>webhook-signature</code>).
          </>
        ) : (
          <>
            {" "}
            The signature is in the <code>webhook-signature</code> header (Standard Webhooks).
          </>
        )}
      </p>
      {status.liveSecrets > 1 ? (
        <Notice kind="info">
          <strong>A rotation is in progress.</strong> {status.liveSecrets} secrets are valid right now; the older ones
          stop working at {when(status.previousExpireAt)}.
          {status.pendingCommit && header ? (
            <>
              {" "}
              The <code>{header}</code> header is <strong>still signed with your previous secret</strong>, so your
              receiver keeps working. Once your receiver uses the new secret, press “My receiver uses the new secret”
              below: from then on that header is signed with the new one. If you do nothing, it switches by itself at{" "}
              {when(status.previousExpireAt)}.
            </>
          ) : null}
        </Notice>
      ) : null}
    </div>
  );
}

function SecretPage(props: {
  row: EndpointRow;
  status: Status;
  csrf: string;
  readOnly: boolean;
  revealAllowed: boolean;
  issues?: ErrorIssue[];
  values?: { grace: string; secret: string };
}) {
  const { row, status, csrf } = props;
  const base = `/portal/endpoints/${row.id}/secret`;
  const header = vendorHeader(row);
  const secretError = props.issues
    ?.filter((i) => i.path === "secret")
    .map((i) => i.message)
    .join("; ");
  const grace = props.values?.grace ?? "86400";
  return (
    <>
      <StatusCard row={row} status={status} />
      {props.readOnly ? (
        <p class="muted">This session is read-only: it cannot show or change the secret.</p>
      ) : (
        <>
          <h2>See the current secret</h2>
          <div class="card">
            {props.revealAllowed ? (
              <>
                <p>
                  Shows the secret on the next page. Anyone who sees it can sign requests as us: keep it out of
                  screenshots and chat.
                </p>
                <PostButton action={`${base}/reveal`} csrf={csrf} label="Show secret" variant="secondary" />
              </>
            ) : (
              <p class="muted">
                This service does not show secrets again after they are created. If you lost it, rotate it below.
              </p>
            )}
          </div>
          {status.pendingCommit && header ? (
            <>
              <h2>Finish the rotation</h2>
              <div class="card">
                <p>
                  Press this once your receiver checks <code>{header}</code> with the new secret. The previous secret
                  keeps signing <code>webhook-signature</code> until {when(status.previousExpireAt)}.
                </p>
                <PostButton action={`${base}/commit`} csrf={csrf} label="My receiver uses the new secret" />
              </div>
            </>
          ) : null}
          <h2>Rotate the secret</h2>
          <form class="card stack" method="post" action={`${base}/rotate`}>
            <input type="hidden" name="_csrf" value={csrf} />
            <p>
              A new secret starts signing at once. During the overlap below the old secret keeps working too, so you can
              update your receiver without missing a request.
              {header ? (
                <>
                  {" "}
                  Because <code>{header}</code> holds a single signature, it stays on the old secret until you confirm
                  your receiver has the new one (or the overlap ends).
                </>
              ) : (
                " Each request carries a signature for every valid secret during the overlap."
              )}
            </p>
            <div>
              <label for="grace">Keep the old secret working for</label>
              <select id="grace" name="grace">
                {GRACE_CHOICES.map(([value, label]) => (
                  <option value={value} selected={value === grace}>
                    {label}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="own-secret">
                New secret{" "}
                <span class="hint">
                  — leave empty for a new random one; or paste your own (
                  {header ? "16 to 256 printable characters" : "whsec_ followed by base64"})
                </span>
              </label>
              <input
                type="text"
                id="own-secret"
                name="secret"
                autocomplete="off"
                spellcheck={false}
                value={props.values?.secret ?? ""}
                aria-invalid={secretError ? "true" : undefined}
                aria-describedby={secretError ? "own-secret-error" : undefined}
              />
              {secretError ? (
                <div class="field-error" id="own-secret-error">
                  {secretError}
                </div>
              ) : null}
            </div>
            <div>
              <button type="submit">Rotate secret</button>
            </div>
          </form>
        </>
      )}
      <p>
        <a href={`/portal/endpoints/${row.id}`}>Back to the endpoint</a>
      </p>
    </>
  );
}

function ShownSecret(props: { secret: string; row: EndpointRow; rotated: boolean; status: Status }) {
  const header = vendorHeader(props.row);
  return (
    <Notice kind="ok">
      <strong>{props.rotated ? "New secret created." : "Current signing secret."}</strong>{" "}
      {props.rotated ? "Copy it into your receiver now." : ""}
      <code class="secret" id="secret">
        {props.secret}
      </code>
      {props.rotated && props.status.pendingCommit && header ? (
        <p>
          Your <code>{header}</code> header is still signed with the previous secret. When your receiver uses this new
          one, come back to the secret page and press “My receiver uses the new secret”.
        </p>
      ) : null}
      <a href={`/portal/endpoints/${props.row.id}/secret`}>Back to the secret page</a>
    </Notice>
  );
}

async function load(c: Context<PortalEnv, any>) {
  const ctx = c.var.services;
  const row = await getEndpoint(ctx, c.get("session").tenantId, c.req.param("id") ?? "");
  return { ctx, row, status: await secretStatus(ctx, row) };
}

export function registerPortalSecret(portal: Hono<PortalEnv>) {
  const title = { title: "Signing secret", current: "endpoints" as const };

  portal.get(`/endpoints/${ID}/secret`, async (c) => {
    const { ctx, row, status } = await load(c);
    return page(
      c,
      title,
      <>
        {c.req.query("committed") === "1" ? (
          <Notice kind="ok">Done: every header is now signed with the new secret.</Notice>
        ) : null}
        <SecretPage
          row={row}
          status={status}
          csrf={c.get("csrf")}
          readOnly={c.get("session").readOnly}
          revealAllowed={ctx.config.secretReveal}
        />
      </>,
    );
  });

  portal.post(`/endpoints/${ID}/secret/reveal`, async (c) => {
    const { ctx, row, status } = await load(c);
    const { secret } = await revealSecret(ctx, row.tenantId, row.id);
    return page(c, title, <ShownSecret secret={secret} row={row} rotated={false} status={status} />);
  });

  portal.post(`/endpoints/${ID}/secret/rotate`, async (c) => {
    const { ctx, row, status } = await load(c);
    const body = await c.req.parseBody();
    const graceText = String(body.grace ?? "86400");
    const own = String(body.secret ?? "").trim();
    const values = { grace: graceText, secret: own };
    const grace = Number(graceText);
    const render = (issues: ErrorIssue[]) =>
      page(
        c,
        title,
        <SecretPage
          row={row}
          status={status}
          csrf={c.get("csrf")}
          readOnly={false}
          revealAllowed={ctx.config.secretReveal}
          issues={issues}
          values={values}
        />,
        400,
      );
    if (!GRACE_CHOICES.some(([v]) => v === graceText))
      return render([{ path: "grace", message: "pick one of the offered periods" }]);
    try {
      const result = await rotateSecret(ctx, row.tenantId, row.id, {
        grace_period_s: grace,
        ...(own ? { secret: own } : {}),
      });
      const after = await secretStatus(ctx, result.row);
      return page(
        c,
        { ...title, title: "Secret rotated" },
        <ShownSecret secret={result.secret} row={result.row} rotated status={after} />,
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 400)
        return render(err.issues ?? [{ path: "secret", message: err.message }]);
      throw err;
    }
  });

  portal.post(`/endpoints/${ID}/secret/commit`, async (c) => {
    const ctx = c.var.services;
    await commitRotation(ctx, c.get("session").tenantId, c.req.param("id"));
    return c.redirect(`/portal/endpoints/${c.req.param("id")}/secret?committed=1`, 303);
  });
}
