/** @jsxImportSource hono/jsx */
/**
 * Portal routes for replays: the filter form, its preview (the replay verb's dry run: the count
 * is on the page before the button), the start, and a task's progress and cancel. Each calls the
 * verb POST /v1/tenants/{t}/replays and /v1/tasks/{id}(/cancel) call, on the session's tenant
 * only, so the portal and the API share one rule set and one per-tenant action limit.
 */
import type { Context, Hono } from "hono";
import { idPathParam } from "../../db/ids";
import { ApiError, type ErrorIssue } from "../../errors";
import { listEndpoints } from "../../services/endpoints";
import { getTask } from "../../services/recover";
import { replay } from "../../services/replays";
import { cancelTask } from "../../services/tasks";
import {
  EMPTY_REPLAY_FORM,
  localValueOf,
  parseReplayForm,
  type ReplayFormInput,
  type ReplayFormValues,
  replayFormValues,
} from "../form-input/replay";
import { limitedNotice } from "../pages/action-limit";
import { page } from "../pages/layout";
import { ReplayForm, ReplayPlan, TaskProgress } from "../pages/replays";
import type { PortalEnv } from "../session";

const TASK = idPathParam("task");
/** Endpoints the form lists (the portal's endpoint list shows as many). */
const FORM_ENDPOINTS = 100;

const TITLE = { title: "Replay deliveries", current: "replays" } as const;

function refuseReadOnly(c: Context<PortalEnv, any>) {
  if (c.get("session").readOnly) throw new ApiError("forbidden", "this session is read-only");
}

/** The form page, with the plan below it when there is one, or a banner above it (a limit notice). */
async function formPage(
  c: Context<PortalEnv, any>,
  values: ReplayFormValues,
  opts: { issues?: ErrorIssue[]; plan?: Parameters<typeof ReplayPlan>[0]["plan"]; pinned?: ReplayFormValues } = {},
  banner: unknown = null,
  status: 200 | 400 | 429 = 200,
) {
  const endpoints = await listEndpoints(c.var.services, c.get("session").tenantId, { limit: FORM_ENDPOINTS });
  return page(
    c,
    TITLE,
    <>
      {banner as never}
      <p class="muted">
        Send again, by filter, what your endpoints got (retry), or what they never got because they were disabled or did
        not exist yet (missing). Preview first: the count is shown before anything is sent.
      </p>
      <ReplayForm values={values} endpoints={endpoints} issues={opts.issues ?? []} csrf={c.get("csrf")} />
      {opts.plan ? (
        <ReplayPlan plan={opts.plan} endpoints={endpoints} values={opts.pinned ?? values} csrf={c.get("csrf")} />
      ) : null}
    </>,
    status,
  );
}

/** A verb's refusal of the filter (a window too wide, an endpoint disabled or unknown) as issues on the form. */
function filterIssues(err: unknown): ErrorIssue[] | null {
  if (!(err instanceof ApiError) || ![400, 404, 409].includes(err.status)) return null;
  if (err.status === 404) return [{ path: "endpoint_ids", message: "an endpoint you picked no longer exists" }];
  return err.issues?.length ? err.issues : [{ path: "", message: err.message }];
}

/** Parses the submitted form and calls the verb; answers the page for any refusal, or the verb's answer. */
async function submitted(c: Context<PortalEnv, any>, dryRun: boolean) {
  const values = replayFormValues(await c.req.parseBody({ all: true }));
  const parsed = parseReplayForm(values);
  if (!parsed.ok) return { page: await formPage(c, values, { issues: parsed.issues }, null, 400) };
  // The window's end is pinned when the preview is made: the Replay button sends what it counted.
  const input: ReplayFormInput = { ...parsed.input, until: parsed.input.until ?? Date.now() };
  try {
    const answer = await replay(c.var.services, c.get("session").tenantId, { ...input, dry_run: dryRun });
    return { values, input, answer };
  } catch (err) {
    const limited = limitedNotice(c, err);
    if (limited) return { page: await formPage(c, values, {}, limited, 429) };
    const issues = filterIssues(err);
    if (!issues) throw err;
    return { page: await formPage(c, values, { issues }, null, 400) };
  }
}

export function registerPortalReplays(portal: Hono<PortalEnv>) {
  // The form, prefilled from the query: the endpoint page's "Replay missing" link names its filter.
  portal.get("/replays", async (c) => {
    refuseReadOnly(c);
    const q = c.req.queries();
    const values = Object.keys(q).length ? replayFormValues(q) : EMPTY_REPLAY_FORM;
    // Blank: the last hour, from the start of its minute (a value that reads as a plain time).
    const hourAgo = Math.floor((Date.now() - 3600_000) / 60_000) * 60_000;
    return formPage(c, values.since ? values : { ...values, since: localValueOf(hourAgo) });
  });

  portal.post("/replays/preview", async (c) => {
    const done = await submitted(c, true);
    if ("page" in done) return done.page;
    if (!done.answer.dryRun) throw new Error("a dry run answered a task");
    const pinned = { ...done.values, until: localValueOf(done.input.until!) };
    return formPage(c, done.values, { plan: done.answer.plan, pinned });
  });

  portal.post("/replays", async (c) => {
    const done = await submitted(c, false);
    if ("page" in done) return done.page;
    if (done.answer.dryRun) throw new Error("a replay answered a plan");
    return c.redirect(`/portal/tasks/${done.answer.task.id}`, 303);
  });

  portal.get(`/tasks/${TASK}`, async (c) => {
    const { view } = await getTask(c.var.services, c.req.param("id"), c.get("session").tenantId);
    return page(
      c,
      { title: view.kind === "replay" ? "Replay" : "Recovery", current: "replays" },
      <TaskProgress task={view} csrf={c.get("csrf")} readOnly={c.get("session").readOnly} />,
    );
  });

  portal.post(`/tasks/${TASK}/cancel`, async (c) => {
    const view = await cancelTask(c.var.services, c.req.param("id"), c.get("session").tenantId);
    return c.redirect(`/portal/tasks/${view.id}`, 303);
  });
}
