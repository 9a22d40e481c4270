/** The per-invocation context the use cases take: from a Lambda invocation, or for a local run (the CLI). */
import type { Context } from 'aws-lambda';
import { parseArn } from '../core/arn.ts';
import type { Invocation } from '../core/ports.ts';

/** The function's own account comes from its ARN; the context itself bounds how long a run holds a change. */
export function lambdaInvocation(context: Context): Invocation {
  return {
    ownAccount: parseArn(context.invokedFunctionArn ?? '')?.account,
    lambdaContext: context,
    now: () => Date.now(),
    remainingMs: () => context.getRemainingTimeInMillis(),
  };
}

/** A run outside Lambda: no context, and an own account that is not known. */
export function localInvocation(): Invocation {
  return { now: () => Date.now() };
}
