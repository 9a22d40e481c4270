/**
 * A change function's work when a change buffer is set: read the change's metadata (one read per change, the
 * version its label points to now), put the change in the buffer, and say so. The change scanner then
 * handles every change the buffer gathered with one scan.
 */
import { LOG_MESSAGES } from '../contract.ts';
import type { ParsedEvent } from '../core/change.ts';
import type { ChangeBuffer, ChangeVersions, Invocation, Telemetry } from '../core/ports.ts';
import { type ReportedChange, reportedChange } from '../core/report.ts';
import { type CurrentVersion, readCurrentVersion } from './handle-changes.ts';

export interface BufferPorts {
  readonly buffer: ChangeBuffer;
  readonly changeVersions?: ChangeVersions | undefined;
}

/** What a change function answers for a buffered change. */
export interface Buffered {
  readonly buffered: true;
  readonly change: ReportedChange;
  readonly current: CurrentVersion | null;
}

/** Buffers an acted-on change (`parsed.ignored` null) of `event`; a failed send throws, so the event is retried. */
export async function bufferChange(
  event: unknown,
  parsed: ParsedEvent,
  ports: BufferPorts,
  telemetry: Pick<Telemetry, 'info'>,
  invocation: Invocation,
): Promise<Buffered> {
  const current = await readCurrentVersion(parsed, ports.changeVersions, invocation);
  await ports.buffer.send({ event, current });
  const change = reportedChange(parsed.change);
  telemetry.info(LOG_MESSAGES.changeBuffered, { change, current });
  return { buffered: true, change, current };
}
