/**
 * A stand-in for the ECS HTTP endpoint, plugged in as the SDK client's request handler, so the real
 * client stack (serialisation, adaptive retries, error parsing) runs against answers a test controls.
 */
export type EcsAnswer =
  | { readonly ok: unknown }
  | { readonly error: string; readonly message: string; readonly status?: number };

export type EcsBackend = (action: string, input: Record<string, unknown>) => EcsAnswer | Promise<EcsAnswer>;

interface HttpRequestLike {
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

/** awsJson1_1: the action is in `x-amz-target`, errors carry their type in `x-amzn-errortype`. */
export function ecsRequestHandler(backend: EcsBackend) {
  return {
    async handle(request: HttpRequestLike) {
      const target = request.headers['x-amz-target'] ?? '';
      const action = target.slice(target.lastIndexOf('.') + 1);
      // The SDK sends the JSON body as a string or as bytes, depending on the protocol implementation.
      const text =
        request.body instanceof Uint8Array ? Buffer.from(request.body).toString('utf8') : request.body;
      const input = JSON.parse(typeof text === 'string' && text !== '' ? text : '{}');
      const answer = await backend(action, input);
      const isError = 'error' in answer;
      const body = isError ? { __type: answer.error, message: answer.message } : answer.ok;
      return {
        response: {
          statusCode: isError ? (answer.status ?? 400) : 200,
          reason: isError ? answer.error : 'OK',
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-requestid': 'test',
            ...(isError ? { 'x-amzn-errortype': answer.error } : {}),
          },
          body: Buffer.from(JSON.stringify(body)),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
  };
}

export const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
