/**
 * A small writer for the Prometheus text exposition format 0.0.4: one HELP and TYPE header per
 * metric family, then its samples. Label values are escaped as the format says (backslash,
 * double quote, line feed), so a tenant id or endpoint id can never break a line or forge a label.
 */
type MetricType = "counter" | "gauge" | "histogram";
type Labels = Record<string, string>;

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escapes backslash and line feed only. */
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** Integers as they are, other numbers in JS's shortest round-trip form; infinities as the format spells them. */
function valueText(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Number.isNaN(n)) return "NaN";
  return String(n);
}

export class PrometheusText {
  private readonly lines: string[] = [];
  private readonly declared = new Set<string>();

  /** Declares a family once; its samples follow with sample(). */
  family(name: string, type: MetricType, help: string): this {
    if (!this.declared.has(name)) {
      this.declared.add(name);
      this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    }
    return this;
  }

  sample(name: string, labels: Labels, value: number): this {
    this.lines.push(`${name}${labelText(labels)} ${valueText(value)}`);
    return this;
  }

  /**
   * One histogram series from per-bucket (non-cumulative) counts: `_bucket{le=...}` cumulative,
   * the last count being the open (+Inf) bucket, then `_sum` and `_count`.
   */
  histogram(name: string, labels: Labels, bounds: readonly number[], counts: readonly number[], sum: number): this {
    let seen = 0;
    bounds.forEach((le, i) => {
      seen += counts[i] ?? 0;
      this.sample(`${name}_bucket`, { ...labels, le: String(le) }, seen);
    });
    seen += counts[bounds.length] ?? 0;
    this.sample(`${name}_bucket`, { ...labels, le: "+Inf" }, seen);
    this.sample(`${name}_sum`, labels, sum);
    this.sample(`${name}_count`, labels, seen);
    return this;
  }

  /** A comment line that is not HELP or TYPE: Prometheus ignores it, people and scripts read it. */
  comment(text: string): this {
    this.lines.push(`# ${text.replace(/\n/g, " ")}`);
    return this;
  }

  toString(): string {
    return this.lines.length ? `${this.lines.join("\n")}\n` : "";
  }
}
