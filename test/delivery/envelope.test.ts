import { describe, expect, it } from "vitest";
import { type EnvelopeEvent, type EnvelopeKind, renderBody } from "../../src/delivery/envelope";

const event: EnvelopeEvent = {
  id: "evt_01",
  type: "job.completed",
  createdAt: "2026-01-02T03:04:05.678Z",
  data: { job_id: "j1", pages: 3 },
};

describe("renderBody", () => {
  it.each<{ kind: EnvelopeKind; expected: string }>([
    {
      kind: "standard",
      expected:
        '{"id":"evt_01","type":"job.completed","timestamp":"2026-01-02T03:04:05.678Z","data":{"job_id":"j1","pages":3}}',
    },
    { kind: "event-data", expected: '{"event":"job.completed","data":{"job_id":"j1","pages":3}}' },
    {
      kind: "jsonapi",
      expected:
        '{"data":{"type":"event","id":"evt_01","attributes":{"event_type":"job.completed",' +
        '"created_at":"2026-01-02T03:04:05.678Z","data":{"job_id":"j1","pages":3}}}}',
    },
  ])("$kind", ({ kind, expected }) => {
    expect(renderBody(kind, event)).toBe(expected);
  });

  it.each<{ data: unknown; json: string }>([
    { data: null, json: "null" },
    { data: 42, json: "42" },
    { data: "text", json: '"text"' },
    { data: [1, { a: true }], json: '[1,{"a":true}]' },
    { data: undefined, json: "null" }, // data is always present
  ])("any JSON value as data: $json", ({ data, json }) => {
    expect(JSON.parse(renderBody("standard", { ...event, data })).data).toEqual(JSON.parse(json));
    expect(renderBody("event-data", { ...event, data })).toBe(`{"event":"job.completed","data":${json}}`);
  });
});
