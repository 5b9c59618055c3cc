// The portal in a real browser (Debian Chromium through playwright-core), end to end.
// Run by scripts/browser-test.mjs, which starts the service and a receiver.
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"];

async function until(check, ms = 15_000, what = "condition") {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function run({ base, rootKey, receiverBase, received, shots }) {
  const api = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${rootKey}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  const tenant = `org_browser_${Date.now().toString(36)}`;
  const other = `org_other_${Date.now().toString(36)}`;
  await api("POST", "/v1/tenants", { id: tenant, name: "Browser Co" });
  await api("POST", "/v1/tenants", { id: other, name: "Other Co" });
  await api("POST", "/v1/event-types", { name: "invoice.paid", description: "An invoice was paid", example: { invoice_id: "inv_1", total: 1200 } });
  const otherEndpoint = (await api("POST", `/v1/tenants/${other}/endpoints`, { url: `${receiverBase}/other` })).body;
  const session = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, {})).body;

  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const results = { passed: 0, failed: 0 };
  const state = {};
  const step = async (name, fn) => {
    if (results.failed) return;
    try {
      await fn();
      results.passed++;
      console.log(`  ✓ ${name}`);
    } catch (err) {
      results.failed++;
      console.log(`  ✗ ${name}\n    ${String(err?.stack ?? err).split("\n").slice(0, 4).join("\n    ")}`);
      await page.screenshot({ path: `${shots}/failure.png`, fullPage: true }).catch(() => {});
    }
  };

  await step("the magic link opens the portal and the token leaves the address bar", async () => {
    await page.goto(session.url);
    assert.equal(new URL(page.url()).pathname, "/portal");
    assert.ok(!page.url().includes("ps_tok_"));
    await page.getByRole("heading", { name: "Endpoints" }).waitFor();
    const cookies = await context.cookies();
    const cookie = cookies.find((c) => c.name === "eh_portal");
    assert.ok(cookie?.httpOnly && cookie.secure && cookie.sameSite === "Strict");
  });

  await step("validation errors are shown next to the field", async () => {
    await page.getByRole("link", { name: "Add endpoint" }).click();
    await page.getByLabel("URL").fill("not a url at all");
    await page.getByLabel("Timeout (ms)").fill("5");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.locator("#url-error").waitFor();
    await page.locator("#timeout_ms-error").waitFor();
    assert.equal(await page.getByLabel("URL").getAttribute("aria-invalid"), "true");
  });

  await step("create an endpoint pointing at the receiver and see the secret once", async () => {
    await page.getByLabel("URL").fill(`${receiverBase}/hooks`);
    await page.getByLabel("Timeout (ms)").fill("15000");
    await page.getByLabel("Description").fill("Billing webhooks");
    await page.getByRole("checkbox", { name: "invoice.paid" }).check();
    await page.getByRole("button", { name: "Create endpoint" }).click();
    const secret = (await page.locator("#secret").textContent()).trim();
    assert.match(secret, /^whsec_/);
    state.secret = secret;
    await page.screenshot({ path: `${shots}/secret-once.png`, fullPage: true });
    await page.getByRole("link", { name: "Continue to the endpoint" }).click();
    state.endpointUrl = page.url();
    await page.reload();
    assert.ok(!(await page.content()).includes(secret), "secret shown again");
    await page.screenshot({ path: `${shots}/endpoint-detail.png`, fullPage: true });
  });

  await step("send a test event: it arrives at the receiver and its result shows on the page", async () => {
    const before = received.length;
    await page.getByRole("button", { name: "Send test event" }).click();
    await page.getByText("Test event sent").waitFor();
    assert.ok((await page.content()).includes("HTTP 200"));
    const got = await until(() => received.slice(before).find((r) => r.path === "/hooks"), 5000, "test delivery");
    assert.equal(JSON.parse(got.body).type, "webhook.test");
    await page.screenshot({ path: `${shots}/test-result.png`, fullPage: true });
  });

  await step("the endpoints list shows the endpoint with its status", async () => {
    await page.getByRole("link", { name: "Endpoints" }).click();
    await page.getByText(`${receiverBase}/hooks`).waitFor();
    await page.screenshot({ path: `${shots}/endpoints.png`, fullPage: true });
  });

  await step("a failing delivery appears in the log, and Retry now delivers it", async () => {
    const ep = (await api("POST", `/v1/tenants/${tenant}/endpoints`, { url: `${receiverBase}/fail-once/a`, event_types: ["order.*"], retry_policy: { schedule_s: [3600] } })).body;
    const ev = (await api("POST", `/v1/tenants/${tenant}/events`, { type: "order.created", data: { order: 7 } })).body;
    await until(async () => {
      await page.goto(`${base}/portal/deliveries?endpoint_id=${ep.id}`);
      return (await page.locator("tbody").allTextContents()).join(" ").includes("pending retry");
    }, 20_000, "the failed delivery in the log");
    await page.screenshot({ path: `${shots}/delivery-log.png`, fullPage: true });
    await page.getByRole("link", { name: "order.created" }).click();
    await page.getByText("HTTP 500").first().waitFor();
    await page.getByRole("button", { name: "Retry now" }).click();
    await page.getByText("Retried now").waitFor();
    assert.equal((await page.locator(".kv .badge").first().textContent())?.trim(), "succeeded");
    await page.screenshot({ path: `${shots}/delivery-detail.png`, fullPage: true });
    const deliveries = (await api("GET", `/v1/tenants/${tenant}/events/${ev.id}/deliveries`)).body.data;
    assert.equal(deliveries[0].status, "succeeded");
  });

  await step("filters narrow the log", async () => {
    await page.goto(`${base}/portal/deliveries`);
    await page.getByLabel("Status").selectOption("succeeded");
    await page.getByRole("button", { name: "Filter" }).click();
    assert.ok(page.url().includes("status=succeeded"));
    const rows = (await page.locator("tbody").textContent()) ?? "";
    assert.ok(rows.includes("succeeded"));
    assert.ok(!rows.includes("pending retry"));
  });

  await step("another tenant's ids give 404", async () => {
    const res = await page.goto(`${base}/portal/endpoints/${otherEndpoint.id}`);
    assert.equal(res.status(), 404);
  });

  await step("the layout works on a phone", async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(state.endpointUrl);
    await phone.getByRole("button", { name: "Send test event" }).waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(overflow, false, "page scrolls sideways on a phone");
    await phone.screenshot({ path: `${shots}/phone-endpoint.png`, fullPage: true });
    await phone.goto(`${base}/portal/deliveries`);
    await phone.screenshot({ path: `${shots}/phone-deliveries.png`, fullPage: true });
    await phone.close();
  });

  await step("a read-only session sees everything and can change nothing", async () => {
    const ro = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { read_only: true })).body;
    const roContext = await browser.newContext();
    const roPage = await roContext.newPage();
    await roPage.goto(ro.url);
    await roPage.getByText(`${receiverBase}/hooks`).waitFor();
    assert.equal(await roPage.locator("form[method=post]").count(), 0);
    assert.equal(await roPage.getByRole("link", { name: "Add endpoint" }).count(), 0);
    await roPage.goto(state.endpointUrl);
    assert.equal(await roPage.locator("form[method=post]").count(), 0);
    await roPage.screenshot({ path: `${shots}/read-only.png`, fullPage: true });
    // The page's CSP forbids scripts from posting, so replay the form post with the session's cookie.
    const cookie = (await roContext.cookies()).find((c) => c.name === "eh_portal");
    assert.ok(cookie, "read-only session cookie");
    const replay = await fetch(`${state.endpointUrl}/disable`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: `eh_portal=${cookie.value}`, origin: base, "content-type": "application/x-www-form-urlencoded" },
      body: "_csrf=0000",
    });
    const status = replay.status;
    assert.equal(status, 403);
    await roContext.close();
  });

  await step("keyboard: the form can be filled and submitted without a mouse", async () => {
    await page.goto(`${base}/portal/endpoints/new`);
    await page.getByLabel("URL").focus();
    await page.keyboard.type(`${receiverBase}/keyboard`);
    await page.keyboard.press("Tab");
    await page.keyboard.type("typed by keyboard");
    await page.keyboard.press("Enter");
    await page.locator("#secret").waitFor();
  });

  await browser.close();
  return results;
}
