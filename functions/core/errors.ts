/**
 * The tool's errors. Every one extends RotationRedeployError, whose `name` is the class's own (so a log line
 * or a failed service's reason says which failure it was) and which passes ErrorOptions on, so `cause` survives.
 */
export class RotationRedeployError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Input the tool refuses, with a message a person can act on: the CLI exits 2, the CDK app stops with one
 * line, a change function sends the event to its on-failure queue.
 */
export class RefusedInputError extends RotationRedeployError {}

/** An event the tool cannot act on: not JSON, missing what its kind needs, or of an unsupported kind. */
export class InvalidEventError extends RefusedInputError {}

/** A setting (environment variable, CLI flag) with a value the tool cannot use. */
export class ConfigurationError extends RefusedInputError {}

/** A CLI query (`who-uses ARN_OR_NAME`) that names nothing the tool can look for. */
export class InvalidQueryError extends RefusedInputError {}

/** A service CodeDeploy cannot be asked to deploy as it is (no load balancer container and port to name). */
export class AppSpecError extends RotationRedeployError {}

/**
 * CodeDeploy runs one deployment per deployment group at a time, and the service's group has one running. The
 * queue worker waits for it to end (the message is queued again); a direct run reports the service failed.
 */
export class DeploymentGroupBusyError extends RotationRedeployError {
  constructor(
    readonly deploymentGroup: string,
    readonly activeDeploymentIds: readonly string[],
    options?: ErrorOptions,
  ) {
    super(
      `CodeDeploy deployment group ${deploymentGroup} is running ${activeDeploymentIds.length === 0 ? 'another deployment' : activeDeploymentIds.join(', ')}, and CodeDeploy runs one deployment per group at a time`,
      options,
    );
  }
}

/** The service is gone or draining by the time it is to be deployed: there is nothing to deploy. */
export class ServiceNotActiveError extends RotationRedeployError {
  constructor(serviceArn: string, status: string, options?: ErrorOptions) {
    super(`${serviceArn} is ${status}, so no new deployment can be started`, options);
  }
}
