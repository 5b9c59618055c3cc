// The seed vendors' flows in a real browser: a sandbox tenant's badge, the signing secret
// revealed, rotated with a grace period and committed (a DocExtract-style receiver verifies with
// the old secret until the commit and with the new one after), and "test a URL" before saving.
// Run by scripts/browser-test.mjs, which starts the service and a receiver.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { apiAs, openBrowser, stepper, until } from "./kit.mjs";

const HEADER = "x-docextract-signature";

export async function run({ base, rootKey, receiverBase, received, shots }) {
  const api = apiAs(base, rootKey);
  const tenant = `org_vendor_${Date.now().toString(36)}`;
  await api("POST", "/v1/tenants", { id: tenant, name: "DocExtract customer", environment: "sandbox" });
  const oldSecret = "dx_live_browser_old_0123456789";
  const newSecret = "dx_live_browser_new_9876543210";
  const hookPath = `/docextract/${Date.now().toString(36)}`;
  const endpoint = (
    await api("POST", `/v1/tenants/${tenant}/endpoints`, {
      url: `${receiverBase}${hookPath}`,
      description: "DocExtract-style receiver",
      signature: { scheme: "hmac-sha256-hex", header: "X-DocExtract-Signature", prefix: "" },
      secret: oldSecret,
    })
  ).body;
  const session = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, {})).body;
  // What the vendor's Express handler checks: hex HMAC of the raw body with the secret string.
  const verifies = (r, secret) => r.headers[HEADER] === createHmac("sha256", secret).update(r.body).digest("hex");
  const deliverOne = async () => {
    const before = received.filter((r) => r.path === hookPath).length;
    const posted = await api("POST", `/v1/tenants/${tenant}/events`, {
      type: "document.processed",
      data: { document_id: "doc_1" },
    });
    assert.equal(posted.status, 202);
    return until(() => received.filter((r) => r.path === hookPath)[before], 15_000, "a delivery");
  };

  const { browser, page } = await openBrowser();
  const { results, step } = stepper(page, `${shots}/vendors-failure.png`);

  await step("a sandbox tenant's portal says Sandbox in its header", async () => {
    await page.goto(session.url);
    // The link shows a page naming the tenant; its button signs in (no login by a link alone).
    await page.getByRole("button", { name: "Open the portal" }).click();
    await page.getByRole("heading", { name: "Endpoints" }).waitFor();
    assert.equal(await page.locator("header .badge.sandbox").textContent(), "Sandbox");
    await page.screenshot({ path: `${shots}/vendors-sandbox-badge.png` });
  });

  await step("reveal: the signing secret page shows the current secret after a click", async () => {
    await page.goto(`${base}/portal/endpoints/${endpoint.id}`);
    await page.getByRole("link", { name: "Signing secret…" }).click();
    await page.getByRole("heading", { name: "Signing secret" }).waitFor();
    assert.equal(await page.locator("#secret").count(), 0);
    await page.screenshot({ path: `${shots}/vendors-secret-page.png`, fullPage: true });
    await page.getByRole("button", { name: "Show secret" }).click();
    assert.equal((await page.locator("#secret").textContent()).trim(), oldSecret);
    await page.screenshot({ path: `${shots}/vendors-secret-revealed.png`, fullPage: true });
  });

  await step(
    "rotate with a grace period and the customer's own secret: the header stays on the old secret",
    async () => {
      await page.getByRole("link", { name: "Back to the secret page" }).click();
      await page.getByLabel("Keep the old secret working for").selectOption("3600");
      await page.getByLabel(/New secret/).fill(newSecret);
      await page.getByRole("button", { name: "Rotate secret" }).click();
      await page.getByRole("heading", { name: "Secret rotated" }).waitFor();
      assert.equal((await page.locator("#secret").textContent()).trim(), newSecret);
      await page.screenshot({ path: `${shots}/vendors-rotated.png`, fullPage: true });
      const during = await deliverOne();
      assert.ok(verifies(during, oldSecret), "the old secret verifies until commit");
      assert.ok(!verifies(during, newSecret));
    },
  );

  await step("commit: from then on the header is signed with the new secret", async () => {
    await page.getByRole("link", { name: "Back to the secret page" }).click();
    await page.getByText("A rotation is in progress").waitFor();
    await page.screenshot({ path: `${shots}/vendors-pending-commit.png`, fullPage: true });
    await page.getByRole("button", { name: "My receiver uses the new secret" }).click();
    await page.getByText("every header is now signed with the new secret").waitFor();
    await page.screenshot({ path: `${shots}/vendors-committed.png`, fullPage: true });
    const after = await deliverOne();
    assert.ok(verifies(after, newSecret), "the new secret verifies after commit");
    assert.ok(!verifies(after, oldSecret));
  });

  await step("test a URL before saving it (plain http, allowed in the sandbox)", async () => {
    await page.goto(`${base}/portal`);
    await page.getByRole("link", { name: "Test a URL first" }).click();
    await page.getByLabel(/^URL/).fill(`${receiverBase}/test-url-check`);
    await page.getByRole("button", { name: "Send test request" }).click();
    await page.getByText("Test request sent").waitFor();
    assert.match(await page.getByRole("status").first().textContent(), /HTTP 200/);
    const got = await until(() => received.find((r) => r.path === "/test-url-check"), 10_000, "the test request");
    assert.equal(JSON.parse(got.body).type, "webhook.test");
    await page.screenshot({ path: `${shots}/vendors-test-url.png`, fullPage: true });
  });

  await browser.close();
  return results;
}
