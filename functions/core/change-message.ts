/**
 * The change buffer's message: the EventBridge event a change function accepted, and what the change's
 * metadata said when it read it. The change scanner parses the event again with the same parser, so a message
 * that does not fit is refused exactly as the event would have been.
 */
import { z } from 'zod';
import { type ParsedEvent, parseEvent } from './change.ts';
import { InvalidEventError } from './errors.ts';
import type { BufferedChange } from './ports.ts';

const messageSchema = z.object({
  event: z.record(z.string(), z.unknown()),
  current: z.object({ version: z.string().nullable(), arn: z.string().min(1).optional() }).nullable(),
});

export function bufferedChangeBody(change: BufferedChange): string {
  return JSON.stringify(change);
}

/** The buffered event, parsed, with the metadata read for it; an InvalidEventError when it does not fit. */
export function parseBufferedChange(body: string): {
  readonly parsed: ParsedEvent;
  readonly current: BufferedChange['current'];
} {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new InvalidEventError(`the buffered change is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const result = messageSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || 'message'}: ${issue.message}`,
    );
    throw new InvalidEventError(`the buffered change is missing what it needs: ${problems.join('; ')}`);
  }
  const { event, current } = result.data;
  return {
    parsed: parseEvent(event),
    current:
      current === null ? null : { version: current.version, ...(current.arn ? { arn: current.arn } : {}) },
  };
}
