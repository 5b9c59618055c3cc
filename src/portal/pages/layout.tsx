/** @jsxImportSource hono/jsx */
/**
 * The portal's page frame: one stylesheet inline (no CDN, no build), a nav, and a live region;
 * `page()` answers a signed-in page in it. Routes import it from here, not from the portal's
 * index, so no route imports the module that registers it.
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { PortalSettings } from "../../lib/portal-settings";
import type { PortalEnv } from "../session";

const CSS = `
:root { --fg:#1b1f24; --muted:#5b6470; --line:#d9dee5; --bg:#f6f7f9; --card:#fff; --accent:#2457d6; --ok:#137a3a; --bad:#b42318; --warn:#9a6700; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #8fb0ff; outline-offset: 2px; }
header { background:#10151c; color:#fff; padding: .75rem 1rem; display:flex; gap:1rem; align-items:center; flex-wrap:wrap; }
header strong { font-size: 1.05rem; }
header nav { display:flex; gap:1rem; flex-wrap:wrap; }
header a { color:#d6e2ff; text-decoration:none; }
header a[aria-current="page"] { color:#fff; text-decoration: underline; }
header .who { margin-left:auto; color:#aab4c3; font-size:.85rem; display:flex; gap:.75rem; align-items:center; }
header .brand { display:flex; gap:.5rem; align-items:center; }
header .brand img { max-height:1.75rem; max-width:9rem; }
header form { margin:0; }
header button.link { background:none; border:0; padding:0; color:#d6e2ff; font-weight:400; text-decoration:underline; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:1rem; margin-bottom:1rem; }
table { width:100%; border-collapse: collapse; background:var(--card); }
th, td { text-align:left; padding:.5rem .6rem; border-bottom:1px solid var(--line); vertical-align: top; }
th { font-size:.8rem; text-transform:uppercase; letter-spacing:.03em; color:var(--muted); }
.table-wrap { overflow-x:auto; border:1px solid var(--line); border-radius:10px; }
/* anywhere, not break-all: a long id or URL still wraps, a short word in prose ("standard") stays whole. */
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size:.85em; overflow-wrap:anywhere; }
.badge { display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:.8rem; font-weight:600; border:1px solid transparent; }
.b-active, .b-succeeded, .b-2xx, .b-completed { background:#e3f5e9; color:var(--ok); }
.b-disabled, .b-failed, .b-cancelled, .b-5xx, .b-4xx, .b-none { background:#fde8e7; color:var(--bad); }
.b-pending, .b-pending_retry, .b-delivering, .b-running { background:#fff4d6; color:var(--warn); }
form.stack { display:grid; gap:.9rem; }
label { font-weight:600; display:block; margin-bottom:.25rem; }
.hint { color:var(--muted); font-size:.85rem; font-weight:400; }
input[type=text], input[type=url], input[type=number], input[type=password], input[type=datetime-local], select, textarea {
  width:100%; padding:.55rem .6rem; border:1px solid #b9c2ce; border-radius:8px; font: inherit; background:#fff; }
/* One height for text, date and select controls, so labels in one grid row line up (the log's filters). */
input[type=text], input[type=url], input[type=number], input[type=password], input[type=datetime-local], select { height:2.6rem; }
textarea { min-height: 6rem; font-family: ui-monospace, monospace; font-size:.85rem; }
.field-error { color: var(--bad); font-size:.85rem; margin-top:.25rem; }
[aria-invalid="true"] { border-color: var(--bad) !important; }
button, .button { display:inline-block; padding:.5rem .9rem; border-radius:8px; border:1px solid var(--accent); background:var(--accent); color:var(--accent-fg); font:inherit; font-weight:600; cursor:pointer; text-decoration:none; }
button.secondary, .button.secondary { background:#fff; color:var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
.actions { display:flex; gap:.5rem; flex-wrap:wrap; align-items:center; }
.actions form { margin:0; }
.checks { display:flex; flex-wrap:wrap; gap:.4rem 1rem; }
.checks label { font-weight:400; display:flex; gap:.35rem; align-items:center; margin:0; }
.notice { padding:.75rem 1rem; border-radius:10px; margin-bottom:1rem; border:1px solid; }
.notice.ok { background:#eefaf2; border-color:#b7e4c7; }
.notice.bad { background:#fdf0ef; border-color:#f4c7c3; }
.notice.info { background:#eef3ff; border-color:#c7d6fb; }
.secret { font-size:1rem; padding:.6rem; background:#10151c; color:#e8f0ff; border-radius:8px; display:block; margin:.5rem 0; }
dl.kv { display:grid; grid-template-columns: minmax(8rem, max-content) 1fr; gap:.35rem 1rem; margin:0; }
dl.kv dt { color:var(--muted); }
dl.kv dd { margin:0; }
pre { background:#f1f3f6; padding:.6rem; border-radius:8px; overflow-x:auto; font-size:.8rem; white-space:pre-wrap; word-break:break-all; }
/* 14rem: a datetime-local input and its picker icon fit without clipping (390 px screenshots). */
.filters { display:grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap:.6rem; align-items:end; }
.muted { color: var(--muted); }
.sandbox { background:#ffd84d; color:#10151c; font-size:.85rem; padding:.15rem .6rem; }
.sr-only { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
fieldset > .filters { margin-top:.6rem; }
/* A titled group of fields inside a card (the replay filter): the card's line, its legend a label. */
fieldset.group { border:1px solid var(--line); border-radius:8px; padding:.5rem .9rem .8rem; margin:0; min-width:0; }
fieldset.group > legend { font-weight:600; padding:0 .3rem; }
/* Two wide columns, tops aligned: a long option ("{ id, type, timestamp, data }") is not clipped, labels with hints line up. */
.pair { display:grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap:.6rem 1rem; align-items:start; margin-top:.6rem; }
.chart { margin:0; }
.chart figcaption { display:flex; flex-wrap:wrap; gap:.25rem 1rem; justify-content:space-between; font-size:.85rem; margin-bottom:.4rem; }
.chart svg { display:block; height:160px; background:#fbfcfd; border:1px solid var(--line); border-radius:6px; }
.chart .axis { display:flex; justify-content:space-between; font-size:.8rem; margin:.2rem 0 .5rem; }
.chart details table { font-size:.85rem; }
.legend .key { display:inline-block; width:.8rem; height:.8rem; border-radius:2px; vertical-align:-.1rem; }
.legend .key.line { height:.2rem; vertical-align:.2rem; }
nav.range { display:flex; gap:1rem; margin-bottom:.6rem; font-size:.9rem; }
nav.range a[aria-current] { font-weight:700; color:var(--fg); text-decoration:none; }
svg.spark { display:block; margin-bottom:.2rem; }
@media (max-width: 640px) {
  main { padding:.6rem; }
  th.opt, td.opt { display:none; }
  dl.kv { grid-template-columns: 1fr; }
  /* The custom-header rows stack on a phone: a name and a value box each the card's width, not 60 px. */
  table.stack-rows thead { display:none; }
  table.stack-rows tr, table.stack-rows td { display:block; }
  table.stack-rows td:empty { display:none; }
  table.stack-rows td { border-bottom:0; padding-bottom:.2rem; }
  table.stack-rows tr { border-bottom:1px solid var(--line); padding-bottom:.4rem; }
  table.stack-rows td[data-label]::before { content: attr(data-label); display:block; font-size:.8rem; color:var(--muted); }
}
`;

/** The brand: the configured logo and name (both escaped by JSX; the logo URL is https-only by config). */
/** Every portal page's <head>: the portal's own pages and the sign-in/message pages alike. */
export function PageHead(props: { title: string; brand: PortalSettings; css: string }) {
  // Both values passed the config's #rrggbb allow-list, so they cannot close the rule or the tag.
  const theme = `:root{--accent:${props.brand.accentColor};--accent-fg:${props.brand.accentText}}`;
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>
        {props.title} · {props.brand.brandName}
      </title>
      <style dangerouslySetInnerHTML={{ __html: props.css + theme }} />
    </head>
  );
}

export function BrandMark(props: { brand: PortalSettings }) {
  return (
    <span class="brand">
      {props.brand.logoUrl ? <img src={props.brand.logoUrl} alt="" /> : null}
      <strong>{props.brand.brandName}</strong>
    </span>
  );
}

function Layout(props: {
  title: string;
  tenantId: string;
  readOnly: boolean;
  sandbox?: boolean;
  current?: "endpoints" | "deliveries" | "replays";
  brand: PortalSettings;
  csrf: string;
  children: Child;
}) {
  return (
    <html lang="en">
      <PageHead title={props.title} brand={props.brand} css={CSS} />
      <body>
        <header>
          {/* The brand is the header's one name: "Webhooks" unless PORTAL_BRAND_NAME says otherwise. */}
          <BrandMark brand={props.brand} />
          {props.sandbox ? (
            <span class="badge sandbox" title="Test environment: http:// endpoint URLs are allowed here">
              Sandbox
            </span>
          ) : null}
          <nav aria-label="Portal">
            <a href="/portal" aria-current={props.current === "endpoints" ? "page" : undefined}>
              Endpoints
            </a>
            <a href="/portal/deliveries" aria-current={props.current === "deliveries" ? "page" : undefined}>
              Delivery log
            </a>
            {props.readOnly ? null : (
              <a href="/portal/replays" aria-current={props.current === "replays" ? "page" : undefined}>
                Replay
              </a>
            )}
          </nav>
          <span class="who">
            <span>
              {props.tenantId}
              {props.readOnly ? " · read-only" : ""}
            </span>
            <form method="post" action="/portal/logout">
              <input type="hidden" name="_csrf" value={props.csrf} />
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          </span>
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          <div aria-live="polite" id="live">
            {null}
          </div>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function Badge(props: { value: string }) {
  return <span class={`badge b-${props.value}`}>{props.value.replace("_", " ")}</span>;
}

export function Notice(props: { kind: "ok" | "bad" | "info"; children: Child }) {
  return (
    <div class={`notice ${props.kind}`} role={props.kind === "bad" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

/** A POST button in its own small form, with the CSRF token. */
export function PostButton(props: {
  action: string;
  csrf: string;
  label: string;
  variant?: "secondary" | "danger";
  fields?: Record<string, string>;
}) {
  return (
    <form method="post" action={props.action}>
      <input type="hidden" name="_csrf" value={props.csrf} />
      {Object.entries(props.fields ?? {}).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      <button type="submit" class={props.variant ?? ""}>
        {props.label}
      </button>
    </form>
  );
}

/** A signed-in page's title and the nav item it belongs to. */
export type PortalPage = { title: string; current?: "endpoints" | "deliveries" | "replays" };

export function page(c: Context<PortalEnv, any>, meta: PortalPage, body: unknown, status: 200 | 201 | 400 | 429 = 200) {
  const s = c.get("session");
  return c.html(
    <Layout
      title={meta.title}
      tenantId={s.tenantId}
      readOnly={s.readOnly}
      sandbox={c.get("sandbox") === true}
      current={meta.current}
      brand={c.get("config").portal}
      csrf={c.get("csrf")}
    >
      {body as never}
    </Layout>,
    status,
  );
}
