/**
 * IAM Identity Center account assignments for tests. moto has no sso-admin, so this local
 * endpoint speaks its JSON 1.1 protocol (X-Amz-Target `SWBExternalService.<Operation>`, AWS
 * error shapes, NextToken pages) to the real `@aws-sdk/client-sso-admin` client:
 * CreateAccountAssignment and DeleteAccountAssignment answer IN_PROGRESS with a request id, as
 * Identity Center does, and the Describe…Status calls report SUCCEEDED from the next ask on;
 * ListAccountAssignments pages one assignment at a time.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';

export interface Assignment {
  InstanceArn: string;
  AccountId: string;
  PermissionSetArn: string;
  PrincipalType: 'USER' | 'GROUP';
  PrincipalId: string;
}

type Body = Record<string, string | number | undefined>;

export async function ssoAdminEndpoint(known: { instanceArn: string; permissionSetArns: string[] }) {
  const assignments: Assignment[] = [];
  const requests = new Map<string, { status: { Status: string; RequestId: string; FailureReason?: string; [k: string]: unknown }; asked: number }>();
  const received: { target: string; body: Body }[] = [];
  const same = (a: Assignment, b: Body) => a.InstanceArn === b.InstanceArn && a.AccountId === b.TargetId && a.PermissionSetArn === b.PermissionSetArn && a.PrincipalType === b.PrincipalType && a.PrincipalId === b.PrincipalId;

  function fail(status: number, type: string, message: string) {
    return { status, body: { __type: type, message }, type };
  }

  function operate(op: string, body: Body): { status: number; body: unknown; type?: string } {
    const need = (...fields: string[]) => fields.find((f) => body[f] === undefined || body[f] === '');
    if (op === 'CreateAccountAssignment' || op === 'DeleteAccountAssignment') {
      const missing = need('InstanceArn', 'TargetId', 'TargetType', 'PermissionSetArn', 'PrincipalType', 'PrincipalId');
      if (missing) return fail(400, 'ValidationException', `${missing} is required`);
      if (body.InstanceArn !== known.instanceArn) return fail(400, 'ResourceNotFoundException', 'no such instance');
      if (!known.permissionSetArns.includes(String(body.PermissionSetArn))) return fail(400, 'ResourceNotFoundException', 'no such permission set');
      const RequestId = randomUUID();
      const status = { Status: 'IN_PROGRESS', RequestId, TargetId: body.TargetId, TargetType: body.TargetType, PermissionSetArn: body.PermissionSetArn, PrincipalType: body.PrincipalType, PrincipalId: body.PrincipalId, CreatedDate: Date.now() / 1000 };
      const index = assignments.findIndex((a) => same(a, body));
      if (op === 'CreateAccountAssignment') {
        if (index < 0) assignments.push({ InstanceArn: String(body.InstanceArn), AccountId: String(body.TargetId), PermissionSetArn: String(body.PermissionSetArn), PrincipalType: body.PrincipalType as 'USER', PrincipalId: String(body.PrincipalId) });
        requests.set(RequestId, { status, asked: 0 });
        return { status: 200, body: { AccountAssignmentCreationStatus: status } };
      }
      if (index >= 0) assignments.splice(index, 1);
      requests.set(RequestId, { status, asked: 0 });
      return { status: 200, body: { AccountAssignmentDeletionStatus: status } };
    }
    if (op === 'DescribeAccountAssignmentCreationStatus' || op === 'DescribeAccountAssignmentDeletionStatus') {
      const id = String(body.AccountAssignmentCreationRequestId ?? body.AccountAssignmentDeletionRequestId ?? '');
      const request = requests.get(id);
      if (!request) return fail(400, 'ResourceNotFoundException', `no request ${id}`);
      request.asked++;
      const status = { ...request.status, Status: 'SUCCEEDED' };
      return { status: 200, body: op.includes('Creation') ? { AccountAssignmentCreationStatus: status } : { AccountAssignmentDeletionStatus: status } };
    }
    if (op === 'ListAccountAssignments') {
      const missing = need('InstanceArn', 'AccountId', 'PermissionSetArn');
      if (missing) return fail(400, 'ValidationException', `${missing} is required`);
      const all = assignments.filter((a) => a.InstanceArn === body.InstanceArn && a.AccountId === body.AccountId && a.PermissionSetArn === body.PermissionSetArn);
      const from = Number(body.NextToken ?? 0);
      const page = all.slice(from, from + 1).map(({ AccountId, PermissionSetArn, PrincipalType, PrincipalId }) => ({ AccountId, PermissionSetArn, PrincipalType, PrincipalId }));
      return { status: 200, body: { AccountAssignments: page, ...(from + 1 < all.length ? { NextToken: String(from + 1) } : {}) } };
    }
    return fail(400, 'UnknownOperationException', `${op} is not served here`);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Body;
      received.push({ target, body });
      const [service, op = ''] = target.split('.');
      const answer = service === 'SWBExternalService' ? operate(op, body) : fail(400, 'UnknownOperationException', `not sso-admin: ${target}`);
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1', ...(answer.type ? { 'x-amzn-errortype': answer.type } : {}) });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = (c: { maxAttempts?: number } = {}) =>
    new SSOAdminClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: c.maxAttempts ?? 1 });
  return { endpoint, client, assignments, received, close: () => new Promise<void>((done) => server.close(() => done())) };
}
