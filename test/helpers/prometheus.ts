/**
 * Parses Prometheus text exposition (0.0.4) back into samples, strictly: every line must be a
 * comment, a HELP/TYPE header or `name{labels} value`, every sample's family must have been
 * declared by a TYPE line before it, and a family's samples must not be split by another family.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Parsed {
  samples: Sample[];
  types: Map<string, string>;
  comments: string[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    const name = text.slice(i, eq);
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) || text[eq + 1] !== '"') throw new Error(`bad label at ${i}: ${text}`);
    let j = eq + 2;
    let value = "";
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        const next = text[++j];
        value += next === "n" ? "\n" : next;
      } else value += text[j];
    }
    if (text[j] !== '"') throw new Error(`unterminated label value: ${text}`);
    out[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
  }
  return out;
}

/** The family a sample belongs to: histogram samples carry _bucket/_sum/_count. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return types.get(base) === "histogram" ? base : undefined;
}

export function parsePrometheus(text: string): Parsed {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const comments: string[] = [];
  const closed = new Set<string>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split("\n")) {
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      if (types.has(type[1]!)) throw new Error(`family declared twice: ${type[1]}`);
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith("# HELP ")) continue;
    if (line.startsWith("#")) {
      comments.push(line);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const family = familyOf(m[1]!, types);
    if (!family) throw new Error(`sample of an undeclared family: ${line}`);
    if (family !== current) {
      if (current) closed.add(current);
      if (closed.has(family)) throw new Error(`family ${family} split by another family`);
      current = family;
    }
    const raw = m[3]!;
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== "NaN") throw new Error(`bad value: ${line}`);
    samples.push({ name: m[1]!, labels: m[2] ? parseLabels(m[2]) : {}, value });
  }
  return { samples, types, comments };
}

/** The one sample of `name` whose labels include `labels`, or undefined. */
export function find(parsed: Parsed, name: string, labels: Record<string, string>): number | undefined {
  const hits = parsed.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}
