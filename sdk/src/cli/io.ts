/** Where the CLI writes, and its colours (util.styleText), off when not a terminal or NO_COLOR is set. */
import { styleText } from "node:util";
import { terminalLine } from "./printable.js";

export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  color: boolean;
  /** Resolves when the user asks to stop (Ctrl-C), for the long-running commands. */
  stopped: Promise<void>;
}

type Style = Parameters<typeof styleText>[0];

export const paint = (io: Pick<Io, "color">, style: Style, text: string) =>
  io.color ? styleText(style, text, { validateStream: false }) : text;

export function processIo(): Io {
  const env = process.env;
  const color = env.FORCE_COLOR ? env.FORCE_COLOR !== "0" : Boolean(process.stdout.isTTY) && !env.NO_COLOR;
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
  // Every line passes terminalLine: remote text reaches the terminal without its control characters.
  return {
    out: (l) => process.stdout.write(`${terminalLine(l)}\n`),
    err: (l) => process.stderr.write(`${terminalLine(l)}\n`),
    env,
    color,
    stopped,
  };
}

/** A delivery or attempt status, coloured by how it went. */
export function statusColor(status: string): Style {
  if (status === "succeeded") return "green";
  if (status === "failed" || status === "cancelled") return "red";
  if (status === "pending_retry") return "yellow";
  return "cyan";
}

export class UsageError extends Error {}
