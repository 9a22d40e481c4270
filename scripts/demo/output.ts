/**
 * What the demo prints, and how: plain text to the real stdout, wrapped for a terminal. Taken at import,
 * before any bundle runs: while one does, process.stdout.write goes to the functions' log file instead.
 */
const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);

/** Width of a heading rule and of wrapped prose. */
const WIDTH = 100;

export const say = (text = ''): void => void stdoutWrite(`${text}\n`);
export const complain = (text: string): void => void stderrWrite(text);

export function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : by + line))
    .join('\n');
}

export function wrap(text: string, width = WIDTH): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

/** Prose set off from a step's heading: wrapped, then indented like the tables under it. */
export const sayIndented = (text: string, by = '  '): void => say(indent(wrap(text, WIDTH - by.length), by));

/** What a step is: its title, what AWS does at this point, and what the demo does instead. */
export interface StepText {
  readonly title: string;
  readonly inAws: string;
  readonly here?: string;
}

/** Numbers the steps as they are announced. */
export class StepHeadings {
  #number = 0;

  announce(step: StepText): void {
    this.#number += 1;
    const heading = `${this.#number}. ${step.title}`;
    say();
    say(`${heading} ${'─'.repeat(Math.max(3, WIDTH - heading.length - 1))}`);
    say(wrap(`In AWS: ${step.inAws}`));
    if (step.here !== undefined) say(wrap(`Here: ${step.here}`));
  }
}

/** A long id cut to its first characters: version ids in a table. */
export const short = (id: string): string => (id.length > 13 ? `${id.slice(0, 8)}…` : id);

export const plural = (count: number, one: string, many: string): string =>
  `${count} ${count === 1 ? one : many}`;

/** "a", "a and b", "a, b and c". */
export function listed(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
