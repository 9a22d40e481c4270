/** The demo cannot go on; the message says why and what to do. Printed without a stack trace. */
export class DemoError extends Error {
  override name = 'DemoError';
}
