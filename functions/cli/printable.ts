/**
 * Text from outside (event fields, ECS names, error messages that quote input) made safe for a terminal. An
 * event can carry ANSI escapes, carriage returns or bidirectional overrides in its names; printed raw they
 * could repaint the screen or forge a line of a plan. Every such character is shown as an escape instead.
 */

/**
 * C0 controls (newline, carriage return, ESC...), DEL and the C1 controls (CSI among them), the line and
 * paragraph separators, and the bidirectional marks, embeddings, overrides and isolates.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this module's job.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same set less the C0 controls, which JSON.stringify already escapes. */
const UNESCAPED_BY_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const hex = (character: string, digits: number) => character.charCodeAt(0).toString(16).padStart(digits, '0');

/** `text` with every control character escaped: `\n`, `\x1b`, `\u202e`. */
export function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (character) =>
      SHORT[character] ??
      (character.charCodeAt(0) <= 0xff ? `\\x${hex(character, 2)}` : `\\u${hex(character, 4)}`),
  );
}

/**
 * JSON for people and machines alike: the same value, with no control character left unescaped. `indent` 0
 * gives one line (JSON Lines).
 */
export function printableJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(
    UNESCAPED_BY_JSON,
    (character) => `\\u${hex(character, 4)}`,
  );
}
