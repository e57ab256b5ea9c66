/**
 * Where Tourniquet sends requests: https, or plain http to a loopback address only. One rule
 * (platform/secure-url.ts) for settings, for `webhook` steps when the runbook loads, and for the
 * URL a step resolves when it runs; a redirect is not followed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { createWebhookActivities } from '../../activities/webhook';
import { insecureUrlReason, isLoopbackHost } from '../../platform/secure-url';
import { parseRunbook, RunbookError } from '../../runbooks';
import { httpTarget } from '../support/http-target';

test.each([
  ['localhost', true],
  ['LOCALHOST', true],
  ['127.0.0.1', true],
  ['127.255.3.4', true],
  ['::1', true],
  ['[::1]', true],
  ['0:0:0:0:0:0:0:1', true],
  ['0.0.0.0', false],
  ['::', false],
  ['128.0.0.1', false],
  ['10.0.0.1', false],
  ['localhost.example.com', false],
  ['127.0.0.1.nip.io', false],
  ['', false],
])('isLoopbackHost(%j) is %s', (host, loopback) => {
  expect(isLoopbackHost(host)).toBe(loopback);
});

test.each([
  ['https://soar.example.com/hook', undefined],
  ['http://127.0.0.1:9000/hook', undefined],
  ['http://localhost/hook', undefined],
  ['http://[::1]:9000/hook', undefined],
  ['http://127.1/hook', undefined], // the URL parser reads this as 127.0.0.1
  ['http://soar.example.com/hook', /http:\/\/soar\.example\.com would travel unencrypted/],
  ['http://user:secret@soar.example.com/hook', /^http:\/\/soar\.example\.com would travel/], // credentials never quoted
  ['http://127.0.0.1.nip.io/hook', /would travel unencrypted/],
  ['ftp://files.example.com/x', /must be an https URL \(got ftp\)/],
  ['not a url', /not a URL/],
])('insecureUrlReason(%j)', (url, reason) => {
  const got = insecureUrlReason(url);
  if (reason === undefined) expect(got).toBeUndefined();
  else expect(got).toMatch(reason);
});

describe('webhook step', () => {
  const runbook = (url: string) => `id: tell-soar\ntitle: Tell the SOAR\nsteps:\n  - id: call\n    type: webhook\n    with: { url: "${url}" }\n`;
  const problems = (text: string) => {
    try {
      parseRunbook('runbooks/tell-soar.yaml', text, new Set(['webhook']));
      return [];
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      return err.problems;
    }
  };

  test('a literal plain-http URL elsewhere stops the runbook at load, with file, line and field', () => {
    expect(problems(runbook('http://soar.example.com/hook'))).toEqual([
      { file: 'runbooks/tell-soar.yaml', line: 6, field: 'steps.0.with.url', message: expect.stringMatching(/would travel unencrypted/) },
    ]);
    expect(problems(runbook('https://soar.example.com/hook'))).toEqual([]);
    expect(problems(runbook('http://127.0.0.1:9000/hook'))).toEqual([]);
    // Built from the alert: known only when the step runs.
    expect(problems(runbook('http://${alert.labels.soar}/hook'))).toEqual([]);
  });

  const input = (url: string) => ({ incidentId: 'incident/x', stepId: 'call', params: { url } });

  test('a URL resolved to plain http elsewhere is a final failure when the step runs, and nothing is sent', async () => {
    const target = await httpTarget();
    try {
      const err = await createWebhookActivities().callWebhook(input('http://soar.example.com/hook')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'ValidationError', nonRetryable: true, message: expect.stringMatching(/param "url": http:\/\/soar\.example\.com would travel unencrypted/) });
      expect(await createWebhookActivities().callWebhook(input(`${target.url}/ok`))).toEqual({ summary: expect.stringContaining('answered 200') });
      expect(target.requests.map((r) => r.path)).toEqual(['/ok']);
    } finally {
      await target.close();
    }
  });

  test('a redirect is not followed: it could lead to plain http, with the payload sent again', async () => {
    const landed: string[] = [];
    const server = createServer((req, res) => {
      if (req.url === '/hook') {
        res.writeHead(307, { location: '/landed' });
        res.end();
      } else {
        landed.push(req.url ?? '');
        res.end('{}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const err = await createWebhookActivities().callWebhook(input(url)).catch((e: unknown) => e);
      expect(err).toMatchObject({ type: 'WebhookRejected', nonRetryable: true, message: expect.stringMatching(/answered 307: redirects are not followed/) });
      expect(landed).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
