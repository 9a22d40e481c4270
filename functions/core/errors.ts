/** An event the tool cannot act on: not JSON, missing what its kind needs, or of an unsupported kind. */
export class InvalidEventError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidEventError';
  }
}

/** A setting (environment variable, CLI flag) with a value the tool cannot use. */
export class ConfigurationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** A CLI query (`who-uses ARN_OR_NAME`) that names nothing the tool can look for. */
export class InvalidQueryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidQueryError';
  }
}

/** A service CodeDeploy cannot be asked to deploy as it is (no load balancer container and port to name). */
export class AppSpecError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AppSpecError';
  }
}
