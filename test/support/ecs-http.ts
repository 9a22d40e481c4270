/**
 * A stand-in for the ECS HTTP endpoint, plugged in as the SDK client's request handler, so the real
 * client stack (serialisation, adaptive retries, error parsing) runs against answers a test controls.
 * The same endpoint the benchmark's simulated ECS API uses.
 */
export {
  type EcsAnswer,
  type EcsBackend,
  ecsEndpoint as ecsRequestHandler,
} from '../../bench/ecs-endpoint.ts';

export const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
