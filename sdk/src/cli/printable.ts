/**
 * Remote text on a terminal. A receiver's answer, an event type, a tenant's name or a server's
 * error message can carry escape sequences that set the window title, clear the screen, move the
 * cursor, write the clipboard (OSC 52) or fake a line the CLI never printed. Every control
 * character of such a string is shown as a visible `\uXXXX` escape instead.
 */

const TAB = 0x09;
const NEWLINE = 0x0a;
const ESC = "\u001b";

/**
 * C0 controls, DEL, C1 controls, and the Unicode line separators and bidi overrides that reorder
 * what follows them on screen.
 */
function isControl(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

const visible = (code: number) => `\\u${code.toString(16).padStart(4, "0")}`;

/** One remote string as printable text: tabs stay, and `multiline` keeps its newlines (a response body). */
export function printable(text: string | null | undefined, opts: { multiline?: boolean } = {}): string {
  let out = "";
  for (const ch of String(text ?? "")) {
    const code = ch.codePointAt(0)!;
    out += isControl(code) && code !== TAB && !(opts.multiline && code === NEWLINE) ? visible(code) : ch;
  }
  return out;
}

// The CLI's own colours (util.styleText): SGR sequences only, which cannot move the cursor.
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`, "y");

/**
 * A whole output line, as the last guard before the terminal: every control character but tab,
 * newline and the SGR colour sequences is made visible, whatever a command forgot to clean.
 */
export function terminalLine(line: string): string {
  let out = "";
  for (let i = 0; i < line.length; i++) {
    SGR.lastIndex = i;
    const colour = line[i] === ESC ? SGR.exec(line) : null;
    if (colour) {
      out += colour[0];
      i += colour[0].length - 1;
      continue;
    }
    out += printable(line[i], { multiline: true });
  }
  return out;
}
