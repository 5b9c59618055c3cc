// What every browser spec needs: Chromium's flags, a polling wait, the API as the root key, and
// steps that stop at the first failure and keep a screenshot of it.
import { chromium } from "playwright-core";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

/** Debian's Chromium, headless, with a 1280 × 900 page. */
export async function openBrowser() {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  return { browser, context, page: await context.newPage() };
}

/** Polls `check` every 200 ms until it answers something truthy, or throws after `ms`. */
export async function until(check, ms = 15_000, what = "condition") {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The service's API with the root key: answers `{ status, body }`. */
export function apiAs(base, rootKey) {
  return async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${rootKey}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
}

/**
 * Named steps counted into `results`: after the first failure the rest are skipped, and the page
 * is kept as `failureShot`.
 */
export function stepper(page, failureShot) {
  const results = { passed: 0, failed: 0 };
  const step = async (name, fn) => {
    if (results.failed) return;
    try {
      await fn();
      results.passed++;
      console.log(`  ✓ ${name}`);
    } catch (err) {
      results.failed++;
      console.log(
        `  ✗ ${name}\n    ${String(err?.stack ?? err)
          .split("\n")
          .slice(0, 4)
          .join("\n    ")}`,
      );
      await page.screenshot({ path: failureShot, fullPage: true }).catch(() => {});
    }
  };
  return { results, step };
}
