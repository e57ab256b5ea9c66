/**
 * The Temporal SDK logs through our masking logger: an "Activity failed" line keeps the error's
 * type, a digest and its stack frames, never its message (which quotes what the activity worked
 * on), and the SDK's own message text is masked like any other line.
 */
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { createLogger } from '../../platform/logger';
import { temporalLogger } from '../../platform/temporal-logger';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(chunk.toString()), done()) });
  return { log: createLogger('debug', 'test', sink), lines };
}

test('an activity failure quoting a principal is logged without its message', () => {
  const { log, lines } = capture();
  const logger = temporalLogger(log);
  const error = ApplicationFailure.nonRetryable('iam ListAccessKeys zelphine.quarrington: NoSuchEntity: The user with name zelphine.quarrington cannot be found.', 'NoSuchEntity');
  logger.warn('Activity failed', { error, activityType: 'revokeAccessKeys', workflowId: 'playbook/abc/revoke', durationMs: 12 });
  expect(lines).toHaveLength(1);
  const line = JSON.parse(lines[0]!);
  expect(lines[0]).not.toContain('zelphine');
  expect(line).toMatchObject({ level: 40, component: 'temporal', msg: 'Activity failed', activityType: 'revokeAccessKeys', workflowId: 'playbook/abc/revoke' });
  expect(line.error).toEqual({ type: 'NoSuchEntity', message: expect.stringMatching(/^\[withheld: sha256 [0-9a-f]{12}\]$/), frames: expect.stringContaining(' at ') });
});

test('SDK message text and metadata are masked; levels map one to one', () => {
  const { log, lines } = capture();
  const logger = temporalLogger(log);
  logger.log('ERROR', 'workflow for patient Jane Roe 078-05-1120', { note: 'jane@example.org' });
  logger.debug('polling', {});
  const [error, debug] = lines.map((l) => JSON.parse(l));
  expect(error).toMatchObject({ level: 50, msg: 'workflow for patient [name] [ssn]', note: '[email]' });
  expect(debug).toMatchObject({ level: 20, msg: 'polling' });
});
