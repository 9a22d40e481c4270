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

/**
 * CodeDeploy runs one deployment per deployment group at a time, and the service's group has one running. Not a
 * failure: the redeploy waits and is tried again once that deployment has ended.
 */
export class DeploymentGroupBusyError extends Error {
  constructor(
    readonly deploymentGroup: string,
    readonly activeDeploymentIds: readonly string[],
    options?: ErrorOptions,
  ) {
    super(
      `CodeDeploy deployment group ${deploymentGroup} is running ${activeDeploymentIds.length === 0 ? 'a deployment' : activeDeploymentIds.join(', ')}; the redeploy waits for it to end`,
      options,
    );
    this.name = 'DeploymentGroupBusyError';
  }
}

/** The service is gone or draining by the time it is to be deployed: there is nothing to deploy. */
export class ServiceNotActiveError extends Error {
  constructor(serviceArn: string, status: string, options?: ErrorOptions) {
    super(`${serviceArn} is ${status}, so no new deployment can be started`, options);
    this.name = 'ServiceNotActiveError';
  }
}
