/**
 * CloudTrail LookupEvents for tests. The AWS emulator (moto) has no LookupEvents, so this local
 * endpoint speaks CloudTrail's JSON 1.1 protocol (X-Amz-Target, pages with NextToken, AWS error
 * shapes) to the real SDK client, and records what the client sent.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';

export interface LookupRequest {
  LookupAttributes: { AttributeKey: string; AttributeValue: string }[];
  StartTime: number;
  EndTime: number;
  NextToken?: string;
}

/** An event as LookupEvents returns it (EventTime in epoch seconds). */
export interface TrailEvent {
  EventId: string;
  EventName: string;
  EventSource?: string;
  EventTime: number;
  Username?: string;
  Resources?: { ResourceType: string; ResourceName: string }[];
  CloudTrailEvent: string;
}

/**
 * Answers LookupEvents from `pages` (each page one response: that many CreateAccessKey events of
 * the user asked for), or from `answer`, which gives the pages for each request; or with `error`.
 */
export async function cloudTrailEndpoint(pages: number[] | ((req: LookupRequest) => TrailEvent[][]), error?: { status: number; type: string }) {
  const received: { target: string; body: LookupRequest }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as LookupRequest;
      received.push({ target: String(req.headers['x-amz-target']), body });
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (error) {
        res.writeHead(error.status, { 'x-amzn-errortype': error.type });
        res.end(JSON.stringify({ __type: error.type, message: 'refused by the test endpoint' }));
        return;
      }
      const page = Number(body.NextToken ?? 0);
      if (typeof pages === 'function') {
        const answer = pages(body);
        res.end(JSON.stringify({ Events: answer[page] ?? [], ...(page + 1 < answer.length ? { NextToken: String(page + 1) } : {}) }));
        return;
      }
      const events = Array.from({ length: pages[page]! }, (_, i) => ({
        EventId: `ev-${page}-${i}`,
        EventName: 'CreateAccessKey',
        EventTime: body.EndTime - i,
        Username: body.LookupAttributes[0]!.AttributeValue,
        CloudTrailEvent: JSON.stringify({ eventName: 'CreateAccessKey', sourceIPAddress: '203.0.113.5' }),
      }));
      res.end(JSON.stringify({ Events: events, ...(page + 1 < pages.length ? { NextToken: String(page + 1) } : {}) }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const client = new CloudTrailClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  return { client, received, close: () => new Promise<void>((done) => server.close(() => done())) };
}
