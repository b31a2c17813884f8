/** Helpers for the AWS boundary tests: the exact commands a mocked client received, and a fake clock. */
import type { AwsStub } from 'aws-sdk-client-mock';
import type { Clock } from '../../src/aws/poll';

/** Every command the client received, in order, as `[CommandName, input]`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function sent(mock: AwsStub<any, any, any>): [string, unknown][] {
  return mock.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: unknown };
    return [command.constructor.name, command.input];
  });
}

/** A clock whose sleep advances time instantly; `slept` records each wait. */
export function fakeClock(start = 1_000_000): Clock & { slept: number[] } {
  let t = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
  };
}

/** An SDK-style service error (what the v3 clients throw: name = the service's error code). */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}
