/**
 * The portal's embedding and branding settings, parsed from the environment once per distinct
 * value: `PORTAL_FRAME_ANCESTORS` (space-separated origins allowed to frame the portal),
 * `PORTAL_BRAND_NAME`, `PORTAL_LOGO_URL` and `PORTAL_ACCENT_COLOR`. Every value ends up in a
 * header (CSP) or in HTML/CSS, so each is held to a strict shape here: a bad origin cannot widen
 * the CSP, a color cannot carry CSS, a logo URL cannot be `javascript:` or `data:`.
 * The two that reach the CSP header (frame ancestors, the logo's origin) are `fatal` when bad:
 * the Worker refuses to start (src/config.ts) rather than serve a portal framed or branded other
 * than the operator meant. A bad name or color falls back to the default (logged as `config.invalid`).
 */
import { log } from "./log";

export interface PortalSettings {
  /** Origins that may frame the portal; empty = nobody (`frame-ancestors 'none'`). */
  frameAncestors: string[];
  brandName: string;
  logoUrl: string | null;
  /** `#rrggbb`, and the text color (black or white) readable on it. */
  accentColor: string;
  accentText: string;
}

const DEFAULT_BRAND_NAME = "Webhooks";
const DEFAULT_ACCENT = "#2457d6";
const MAX_ORIGINS = 20;
const MAX_BRAND_NAME = 60;

type PortalVars = Pick<Env, "PORTAL_FRAME_ANCESTORS" | "PORTAL_BRAND_NAME" | "PORTAL_LOGO_URL" | "PORTAL_ACCENT_COLOR">;

/** scheme://host[:port], the host a DNS name (optionally `*.` for subdomains) or a bracketed IPv6. */
const ORIGIN =
  /^(https?):\/\/(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

/** A host as it may appear in a CSP source: a DNS name, or a bracketed IPv6 (nothing else: no `;`, quotes, `*`, `,`). */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])$/;

/**
 * Suffixes under which anyone can get a name, so `*.` over them would let strangers frame the
 * portal: shared hosting platforms. The rule for a wildcard (`https://*.<domain>`): `<domain>`
 * is a DNS name of at least two labels, not an IP address, not one of these platforms (or under
 * them), and not a two-label country public suffix (`co.uk`, `com.au`: SECOND_LEVEL below a
 * two-letter code). A small explicit list, not the Public Suffix List: an operator on a platform
 * missing here names its origins exactly, and this list is where to add one.
 */
const SHARED_PLATFORMS = [
  "workers.dev",
  "pages.dev",
  "github.io",
  "gitlab.io",
  "vercel.app",
  "netlify.app",
  "herokuapp.com",
  "appspot.com",
  "web.app",
  "firebaseapp.com",
  "azurewebsites.net",
  "cloudfront.net",
  "amazonaws.com",
  "onrender.com",
  "fly.dev",
  "ngrok.io",
  "ngrok-free.app",
  "trycloudflare.com",
  "blogspot.com",
  "glitch.me",
  "repl.co",
];
const SECOND_LEVEL = new Set([
  "co",
  "com",
  "org",
  "net",
  "ac",
  "gov",
  "edu",
  "ne",
  "or",
  "go",
  "gob",
  "mil",
  "nic",
  "ltd",
  "plc",
]);

function wildcardRefusal(domain: string): string | null {
  const labels = domain.split(".");
  if (domain.startsWith("[") || labels.every((l) => /^\d+$/.test(l)))
    return "a wildcard needs a domain name, not an IP address";
  if (labels.length < 2) return "a wildcard over a top-level domain (a public suffix) is refused";
  if (SHARED_PLATFORMS.some((p) => domain === p || domain.endsWith(`.${p}`)))
    return "a wildcard over a shared platform (anyone can host there) is refused";
  if (labels.length === 2 && labels[1]!.length === 2 && SECOND_LEVEL.has(labels[0]!))
    return "a wildcard over a public suffix is refused";
  return null;
}

/** One frame-ancestors origin, normalised (lower case, no trailing slash), or the reason it is refused. */
export function parseFrameOrigin(
  raw: string,
  allowHttp: boolean,
): { ok: true; origin: string } | { ok: false; reason: string } {
  const text = raw.trim().toLowerCase().replace(/\/$/, "");
  const m = ORIGIN.exec(text);
  if (!m)
    return {
      ok: false,
      reason: "not an origin (scheme://host[:port], no path; a wildcard only as the leftmost label)",
    };
  if (m[1] === "http" && !allowHttp) return { ok: false, reason: "https only (http is for local development)" };
  if (m[4] !== undefined && (Number(m[4]) < 1 || Number(m[4]) > 65535))
    return { ok: false, reason: "port out of range" };
  if (m[2]) {
    const refused = wildcardRefusal(m[3]!);
    if (refused) return { ok: false, reason: refused };
  }
  if (!URL.canParse(text.replace("*.", "x."))) return { ok: false, reason: "not a valid URL" };
  return { ok: true, origin: text };
}

/** The logo's URL: its origin goes into the CSP's img-src, so its host is held to HOST. */
export function parseLogoUrl(
  raw: string,
  allowHttp: boolean,
): { ok: true; url: string } | { ok: false; reason: string } {
  const text = raw.trim();
  if (text.length > 2048 || !URL.canParse(text)) return { ok: false, reason: "not a URL" };
  const url = new URL(text);
  if (url.protocol !== "https:" && !(allowHttp && url.protocol === "http:"))
    return { ok: false, reason: "https only (http is for local development)" };
  if (url.username || url.password) return { ok: false, reason: "no credentials in the URL" };
  if (!HOST.test(url.hostname))
    return { ok: false, reason: "the host must be a plain DNS name or IP address (no ; , * quotes or spaces)" };
  return { ok: true, url: url.toString() };
}

/** Only `#rgb` or `#rrggbb`: the value is written into a stylesheet, so nothing else may pass. */
export function parseAccentColor(raw: string): string | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(raw.trim());
  if (!m) return null;
  const hex = m[1]!.length === 3 ? [...m[1]!].map((ch) => ch + ch).join("") : m[1]!;
  return `#${hex.toLowerCase()}`;
}

/** Black or white, whichever contrasts more with the color (WCAG relative luminance). */
export function readableTextOn(color: string): string {
  const channel = (i: number) => {
    const v = parseInt(color.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const lum = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  return (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) ? "#000000" : "#ffffff";
}

/** A problem with one variable; `fatal` ones (those that reach the CSP) keep the Worker from starting. */
interface SettingIssue {
  name: string;
  message: string;
  fatal?: true;
}

export function parsePortalSettings(
  vars: PortalVars,
  allowHttp: boolean,
): { settings: PortalSettings; issues: SettingIssue[] } {
  const issues: SettingIssue[] = [];
  const frameAncestors: string[] = [];
  for (const token of (vars.PORTAL_FRAME_ANCESTORS ?? "").split(/\s+/).filter(Boolean)) {
    const parsed = parseFrameOrigin(token, allowHttp);
    if (!parsed.ok)
      issues.push({
        name: "PORTAL_FRAME_ANCESTORS",
        message: `${JSON.stringify(token.slice(0, 100))} refused: ${parsed.reason}`,
        fatal: true,
      });
    else if (frameAncestors.length >= MAX_ORIGINS)
      issues.push({
        name: "PORTAL_FRAME_ANCESTORS",
        message: `more than ${MAX_ORIGINS} origins (the CSP header stays small)`,
        fatal: true,
      });
    else if (!frameAncestors.includes(parsed.origin)) frameAncestors.push(parsed.origin);
  }
  let brandName = (vars.PORTAL_BRAND_NAME ?? "").trim();
  // Control characters never belong in a title; length keeps the header on one line.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(brandName) || brandName.length > MAX_BRAND_NAME) {
    issues.push({
      name: "PORTAL_BRAND_NAME",
      message: `must be 1..${MAX_BRAND_NAME} printable characters; using the default`,
    });
    brandName = "";
  }
  let logoUrl: string | null = null;
  if (vars.PORTAL_LOGO_URL?.trim()) {
    const parsed = parseLogoUrl(vars.PORTAL_LOGO_URL, allowHttp);
    if (parsed.ok) logoUrl = parsed.url;
    else
      issues.push({
        name: "PORTAL_LOGO_URL",
        message: `${JSON.stringify(vars.PORTAL_LOGO_URL.trim().slice(0, 100))} refused: ${parsed.reason}`,
        fatal: true,
      });
  }
  let accentColor = DEFAULT_ACCENT;
  if (vars.PORTAL_ACCENT_COLOR?.trim()) {
    const parsed = parseAccentColor(vars.PORTAL_ACCENT_COLOR);
    if (parsed) accentColor = parsed;
    else issues.push({ name: "PORTAL_ACCENT_COLOR", message: "must be #rgb or #rrggbb; using the default" });
  }
  return {
    settings: {
      frameAncestors,
      brandName: brandName || DEFAULT_BRAND_NAME,
      logoUrl,
      accentColor,
      accentText: readableTextOn(accentColor),
    },
    issues,
  };
}

const cache = new Map<string, { settings: PortalSettings; fatal: SettingIssue[] }>();

/**
 * Parsed once per isolate and distinct value; each problem is logged once, not per request. The
 * fatal ones come back for the caller to refuse (src/config.ts).
 */
export function portalSettings(
  vars: PortalVars,
  allowHttp: boolean,
): { settings: PortalSettings; fatal: SettingIssue[] } {
  const key = JSON.stringify([
    vars.PORTAL_FRAME_ANCESTORS,
    vars.PORTAL_BRAND_NAME,
    vars.PORTAL_LOGO_URL,
    vars.PORTAL_ACCENT_COLOR,
    allowHttp,
  ]);
  let found = cache.get(key);
  if (!found) {
    const { settings, issues } = parsePortalSettings(vars, allowHttp);
    for (const issue of issues) log.error("config.invalid", { name: issue.name, message: issue.message });
    found = { settings, fatal: issues.filter((i) => i.fatal) };
    cache.set(key, found);
  }
  return found;
}
