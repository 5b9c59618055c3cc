// The portal's replay in a real browser (Debian Chromium through playwright-core), end to end:
// an endpoint re-enabled after missing events offers "Replay missing"; the form comes prefilled,
// its preview shows the plan's count (the API's dry run, compared here) before the button, the
// button starts the task and its page shows the progress until the receiver has them all; a retry
// replay paced by a rate limit is cancelled from its page; a bad filter is a message on the form.
// Run by scripts/browser-test.mjs, which starts the service and a receiver.
import assert from "node:assert/strict";
import { apiAs, openBrowser, stepper, until } from "./kit.mjs";

export async function run({ base, rootKey, receiverBase, received, shots }) {
  const api = apiAs(base, rootKey);
  const id = Date.now().toString(36);
  const tenant = `org_replay_${id}`;
  await api("POST", "/v1/tenants", { id: tenant, name: "Replay Co" });
  const pathA = `/replay-${id}/a`;
  const pathB = `/replay-${id}/b`;
  const a = (
    await api("POST", `/v1/tenants/${tenant}/endpoints`, { url: `${receiverBase}${pathA}`, description: "Orders" })
  ).body;
  const b = (
    await api("POST", `/v1/tenants/${tenant}/endpoints`, {
      url: `${receiverBase}${pathB}`,
      description: "Warehouse",
      rate_limit_per_s: 1,
    })
  ).body;
  const at = (path) => received.filter((r) => r.path === path);

  const { browser, context, page } = await openBrowser();
  const { results, step } = stepper(page, `${shots}/replay-failure.png`);
  const state = {};

  try {
    await step("an endpoint re-enabled after missing 3 events says so on its page, with 'Replay missing'", async () => {
      assert.equal((await api("POST", `/v1/tenants/${tenant}/endpoints/${b.id}/disable`)).status, 200);
      for (let i = 0; i < 3; i++)
        await api("POST", `/v1/tenants/${tenant}/events`, { type: "order.created", data: { order: i } });
      // A got all three: the fan-out has run, and skipped the disabled B.
      await until(() => at(pathA).length === 3, 20_000, "A's three deliveries");
      const enabled = await api("POST", `/v1/tenants/${tenant}/endpoints/${b.id}/enable`);
      assert.equal(enabled.body.missed.count, 3);
      state.missed = enabled.body.missed;

      const session = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, {})).body;
      await page.goto(session.url);
      await page.getByRole("button", { name: "Open the portal" }).click();
      await page.getByRole("heading", { name: "Endpoints" }).waitFor();
      await page.getByRole("link", { name: `${receiverBase}${pathB}` }).click();
      await page.getByText("3 events missed while disabled").waitFor();
      await page.screenshot({ path: `${shots}/replay-endpoint-missed.png`, fullPage: true });
    });

    await step(
      "'Replay missing' opens the form prefilled; Preview shows the plan's count before the button",
      async () => {
        await page.getByRole("link", { name: "Replay missing" }).click();
        await page.getByRole("heading", { name: "Replay deliveries" }).waitFor();
        assert.ok(await page.getByRole("radio", { name: /never got/ }).isChecked());
        assert.ok(await page.getByRole("checkbox", { name: `${receiverBase}${pathB}` }).isChecked());
        assert.ok(!(await page.getByRole("checkbox", { name: `${receiverBase}${pathA}` }).isChecked()));
        assert.equal(new Date(`${await page.locator("#r-since").inputValue()}Z`).toISOString(), state.missed.since);
        assert.equal(new Date(`${await page.locator("#r-until").inputValue()}Z`).toISOString(), state.missed.until);
        await page.screenshot({ path: `${shots}/replay-form.png`, fullPage: true });

        await page.getByRole("button", { name: "Preview" }).click();
        await page.getByRole("heading", { name: "Preview: 3 deliveries would be sent" }).waitFor();
        // The API's dry run of the same filter counts the same.
        const plan = await api("POST", `/v1/tenants/${tenant}/replays`, {
          mode: "missing",
          endpoint_ids: [b.id],
          since: state.missed.since,
          until: state.missed.until,
          dry_run: true,
        });
        assert.equal(plan.body.total, 3);
        assert.equal((await page.locator(`td[data-endpoint="${b.id}"]`).textContent()).trim(), "3");
        assert.equal(await page.locator(`td[data-endpoint="${a.id}"]`).count(), 0, "A missed nothing");
        await page.getByRole("button", { name: "Replay 3 deliveries" }).waitFor();
        assert.equal(at(pathB).length, 0, "a preview sends nothing");
        await page.screenshot({ path: `${shots}/replay-preview.png`, fullPage: true });
      },
    );

    await step("the button starts the task; its page shows the progress until the receiver has all 3", async () => {
      await page.getByRole("button", { name: "Replay 3 deliveries" }).click();
      await page.getByRole("heading", { name: "Replay" }).waitFor();
      assert.match(new URL(page.url()).pathname, /^\/portal\/tasks\/task_/);
      await page.screenshot({ path: `${shots}/replay-task-running.png`, fullPage: true });
      await until(() => at(pathB).length === 3, 20_000, "B's three replayed deliveries");
      await until(
        async () => {
          await page.getByRole("link", { name: "Refresh" }).click();
          return (await page.locator("#progress").textContent()).includes("3 of 3 deliveries done");
        },
        20_000,
        "the task's page to say 3 of 3",
      );
      const badge = page.locator(".kv .badge");
      assert.equal((await badge.textContent()).trim(), "completed");
      // A finished state in the success colour, like a succeeded delivery's (not a bare word).
      assert.equal(await badge.evaluate((el) => getComputedStyle(el).color), "rgb(19, 122, 58)");
      assert.equal(await page.getByRole("button", { name: "Cancel" }).count(), 0);
      await page.screenshot({ path: `${shots}/replay-task-done.png`, fullPage: true });
    });

    await step("a retry replay paced at 1/s is cancelled from its page: it stops short", async () => {
      for (let i = 0; i < 5; i++)
        await api("POST", `/v1/tenants/${tenant}/events`, { type: "order.paid", data: { order: i } });
      await until(() => at(pathB).length === 8, 30_000, "B's five new deliveries");
      await page.getByRole("link", { name: "Replay", exact: true }).click();
      await page.getByRole("radio", { name: /retry/ }).check();
      await page.getByRole("checkbox", { name: `${receiverBase}${pathB}` }).check();
      await page.getByLabel(/Event types/).fill("order.paid");
      await page.getByRole("button", { name: "Preview" }).click();
      await page.getByRole("heading", { name: "Preview: 5 deliveries would be sent" }).waitFor();
      await page.getByText("5 succeeded").waitFor();
      await page.getByRole("button", { name: "Replay 5 deliveries" }).click();
      await page.getByRole("button", { name: "Cancel" }).click();
      await page.locator(".kv .badge", { hasText: "cancelled" }).waitFor();
      const task = (await api("GET", `/v1/tasks/${new URL(page.url()).pathname.split("/").at(-1)}`)).body;
      assert.equal(task.status, "cancelled");
      assert.equal(task.total, 5);
      await page.screenshot({ path: `${shots}/replay-task-cancelled.png`, fullPage: true });
      // Paced at 1/s, the replay had sent at most a few of its 5 when the cancel answered.
      assert.ok(at(pathB).length < 8 + 5, `${at(pathB).length - 8} of 5 sent`);
    });

    await step("a bad filter is a message on the form, not an error page", async () => {
      await page.getByRole("link", { name: "Replay", exact: true }).click();
      await page.locator("#r-since").fill("2026-01-01T00:00");
      await page.locator("#r-until").fill("2026-01-20T00:00");
      await page.getByLabel(/Event types/).fill("bad type!");
      const answer = page.waitForResponse((r) => r.url() === `${base}/portal/replays/preview`);
      await page.getByRole("button", { name: "Preview" }).click();
      assert.equal((await answer).status(), 400);
      await page.locator("#event_types-error").waitFor();
      assert.match(await page.locator("#event_types-error").textContent(), /event type or a pattern/);
      await page.getByRole("alert").waitFor();
      await page.screenshot({ path: `${shots}/replay-bad-filter.png`, fullPage: true });
    });

    await step("the replay form on a phone: one column, nothing clipped", async () => {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
      await phone.addCookies(await context.cookies());
      const small = await phone.newPage();
      await small.goto(`${base}/portal/replays`);
      await small.getByRole("heading", { name: "Replay deliveries" }).waitFor();
      const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
      await small.screenshot({ path: `${shots}/replay-form-phone.png`, fullPage: true });
      await phone.close();
    });
  } finally {
    await browser.close();
  }
  return results;
}
