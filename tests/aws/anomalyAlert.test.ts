/**
 * Anomaly alerts at the SDK boundary: with ACE_ALERTS_TOPIC_ARN set, a job whose checks flag values
 * sends exactly one SNS Publish to that topic naming them; no flag, no publish; a failed publish
 * leaves the flags as warnings and does not fail the job; --fail-on-anomaly fails before any alert.
 */
import { mockClient } from 'aws-sdk-client-mock';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { checkAnomalies } from '../../jobs/steps/anomaly-checks';
import { Series } from '../../src/rules/anomaly';
import { loadConfig } from '../../src/config/config';
import type { JobContext } from '../../src/run/context';
import { addDays, BusinessDate } from '../../src/time/time';
import { awsError, sent } from './sdk';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ace-unit-alerts';
const DATE = '2026-03-15';

/** 14 dates of 50, then `value` on DATE. */
function series(value: number): Series[] {
  const values = new Map<string, number>();
  for (let i = 14; i >= 1; i--) values.set(addDays(DATE as BusinessDate, -i), 50);
  values.set(DATE, value);
  return [{ scope: 'client', subject: 'c-drop', metric: 'delivered', kind: 'count', floor: 0, values }];
}

/** The part of a JobContext checkAnomalies uses. */
function fakeContext(flags: { failOnAnomaly?: boolean } = {}): JobContext & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    job: 'ace_unit_calc_daily',
    period: { kind: 'date', date: DATE },
    periodValue: DATE,
    runId: '20260316T091500000Z-0badcafe',
    config: loadConfig({ ACE_LAKE_ROOT: '/tmp/unused', ACE_ALERTS_TOPIC_ARN: TOPIC }),
    flags,
    warnings,
    warn: (m: string) => void warnings.push(m),
  } as unknown as JobContext & { warnings: string[] };
}

describe('anomaly alert on the alerts topic', () => {
  const sns = new SNSClient({ region: 'us-east-1' });
  const mock = mockClient(sns);
  beforeEach(() => mock.reset());

  test('a flag: one Publish to ACE_ALERTS_TOPIC_ARN naming it, and a warning', async () => {
    mock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const ctx = fakeContext();
    const flags = await checkAnomalies(ctx, series(5), [DATE], sns);
    expect(flags).toHaveLength(1);
    const calls = sent(mock);
    expect(calls).toHaveLength(1);
    const [name, input] = calls[0] as [string, { TopicArn: string; Subject: string; Message: string }];
    expect(name).toBe('PublishCommand');
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.Subject).toBe(`ace-unit: 1 anomaly in ace_unit_calc_daily ${DATE}`);
    expect(input.Message).toContain(`anomaly: client c-drop delivered on ${DATE} = 5, outside [`);
    expect(ctx.warnings).toEqual([expect.stringMatching(/^anomaly: client c-drop delivered on 2026-03-15 = 5/)]);
  });

  test('no flag: no Publish', async () => {
    expect(await checkAnomalies(fakeContext(), series(52), [DATE], sns)).toEqual([]);
    expect(sent(mock)).toEqual([]);
  });

  test('a failed Publish is a warning; the flags stand', async () => {
    mock.on(PublishCommand).rejects(awsError('AuthorizationErrorException', 'not authorized to perform SNS:Publish'));
    const ctx = fakeContext();
    expect(await checkAnomalies(ctx, series(5), [DATE], sns)).toHaveLength(1);
    expect(ctx.warnings[1]).toContain(`could not publish the anomaly alert to ${TOPIC} (not authorized to perform SNS:Publish)`);
  });

  test('--fail-on-anomaly: the job fails (exit 4) before any alert', async () => {
    await expect(checkAnomalies(fakeContext({ failOnAnomaly: true }), series(5), [DATE], sns)).rejects.toMatchObject({ code: 'bad_input', message: expect.stringContaining('1 anomaly (--fail-on-anomaly)') });
    expect(sent(mock)).toEqual([]);
  });
});
