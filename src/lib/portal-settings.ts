/**
 * The portal's embedding and branding settings, parsed from the environment once per distinct
 * value: `PORTAL_FRAME_ANCESTORS` (space-separated origins allowed to frame the portal),
 * `PORTAL_BRAND_NAME`, `PORTAL_LOGO_URL` and `PORTAL_ACCENT_COLOR`. Every value ends up in a
 * header (CSP) or in HTML/CSS, so each is held to a strict shape here and anything else is
 * dropped (logged as `config.invalid`) instead of being passed on: a bad origin cannot widen the
 * CSP, a color cannot carry CSS, a logo URL cannot be `javascript:` or `data:`.
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

export const DEFAULT_BRAND_NAME = "Webhooks";
export const DEFAULT_ACCENT = "#2457d6";
const MAX_ORIGINS = 20;
const MAX_BRAND_NAME = 60;

type PortalVars = Pick<Env, "PORTAL_FRAME_ANCESTORS" | "PORTAL_BRAND_NAME" | "PORTAL_LOGO_URL" | "PORTAL_ACCENT_COLOR">;

/** scheme://host[:port], the host a DNS name (optionally `*.` for subdomains) or a bracketed IPv6. */
const ORIGIN = /^(https?):\/\/(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

/** One frame-ancestors origin, normalised (lower case, no trailing slash), or the reason it is refused. */
export function parseFrameOrigin(raw: string, allowHttp: boolean): { ok: true; origin: string } | { ok: false; reason: string } {
  const text = raw.trim().toLowerCase().replace(/\/$/, "");
  const m = ORIGIN.exec(text);
  if (!m) return { ok: false, reason: "not an origin (scheme://host[:port], no path)" };
  if (m[1] === "http" && !allowHttp) return { ok: false, reason: "https only (http is for local development)" };
  if (m[4] !== undefined && (Number(m[4]) < 1 || Number(m[4]) > 65535)) return { ok: false, reason: "port out of range" };
  if (!URL.canParse(text.replace("*.", "x."))) return { ok: false, reason: "not a valid URL" };
  return { ok: true, origin: text };
}

export function parseLogoUrl(raw: string, allowHttp: boolean): { ok: true; url: string } | { ok: false; reason: string } {
  const text = raw.trim();
  if (text.length > 2048 || !URL.canParse(text)) return { ok: false, reason: "not a URL" };
  const url = new URL(text);
  if (url.protocol !== "https:" && !(allowHttp && url.protocol === "http:")) return { ok: false, reason: "https only (http is for local development)" };
  if (url.username || url.password) return { ok: false, reason: "no credentials in the URL" };
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

export function parsePortalSettings(vars: PortalVars, allowHttp: boolean): { settings: PortalSettings; issues: { name: string; message: string }[] } {
  const issues: { name: string; message: string }[] = [];
  const frameAncestors: string[] = [];
  for (const token of (vars.PORTAL_FRAME_ANCESTORS ?? "").split(/\s+/).filter(Boolean)) {
    const parsed = parseFrameOrigin(token, allowHttp);
    if (!parsed.ok) issues.push({ name: "PORTAL_FRAME_ANCESTORS", message: `${JSON.stringify(token.slice(0, 100))} ignored: ${parsed.reason}` });
    else if (frameAncestors.length >= MAX_ORIGINS)
      issues.push({ name: "PORTAL_FRAME_ANCESTORS", message: `more than ${MAX_ORIGINS} origins; the rest are ignored` });
    else if (!frameAncestors.includes(parsed.origin)) frameAncestors.push(parsed.origin);
  }
  let brandName = (vars.PORTAL_BRAND_NAME ?? "").trim();
  // Control characters never belong in a title; length keeps the header on one line.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(brandName) || brandName.length > MAX_BRAND_NAME) {
    issues.push({ name: "PORTAL_BRAND_NAME", message: `must be 1..${MAX_BRAND_NAME} printable characters; using the default` });
    brandName = "";
  }
  let logoUrl: string | null = null;
  if (vars.PORTAL_LOGO_URL?.trim()) {
    const parsed = parseLogoUrl(vars.PORTAL_LOGO_URL, allowHttp);
    if (parsed.ok) logoUrl = parsed.url;
    else issues.push({ name: "PORTAL_LOGO_URL", message: `ignored: ${parsed.reason}` });
  }
  let accentColor = DEFAULT_ACCENT;
  if (vars.PORTAL_ACCENT_COLOR?.trim()) {
    const parsed = parseAccentColor(vars.PORTAL_ACCENT_COLOR);
    if (parsed) accentColor = parsed;
    else issues.push({ name: "PORTAL_ACCENT_COLOR", message: "must be #rgb or #rrggbb; using the default" });
  }
  return { settings: { frameAncestors, brandName: brandName || DEFAULT_BRAND_NAME, logoUrl, accentColor, accentText: readableTextOn(accentColor) }, issues };
}

const cache = new Map<string, PortalSettings>();

/** Parsed once per isolate and distinct value; each problem is logged once, not per request. */
export function portalSettings(vars: PortalVars, allowHttp: boolean): PortalSettings {
  const key = JSON.stringify([vars.PORTAL_FRAME_ANCESTORS, vars.PORTAL_BRAND_NAME, vars.PORTAL_LOGO_URL, vars.PORTAL_ACCENT_COLOR, allowHttp]);
  let found = cache.get(key);
  if (!found) {
    const { settings, issues } = parsePortalSettings(vars, allowHttp);
    for (const issue of issues) log.error("config.invalid", issue);
    found = settings;
    cache.set(key, found);
  }
  return found;
}
