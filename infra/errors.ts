/** The CDK app's errors, on the same bases as the functions' (see functions/core/errors.ts). */
import { RefusedInputError, RotationRedeployError } from '../functions/core/errors.ts';

/** A Lambda bundle the stack must deploy is not on disk: the build has not run, or wrote somewhere else. */
export class MissingBundleError extends RotationRedeployError {}

/** A CDK context value (`-c key=value` or cdk.json) the app cannot use. */
export class InvalidContextError extends RefusedInputError {}

/** Construct props that contradict each other or are out of range. */
export class InvalidPropsError extends RefusedInputError {}
