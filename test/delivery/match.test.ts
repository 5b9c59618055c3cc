import { describe, expect, it } from "vitest";
import { EVENT_TYPE_PATTERN, matchesChannels, matchesEventType } from "../../src/delivery/match";

describe("matchesEventType", () => {
  it.each<{ patterns: string[] | null | undefined; type: string; expected: boolean }>([
    { patterns: undefined, type: "job.completed", expected: true },
    { patterns: null, type: "job.completed", expected: true },
    { patterns: [], type: "job.completed", expected: true },
    { patterns: ["*"], type: "job.completed", expected: true },
    { patterns: ["*"], type: "x", expected: true },
    { patterns: ["job.completed"], type: "job.completed", expected: true },
    { patterns: ["job.completed"], type: "job.failed", expected: false },
    { patterns: ["job.completed"], type: "Job.Completed", expected: false }, // case-sensitive
    { patterns: ["job.completed"], type: "job.completed.v2", expected: false },
    { patterns: ["job.completed"], type: "job", expected: false },
    { patterns: ["job.*"], type: "job.completed", expected: true },
    { patterns: ["job.*"], type: "job.step.completed", expected: true }, // any depth
    { patterns: ["job.*"], type: "job", expected: false },
    { patterns: ["job.*"], type: "jobs.completed", expected: false },
    { patterns: ["job.*"], type: "myjob.completed", expected: false },
    { patterns: ["job.*"], type: "job.", expected: false },
    { patterns: ["job.step.*"], type: "job.step.done", expected: true },
    { patterns: ["job.step.*"], type: "job.stepper.done", expected: false },
    { patterns: ["job.step.*"], type: "job.completed", expected: false },
    { patterns: ["invoice.paid", "job.*"], type: "job.failed", expected: true },
    { patterns: ["invoice.paid", "job.*"], type: "invoice.paid", expected: true },
    { patterns: ["invoice.paid", "job.*"], type: "invoice.voided", expected: false },
    { patterns: ["job*"], type: "jobs", expected: false }, // not a pattern: exact name only
    { patterns: ["*.completed"], type: "job.completed", expected: false }, // suffix patterns unsupported
    { patterns: ["job.?"], type: "job.x", expected: false },
  ])("$patterns ∋ $type → $expected", ({ patterns, type, expected }) => {
    expect(matchesEventType(patterns, type)).toBe(expected);
  });
});

describe("matchesChannels", () => {
  it.each<{ endpoint: string[] | null | undefined; event: string[] | null | undefined; expected: boolean }>([
    { endpoint: undefined, event: undefined, expected: true },
    { endpoint: null, event: ["a"], expected: true },
    { endpoint: [], event: ["a"], expected: true },
    { endpoint: [], event: [], expected: true },
    { endpoint: ["a"], event: ["a"], expected: true },
    { endpoint: ["a", "b"], event: ["c", "b"], expected: true },
    { endpoint: ["a"], event: ["b"], expected: false },
    { endpoint: ["a"], event: [], expected: false },
    { endpoint: ["a"], event: null, expected: false },
    { endpoint: ["a"], event: undefined, expected: false },
    { endpoint: ["parser_1"], event: ["Parser_1"], expected: false }, // exact, case-sensitive
  ])("endpoint $endpoint, event $event → $expected", ({ endpoint, event, expected }) => {
    expect(matchesChannels(endpoint, event)).toBe(expected);
  });
});

describe("EVENT_TYPE_PATTERN", () => {
  it.each<{ value: string; valid: boolean }>([
    { value: "job", valid: true },
    { value: "job.completed", valid: true },
    { value: "job.step.completed", valid: true },
    { value: "Job_1.step-2", valid: true },
    { value: "job.*", valid: true },
    { value: "job.step.*", valid: true },
    { value: "*", valid: true },
    { value: "", valid: false },
    { value: ".job", valid: false },
    { value: "job.", valid: false },
    { value: "job..completed", valid: false },
    { value: "job.*.completed", valid: false },
    { value: "*.completed", valid: false },
    { value: "job*", valid: false },
    { value: "**", valid: false },
    { value: "job.**", valid: false },
    { value: "job completed", valid: false },
    { value: "job/completed", valid: false },
    { value: "jöb.completed", valid: false },
    { value: "job.completed\n", valid: false },
  ])("$value → $valid", ({ value, valid }) => {
    expect(EVENT_TYPE_PATTERN.test(value)).toBe(valid);
  });
});

describe("Edgehooks' reserved alert types", () => {
  it.each([
    [null, false],
    [[], false],
    [["*"], false],
    [["endpoint.*"], false],
    [["endpoint.disabled"], false],
    [["edgehooks.*"], true],
    [["edgehooks.endpoint.*"], true],
    [["edgehooks.endpoint.disabled"], true],
    [["edgehooks.delivery.*"], false],
    [["job.*", "edgehooks.endpoint.disabled"], true],
  ])("edgehooks.endpoint.disabled vs %j → %s (only a pattern naming the prefix subscribes)", (patterns, expected) => {
    expect(matchesEventType(patterns as string[] | null, "edgehooks.endpoint.disabled")).toBe(expected);
  });

  it("the prefix patterns do not catch producer types", () => {
    expect(matchesEventType(["edgehooks.*"], "job.completed")).toBe(false);
    expect(matchesEventType(["edgehooks.*", "job.*"], "job.completed")).toBe(true);
  });
});
