/**
 * Remote text on a terminal. A receiver's answer, an event type, a tenant's name or a server's
 * error message can carry escape sequences that set the window title, clear the screen, move the
 * cursor, write the clipboard (OSC 52) or fake a line the CLI never printed. Every control
 * character of such a string is shown as a visible `\uXXXX` escape instead.
 */

// C0 controls but tab and newline, DEL, C1 controls, and the Unicode line separators and bidi
// overrides that reorder what follows them on screen.
const CONTROLS_KEEPING_NEWLINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const visible = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** One remote string as printable text: `multiline` keeps its newlines (a response body). */
export function printable(text: string | null | undefined, opts: { multiline?: boolean } = {}): string {
  return String(text ?? "").replace(opts.multiline ? CONTROLS_KEEPING_NEWLINES : CONTROLS, visible);
}

// The CLI's own colours (util.styleText): SGR sequences only, which cannot move the cursor.
const SGR = /\u001b\[[0-9;]*m/y;

/**
 * A whole output line, as the last guard before the terminal: every control character but tab,
 * newline and the SGR colour sequences is made visible, whatever a command forgot to clean.
 */
export function terminalLine(line: string): string {
  let out = "";
  for (let i = 0; i < line.length; i++) {
    SGR.lastIndex = i;
    const colour = line[i] === "\u001b" ? SGR.exec(line) : null;
    if (colour) {
      out += colour[0];
      i += colour[0].length - 1;
      continue;
    }
    out += printable(line[i], { multiline: true });
  }
  return out;
}
