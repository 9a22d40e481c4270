/** A Lambda bundle the stack must deploy is not on disk: the build has not run, or wrote somewhere else. */
export class MissingBundleError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MissingBundleError';
  }
}

/** A CDK context value (`-c key=value` or cdk.json) the app cannot use. */
export class InvalidContextError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidContextError';
  }
}

/** Construct props that contradict each other or are out of range. */
export class InvalidPropsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidPropsError';
  }
}
