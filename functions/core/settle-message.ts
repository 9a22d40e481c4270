/**
 * The settle queue's message: an ECS Deployment State Change event (the rule puts each on the queue as it
 * is), a look at one deployment the tool started, settling one change's ledger if it is done, or watching a
 * change until its deadline (`watch`: each look schedules the next until it is settled).
 */
import { z } from 'zod';
import { InvalidEventError } from './errors.ts';

export type SettleMessage =
  /** An EventBridge event, parsed by `core/deployment-event.ts`. */
  | { readonly event: unknown }
  | { readonly deploymentId: string }
  | { readonly changeKey: string; readonly watch?: boolean | undefined };

const messageSchema = z.union([
  z.object({ deploymentId: z.string().min(1) }),
  z.object({ changeKey: z.string().min(1), watch: z.boolean().optional() }),
]);

export function parseSettleMessage(body: string): SettleMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new InvalidEventError(`the settle message is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof value === 'object' && value !== null && 'detail-type' in value) return { event: value };
  const result = messageSchema.safeParse(value);
  if (!result.success) {
    throw new InvalidEventError(
      'the settle message is no event and has no non-empty "deploymentId" or "changeKey"',
    );
  }
  return result.data;
}
