// The portal in a real browser (Debian Chromium through playwright-core), end to end.
// Run by scripts/browser-test.mjs, which starts the service and a receiver.
import assert from "node:assert/strict";
import { apiAs, openBrowser, stepper, until } from "./kit.mjs";

/** Opens a portal link as a person does: the page naming the tenant, then its button. */
async function openLink(page, url) {
  await page.goto(url);
  await page.getByRole("button", { name: "Open the portal" }).click();
  await page.getByRole("heading", { name: "Endpoints" }).waitFor();
}

export async function run({ base, rootKey, receiverBase, received, shots, embedder, stranger }) {
  const api = apiAs(base, rootKey);
  const tenant = `org_browser_${Date.now().toString(36)}`;
  const other = `org_other_${Date.now().toString(36)}`;
  await api("POST", "/v1/tenants", { id: tenant, name: "Browser Co" });
  await api("POST", "/v1/tenants", { id: other, name: "Other Co" });
  await api("POST", "/v1/event-types", {
    name: "invoice.paid",
    description: "An invoice was paid",
    example: { invoice_id: "inv_1", total: 1200 },
  });
  const otherEndpoint = (await api("POST", `/v1/tenants/${other}/endpoints`, { url: `${receiverBase}/other` })).body;
  const session = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, {})).body;

  const { browser, context, page } = await openBrowser();
  const { results, step } = stepper(page, `${shots}/failure.png`);
  const state = {};

  await step("the link alone signs nobody in: it shows a page naming the tenant, and sets no cookie", async () => {
    assert.ok(
      session.url.includes("?code=ps_code_") && !session.url.includes(session.token),
      "the link carries a one-time code only",
    );
    await page.goto(session.url);
    await page.getByRole("heading", { name: "Open the webhooks portal" }).waitFor();
    await page.getByText("Browser Co").waitFor();
    await page.getByText(tenant).waitFor();
    assert.equal(
      (await context.cookies()).filter((c) => c.name === "eh_portal").length,
      0,
      "no cookie before the button",
    );
    await page.screenshot({ path: `${shots}/login-confirm.png`, fullPage: true });
  });

  await step(
    "login CSRF: another site posting a link's code signs the browser in nowhere, and leaves the code unused",
    async () => {
      // The attacker's own link, posted by the attacker's page in the victim's browser.
      const attackerLink = (await api("POST", `/v1/tenants/${other}/portal-sessions`, {})).body.url;
      const code = new URL(attackerLink).searchParams.get("code");
      const victim = await browser.newContext();
      const victimPage = await victim.newPage();
      const answer = victimPage.waitForResponse((r) => r.url() === `${base}/portal/login`);
      await victimPage.goto(`${stranger}/attack?target=${encodeURIComponent(`${base}/portal/login`)}&code=${code}`);
      assert.equal((await answer).status(), 403);
      await victimPage.getByRole("heading", { name: "Refused" }).waitFor();
      await victimPage.screenshot({ path: `${shots}/login-csrf-refused.png`, fullPage: true });
      assert.equal((await victim.cookies()).filter((c) => c.name === "eh_portal").length, 0);
      assert.equal((await victimPage.goto(`${base}/portal`)).status(), 401);
      await victim.close();
      // Nothing was used: the link's owner still signs in with it.
      const owner = await browser.newContext();
      const ownerPage = await owner.newPage();
      await openLink(ownerPage, attackerLink);
      await owner.close();
    },
  );

  await step(
    "the button opens the portal once: the address bar keeps no code or token, and the cookie is its own",
    async () => {
      await page.getByRole("button", { name: "Open the portal" }).click();
      await page.getByRole("heading", { name: "Endpoints" }).waitFor();
      assert.equal(new URL(page.url()).pathname, "/portal");
      assert.equal(new URL(page.url()).search, "");
      assert.ok(!page.url().includes("ps_code_") && !page.url().includes("ps_tok_"));
      const cookies = await context.cookies();
      const cookie = cookies.find((c) => c.name === "eh_portal");
      // Embedding is configured for this run, so the cookie is the cross-site, partitioned kind.
      assert.ok(cookie?.httpOnly && cookie.secure && cookie.sameSite === "None", JSON.stringify(cookie));
      assert.ok(cookie.value.startsWith("ps_ck_") && cookie.value !== session.token);
      await page.screenshot({ path: `${shots}/endpoints-empty.png`, fullPage: true });

      // The same link in another browser: a clear page, no session.
      const other = await browser.newContext();
      const otherPage = await other.newPage();
      const again = await otherPage.goto(session.url);
      assert.equal(again.status(), 410);
      await otherPage.getByRole("heading", { name: "This link was already used" }).waitFor();
      await otherPage.screenshot({ path: `${shots}/link-already-used.png`, fullPage: true });
      assert.equal((await other.cookies()).filter((c) => c.name === "eh_portal").length, 0);
      assert.equal((await otherPage.goto(`${base}/portal`)).status(), 401);
      await other.close();
    },
  );

  await step("branding: the brand name, logo and accent color show", async () => {
    await page.goto(`${base}/portal`);
    assert.equal((await page.locator("header .brand strong").textContent())?.trim(), "Acme Hooks");
    // The brand is the header's one name: no "Webhooks" beside it.
    // Its whole text: the brand once, the nav, the tenant and Sign out (elements' text, no separators).
    const header = await page.locator("header").textContent();
    assert.equal(header, `Acme HooksEndpointsDelivery logReplay${tenant}Sign out`);
    assert.ok((await page.title()).endsWith("· Acme Hooks"));
    const logoWidth = await page.locator("header .brand img").evaluate((img) => img.naturalWidth);
    assert.ok(logoWidth > 0, "the logo loaded");
    const bg = await page
      .getByRole("link", { name: "Add endpoint" })
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(bg, "rgb(10, 125, 85)");
  });

  await step("a cross-site logout is refused, even with the page's CSRF token", async () => {
    await page.goto(`${base}/portal`);
    const csrf = await page.locator('form[action="/portal/logout"] input[name=_csrf]').getAttribute("value");
    const attacker = await context.newPage();
    const answer = attacker.waitForResponse((r) => r.url() === `${base}/portal/logout`);
    await attacker.goto(`${stranger}/attack?target=${encodeURIComponent(`${base}/portal/logout`)}&_csrf=${csrf}`);
    assert.equal((await answer).status(), 403);
    await attacker.close();
    const res = await page.goto(`${base}/portal`);
    assert.equal(res.status(), 200, "still signed in");
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
    const ep = (
      await api("POST", `/v1/tenants/${tenant}/endpoints`, {
        url: `${receiverBase}/fail-once/a`,
        event_types: ["order.*"],
        retry_policy: { schedule_s: [3600] },
      })
    ).body;
    const ev = (await api("POST", `/v1/tenants/${tenant}/events`, { type: "order.created", data: { order: 7 } })).body;
    await until(
      async () => {
        await page.goto(`${base}/portal/deliveries?endpoint_id=${ep.id}`);
        return (await page.locator("tbody").allTextContents()).join(" ").includes("pending retry");
      },
      20_000,
      "the failed delivery in the log",
    );
    await page.screenshot({ path: `${shots}/delivery-log.png`, fullPage: true });
    await page.getByRole("link", { name: "order.created" }).click();
    await page.getByText("HTTP 500").first().waitFor();
    await page.getByRole("button", { name: "Retry now" }).click();
    await page.getByText("Retried now").waitFor();
    assert.equal((await page.locator(".kv .badge").first().textContent())?.trim(), "succeeded");
    await page.screenshot({ path: `${shots}/delivery-detail.png`, fullPage: true });
    const deliveries = (await api("GET", `/v1/tenants/${tenant}/events/${ev.id}/deliveries`)).body.data;
    assert.equal(deliveries[0].status, "succeeded");
    state.failOnce = { endpoint: ep, event: ev };
  });

  await step("the delivery page shows the payload that was sent, in UTC times", async () => {
    // Still on the delivery page of the retried delivery.
    await page.getByRole("heading", { name: "Payload" }).waitFor();
    assert.deepEqual(JSON.parse(await page.locator("#payload").textContent()), { order: 7 });
    const text = await page.locator("main").textContent();
    assert.match(text, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    // Succeeded: Retry now is a secondary action, not the page's primary blue.
    assert.equal(await page.getByRole("button", { name: "Retry now" }).getAttribute("class"), "secondary");
  });

  await step(
    "the endpoint page: stats in words that match, and an hourly SVG chart with its text equivalent",
    async () => {
      const { endpoint } = state.failOnce;
      await page.goto(`${base}/portal/endpoints/${endpoint.id}`);
      const text = await page.locator("main").textContent();
      assert.ok(text.includes(endpoint.id), "the endpoint's id shows");
      // One delivery, delivered after one failed attempt: the rate is of deliveries, the attempts counted apart.
      assert.match(text, /1 delivered, 0 failed \(100% of finished deliveries\)/);
      assert.match(text, /2 attempts, 1 failed/);
      assert.doesNotMatch(text, /\(1 attempts\)/);
      const chart = page.getByRole("img", { name: "Deliveries per hour, last 24 hours" });
      assert.equal(await chart.count(), 1, "the chart is an img with its title as its name");
      const box = await chart.boundingBox();
      assert.ok(box && box.width > 300 && box.height > 100, `the chart is drawn (${JSON.stringify(box)})`);
      assert.ok((await page.locator("svg[role=img] rect").count()) > 0, "a bar for the hour with the delivery");
      assert.match(
        await page.locator("svg[role=img] desc").textContent(),
        /^1 delivered and 0 failed over the last 24 hours/,
      );
      // The text equivalent: the hours as a table, behind a disclosure.
      await page.getByText(/^The numbers \(1 hour with traffic\)/).click();
      const [hour, delivered, failed, p95] = await page
        .locator("figure.chart tbody tr")
        .first()
        .locator("td")
        .allTextContents();
      assert.match(hour, /^\d\d-\d\d \d\d:00 UTC$/);
      assert.deepEqual([delivered, failed], ["1", "0"]);
      assert.match(p95, /^\d+ ms$/);
      await page.screenshot({ path: `${shots}/endpoint-chart.png`, fullPage: true });
      await page.getByRole("link", { name: "7 days" }).click();
      await page.getByRole("img", { name: "Deliveries per hour, last 7 days" }).waitFor();
    },
  );

  await step("the endpoints list: a sparkline and counts per endpoint", async () => {
    const { endpoint } = state.failOnce;
    await page.goto(`${base}/portal`);
    const row = page.locator("tr", { has: page.locator(`a[href="/portal/endpoints/${endpoint.id}"]`) });
    const spark = row.getByRole("img", { name: "Last 24 hours: 1 delivered, 0 failed" });
    assert.equal(await spark.count(), 1);
    assert.ok((await spark.locator("rect").count()) > 0, "the sparkline has a bar");
    const counts = await row.textContent();
    assert.ok(
      counts.includes("1 delivered, 0 failed (100% of finished deliveries)") && counts.includes("2 attempts, 1 failed"),
      counts,
    );
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

  await step("every main page at 1280 and 390 px wide: nothing wider than the screen, no clipped control", async () => {
    const { endpoint, event } = state.failOnce;
    const delivery = (await api("GET", `/v1/tenants/${tenant}/events/${event.id}/deliveries`)).body.data[0];
    const pages = {
      endpoints: "/portal",
      endpoint: `/portal/endpoints/${endpoint.id}`,
      "new-endpoint": "/portal/endpoints/new",
      "delivery-detail": `/portal/deliveries/${delivery.id}`,
      log: "/portal/deliveries",
    };
    for (const width of [1280, 390]) {
      const p = await context.newPage();
      await p.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      for (const [name, path] of Object.entries(pages)) {
        await p.goto(`${base}${path}`);
        const wide = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(wide <= 1, `${name} at ${width} px scrolls sideways by ${wide} px`);
        // A control narrower than what it shows is clipped: a select's chosen option (with its arrow), a
        // date input's mm/dd/yyyy, --:-- -- (with its picker icon), a text box too narrow to type in.
        const clipped = await p.evaluate(() => {
          const ctx = document.createElement("canvas").getContext("2d");
          const needs = (el, text, extra) => {
            const cs = getComputedStyle(el);
            ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
            return (
              ctx.measureText(text).width +
              Number.parseFloat(cs.paddingLeft) +
              Number.parseFloat(cs.paddingRight) +
              extra
            );
          };
          return [...document.querySelectorAll("main input:not([type=hidden]):not([type=checkbox]), main select")]
            .filter((el) => el.offsetParent !== null)
            .filter((el) => {
              if (el.tagName === "SELECT") return needs(el, el.selectedOptions[0]?.text ?? "", 20) > el.clientWidth;
              if (el.type === "datetime-local") return needs(el, "mm/dd/yyyy, --:-- --", 24) > el.clientWidth;
              return el.clientWidth < 120 || el.scrollWidth > el.clientWidth + 1;
            })
            .map((el) => el.id || el.name);
        });
        assert.deepEqual(clipped, [], `${name} at ${width} px clips ${clipped.join(", ")}`);
        await p.screenshot({ path: `${shots}/page-${name}-${width}.png`, fullPage: true });
      }
      await p.close();
    }
  });

  await step("a read-only session sees everything and can change nothing", async () => {
    const ro = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { read_only: true })).body;
    const roContext = await browser.newContext();
    const roPage = await roContext.newPage();
    await roPage.goto(ro.url);
    await roPage.getByText("read-only").waitFor();
    await roPage.getByRole("button", { name: "Open the portal" }).click();
    await roPage.getByText(`${receiverBase}/hooks`).waitFor();
    const changeForms = 'form[method=post]:not([action="/portal/logout"])';
    assert.equal(await roPage.locator(changeForms).count(), 0);
    assert.equal(await roPage.getByRole("link", { name: "Add endpoint" }).count(), 0);
    await roPage.goto(state.endpointUrl);
    assert.equal(await roPage.locator(changeForms).count(), 0);
    await roPage.screenshot({ path: `${shots}/read-only.png`, fullPage: true });
    // The page's CSP forbids scripts from posting, so replay the form post with the session's cookie.
    const cookie = (await roContext.cookies()).find((c) => c.name === "eh_portal");
    assert.ok(cookie, "read-only session cookie");
    const replay = await fetch(`${state.endpointUrl}/disable`, {
      method: "POST",
      redirect: "manual",
      headers: {
        cookie: `eh_portal=${cookie.value}`,
        origin: base,
        "content-type": "application/x-www-form-urlencoded",
      },
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

  await step("the form sets basic auth and a custom header; a delivery carries them", async () => {
    await page.goto(`${base}/portal/endpoints/new`);
    await page.getByLabel("URL").fill(`${receiverBase}/auth-hooks`);
    await page.getByLabel("Description").fill("Receiver with credentials");
    await page.getByLabel("Authentication type").selectOption("basic");
    await page.getByLabel("Basic auth username").fill("acme");
    await page.getByLabel("Basic auth password").fill("s3cret-pass");
    await page.getByLabel("Header 1 name").fill("X-Customer");
    await page.getByLabel("Header 1 value").fill("cust-42");
    await page.getByLabel("Signature", { exact: true }).selectOption("hmac-sha256-hex");
    await page.getByLabel("Signature header").fill("X-Acme-Signature");
    await page.getByLabel("Retry policy").selectOption("rapid");
    await page.getByLabel("Rate limit (/s)").fill("20");
    await page.screenshot({ path: `${shots}/form-auth.png`, fullPage: true });
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.locator("#secret").waitFor();
    await page.getByRole("link", { name: "Continue to the endpoint" }).click();
    state.authEndpointUrl = page.url();
    const before = received.length;
    await page.getByRole("button", { name: "Send test event" }).click();
    await page.getByText("Test event sent").waitFor();
    const got = await until(
      () => received.slice(before).find((r) => r.path === "/auth-hooks"),
      5000,
      "delivery with basic auth",
    );
    assert.equal(got.headers.authorization, `Basic ${Buffer.from("acme:s3cret-pass").toString("base64")}`);
    assert.equal(got.headers["x-customer"], "cust-42");
    assert.match(got.headers["x-acme-signature"], /^[0-9a-f]{64}$/);
    const html = await page.content();
    assert.ok(!html.includes("s3cret-pass") && !html.includes("cust-42"), "credentials rendered back");
    await page.screenshot({ path: `${shots}/endpoint-with-auth.png`, fullPage: true });
  });

  await step("edit: a header token replaces basic auth; blank fields keep the stored custom header", async () => {
    await page.goto(`${state.authEndpointUrl}/edit`);
    const html = await page.content();
    assert.ok(
      !html.includes("s3cret-pass") && !html.includes("cust-42") && !html.includes('value="acme"'),
      "edit form shows stored credentials",
    );
    await page.getByLabel("Authentication type").selectOption("header");
    await page.getByLabel("Token header name").fill("X-Webhook-Token");
    await page.getByLabel("Token value").fill("tok-777");
    await page.screenshot({ path: `${shots}/form-edit-token.png`, fullPage: true });
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("button", { name: "Send test event" }).waitFor();
    const before = received.length;
    await page.getByRole("button", { name: "Send test event" }).click();
    await page.getByText("Test event sent").waitFor();
    const got = await until(
      () => received.slice(before).find((r) => r.path === "/auth-hooks"),
      5000,
      "delivery with the header token",
    );
    assert.equal(got.headers["x-webhook-token"], "tok-777");
    assert.equal(got.headers.authorization, undefined);
    assert.equal(got.headers["x-customer"], "cust-42");
  });

  await step("embedded in an iframe of an allowed origin (another site), the portal works", async () => {
    const link = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, {})).body.url;
    const embedContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const host = await embedContext.newPage();
    await host.goto(`${embedder}/embed?src=${encodeURIComponent(link)}`);
    const frame = host.frameLocator("#portal");
    // Inside the frame too, the link shows its page first; the button posts from the frame's own origin.
    await frame.getByRole("heading", { name: "Open the webhooks portal" }).waitFor();
    await host.screenshot({ path: `${shots}/embedded-login-confirm.png`, fullPage: true });
    await frame.getByRole("button", { name: "Open the portal" }).click();
    await frame.getByRole("heading", { name: "Endpoints" }).waitFor();
    await frame.getByText(`${receiverBase}/hooks`).waitFor();
    // Navigate inside the frame: the cookie (SameSite=None; Partitioned) keeps the session.
    await frame.getByRole("link", { name: "Delivery log" }).click();
    await frame.getByRole("heading", { name: "Delivery log" }).waitFor();
    const inner = host.frames().find((f) => f.url().startsWith(base));
    assert.ok(inner && !inner.url().includes("code="), "the frame's address keeps no code");
    await host.screenshot({ path: `${shots}/embedded-allowed.png`, fullPage: true });
    // Forms work inside the frame too (the CSRF token and the frame's own Origin pass).
    await frame.getByRole("link", { name: "Endpoints" }).click();
    await frame.getByRole("link", { name: `${receiverBase}/hooks` }).click();
    const before = received.length;
    await frame.getByRole("button", { name: "Send test event" }).click();
    await frame.getByText("Test event sent").waitFor();
    await until(
      () => received.slice(before).find((r) => r.path === "/hooks"),
      5000,
      "test delivery sent from the frame",
    );
    await host.screenshot({ path: `${shots}/embedded-form-post.png`, fullPage: true });
    await embedContext.close();
  });

  await step("embedded by an origin not in PORTAL_FRAME_ANCESTORS, the browser refuses to show it", async () => {
    const link = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, {})).body.url;
    const strangerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const host = await strangerContext.newPage();
    const refusals = [];
    host.on("console", (m) => refusals.push(m.text()));
    const answered = host.waitForResponse((r) => r.url().startsWith(`${base}/portal`));
    await host.goto(`${stranger}/embed?src=${encodeURIComponent(link)}`);
    const res = await answered;
    assert.match(
      res.headers()["content-security-policy"],
      new RegExp(`frame-ancestors ${embedder.replace(/[.:/]/g, "\\$&")};`),
    );
    await until(
      async () =>
        host.frames().some((f) => f.url().startsWith("chrome-error://")) ||
        refusals.some((t) => t.includes("frame-ancestors")),
      10_000,
      "the framing refusal",
    );
    assert.equal(await host.frameLocator("#portal").getByRole("heading", { name: "Endpoints" }).count(), 0);
    await host.screenshot({ path: `${shots}/embedded-refused.png`, fullPage: true });
    await strangerContext.close();
  });

  await step("Sign out ends the session: the portal and the bearer token stop working", async () => {
    const fresh = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, {})).body;
    const outContext = await browser.newContext();
    const outPage = await outContext.newPage();
    await openLink(outPage, fresh.url);
    await outPage.getByRole("button", { name: "Sign out" }).click();
    await outPage.getByRole("heading", { name: "Signed out" }).waitFor();
    await outPage.screenshot({ path: `${shots}/signed-out.png`, fullPage: true });
    assert.equal((await outPage.goto(`${base}/portal`)).status(), 401);
    const bearer = await fetch(`${base}/v1/tenants/${tenant}/endpoints`, {
      headers: { authorization: `Bearer ${fresh.token}` },
    });
    assert.equal(bearer.status, 401);
    await outContext.close();
  });

  await browser.close();
  return results;
}

/** A deployment without PORTAL_BRAND_NAME: the header names the portal "Webhooks", once. */
export async function runUnbranded({ base, rootKey, shots }) {
  const results = { passed: 0, failed: 0 };
  const headers = { authorization: `Bearer ${rootKey}`, "content-type": "application/json" };
  const tenant = `org_plain_${Date.now().toString(36)}`;
  const { browser, page } = await openBrowser();
  try {
    await fetch(`${base}/v1/tenants`, {
      method: "POST",
      headers,
      body: JSON.stringify({ id: tenant, name: "Plain Co" }),
    });
    const session = await (
      await fetch(`${base}/v1/tenants/${tenant}/portal-sessions`, { method: "POST", headers, body: "{}" })
    ).json();
    await openLink(page, session.url);
    assert.equal(await page.locator("header").textContent(), `WebhooksEndpointsDelivery logReplay${tenant}Sign out`);
    assert.equal(await page.locator("header .brand img").count(), 0, "no logo without PORTAL_LOGO_URL");
    assert.ok((await page.title()).endsWith("· Webhooks"));
    await page.screenshot({ path: `${shots}/unbranded-header.png` });
    results.passed++;
    console.log("  ✓ without PORTAL_BRAND_NAME the header reads 'Webhooks' once, beside the nav");
  } catch (err) {
    results.failed++;
    console.log(
      `  ✗ without PORTAL_BRAND_NAME the header reads 'Webhooks' once\n    ${String(err?.stack ?? err)
        .split("\n")
        .slice(0, 4)
        .join("\n    ")}`,
    );
  } finally {
    await browser.close();
  }
  return results;
}
