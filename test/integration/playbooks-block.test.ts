/**
 * blockTraffic against moto's WAFv2 through a real Temporal dev server: addresses are added with
 * the IP set's lock token, other entries survive (even a concurrent change), blocks lift at expiry
 * or on undo, extensions move the expiry, bad input is refused, and a worker restart mid-block
 * ends in the same state with no repeated writes. An address two incidents block stays blocked
 * until the last of them lets go.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CreateIPSetCommand, GetIPSetCommand, UpdateIPSetCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import { createAwsPlanners, type IpSetRef } from '../../activities/aws';
import { sealPlan } from '../../domain/plan';
import { blockExpiryWorkflowId, blockStatusQuery, extendBlockUpdate, undoWorkflowId } from '../../workflows/playbooks/definitions';
import { blockExpiryWorkflow, blockTrafficWorkflow } from '../../workflows/playbooks/block-traffic';
import { undoContainmentWorkflow } from '../../workflows/playbooks/undo';
import { eventually, playbookStack, stepInput, type PlaybookStack } from '../support/aws-playbooks';
import { prove, undoRequest } from '../support/decisions';

jest.setTimeout(120_000);

let stack: PlaybookStack;
let conflictArmed = false;
const THEIRS = '198.51.100.7/32';
const CONCURRENT = '198.51.100.99/32';

beforeAll(async () => {
  stack = await playbookStack({}, {}, (clients) => {
    // A real concurrent writer: right before the playbook's first armed write, another client
    // changes the set, so the playbook's lock token is stale and WAF must refuse its write.
    clients.waf.middlewareStack.add(
      (next, context) => async (args) => {
        if (conflictArmed && context.commandName === 'UpdateIPSetCommand') {
          conflictArmed = false;
          const input = (args.input as { Name: string; Id: string; Scope: 'REGIONAL' });
          const other = new WAFV2Client({ region: stack.moto.region, endpoint: stack.moto.endpoint });
          const now = await other.send(new GetIPSetCommand(input));
          await other.send(
            new UpdateIPSetCommand({ ...input, Addresses: [...(now.IPSet!.Addresses ?? []), CONCURRENT], LockToken: now.LockToken! }),
          );
        }
        return next(args);
      },
      { step: 'initialize', name: 'concurrentWriter' },
    );
    return clients;
  });
});
afterAll(async () => stack?.teardown());

async function newIpSet(name: string, addresses: string[] = [THEIRS]): Promise<IpSetRef> {
  const made = await stack.admin.waf.send(
    new CreateIPSetCommand({ Name: name, Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: addresses }),
  );
  return { name, id: made.Summary!.Id!, scope: 'REGIONAL' };
}

async function addresses(ipSet: IpSetRef): Promise<string[]> {
  const got = await stack.admin.waf.send(new GetIPSetCommand({ Name: ipSet.name, Id: ipSet.id, Scope: ipSet.scope }));
  return [...(got.IPSet!.Addresses ?? [])].sort();
}

function run(input: ReturnType<typeof stepInput>) {
  return stack.env.client.workflow.execute(blockTrafficWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `playbook/${input.incidentId}/${input.stepId}`,
    args: [input],
  });
}

function expiryResult(input: ReturnType<typeof stepInput>) {
  return stack.env.client.workflow.getHandle<typeof blockExpiryWorkflow>(blockExpiryWorkflowId(input.incidentId, input.stepId)).result();
}

test('blocks the addresses next to existing entries, then lifts only its own at expiry', async () => {
  const ipSet = await newIpSet('edge-expiry');
  const input = stepInput('block', { cidrs: ['203.0.113.5', '192.0.2.0/24', '203.0.113.5/32'], duration: '2s', ipSet });
  // The dry-run plan reads the set; planning twice gives the same hash (an approval stays valid).
  const planner = createAwsPlanners({ aws: stack.admin, awsSettings: stack.config.aws }).blockTraffic!;
  const planInput = { type: 'blockTraffic', ...input };
  const plan = sealPlan(planInput, await planner(planInput));
  expect(plan.lines).toEqual(['add 203.0.113.5/32, 192.0.2.0/24 to WAF IP set edge-expiry (REGIONAL)', 'lift the block after 2s unless a responder extends it']);
  expect(sealPlan(planInput, await planner(planInput)).hash).toBe(plan.hash);

  const outcome = await run(input);
  expect(outcome.summary).toContain('blocked 203.0.113.5/32, 192.0.2.0/24');
  expect(outcome.undo).toMatchObject({ type: 'unblockTraffic', params: { cidrs: ['203.0.113.5/32', '192.0.2.0/24'] } });
  expect(await addresses(ipSet)).toEqual(['192.0.2.0/24', '198.51.100.7/32', '203.0.113.5/32']);

  const lifted = await expiryResult(input);
  expect(lifted.lifted).toMatchObject({ by: 'expiry' });
  expect(await addresses(ipSet)).toEqual([THEIRS]);
});

test('a concurrent change to the set is retried through, not lost', async () => {
  const ipSet = await newIpSet('edge-concurrent');
  conflictArmed = true;
  const before = stack.calls.filter((c) => c === 'wafv2:UpdateIPSet').length;
  await run(stepInput('block', { cidrs: ['203.0.113.77'], duration: '1h', ipSet }));
  expect(conflictArmed).toBe(false);
  expect(await addresses(ipSet)).toEqual([THEIRS, CONCURRENT, '203.0.113.77/32'].sort());
  // The first write was refused (stale lock token) and the retried activity wrote once more.
  expect(stack.calls.filter((c) => c === 'wafv2:UpdateIPSet').length - before).toBe(2);
});

test('an extension keeps the block past its expiry; the undo lifts it now', async () => {
  const ipSet = await newIpSet('edge-extend');
  const input = stepInput('block', { cidrs: ['203.0.113.9'], duration: '2s', ipSet });
  const outcome = await run(input);
  const expiry = stack.env.client.workflow.getHandle(blockExpiryWorkflowId(input.incidentId, input.stepId));
  await expect(expiry.executeUpdate(extendBlockUpdate, { args: [{ proof: prove('U1', 'block.extend', expiry.workflowId, { subject: { extendBy: 'soon' } }), extendBy: 'soon', reason: 'x' }] })).rejects.toThrow();
  const extended = await expiry.executeUpdate(extendBlockUpdate, { args: [{ proof: prove('U1', 'block.extend', expiry.workflowId, { subject: { extendBy: '1h' } }), extendBy: '1h', reason: 'still attacking' }] });
  expect(extended.extensions).toEqual([{ by: 'U1', extendBy: '1h', reason: 'still attacking' }]);
  await new Promise((r) => setTimeout(r, 3_000));
  expect(await addresses(ipSet)).toContain('203.0.113.9/32');
  expect((await expiry.query(blockStatusQuery)).lifted).toBeUndefined();

  const summary = await stack.env.client.workflow.execute(undoContainmentWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(input.incidentId, input.stepId),
    args: [undoRequest('U1', input.incidentId, input.stepId, outcome.undo!, 'false positive')],
  });
  expect(summary).toContain('unblocked 203.0.113.9/32');
  expect(await addresses(ipSet)).toEqual([THEIRS]);
  expect((await expiry.result()).lifted).toMatchObject({ by: 'U1', reason: 'false positive' });
});

test('refuses the whole internet, private ranges and malformed input, changing nothing', async () => {
  const ipSet = await newIpSet('edge-invalid');
  const err = await run(stepInput('block', { cidrs: ['0.0.0.0/0', '10.1.2.3', 'not-an-ip', '203.0.113.1'], ipSet })).catch((e) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause?.cause as { nonRetryable?: boolean; message: string; type?: string };
  expect(cause).toMatchObject({ nonRetryable: true, type: 'ValidationError' });
  expect(cause.message).toMatch(/0\.0\.0\.0\/0 would block every address/);
  expect(cause.message).toMatch(/10\.1\.2\.3 is a private or reserved range/);
  expect(cause.message).toMatch(/"not-an-ip" is not an IP address/);
  expect(await addresses(ipSet)).toEqual([THEIRS]);

  // allowPrivate lets a runbook block an internal range on purpose.
  await run(stepInput('block', { cidrs: ['10.1.2.3'], allowPrivate: true, duration: '1h', ipSet }));
  expect(await addresses(ipSet)).toEqual(['10.1.2.3/32', THEIRS]);
});

test('a worker stopped while the block waits: a new worker lifts it, each write made once', async () => {
  const ipSet = await newIpSet('edge-restart');
  const input = stepInput('block', { cidrs: ['203.0.113.44'], duration: '3s', ipSet });
  const writesBefore = stack.calls.filter((c) => c === 'wafv2:UpdateIPSet').length;
  await run(input);
  expect(await addresses(ipSet)).toEqual([THEIRS, '203.0.113.44/32'].sort());

  await stack.stopWorker();
  await new Promise((r) => setTimeout(r, 4_000)); // the expiry passes with no worker running
  expect(await addresses(ipSet)).toContain('203.0.113.44/32');
  await stack.startWorker();

  const lifted = await expiryResult(input);
  expect(lifted.lifted?.by).toBe('expiry');
  expect(await addresses(ipSet)).toEqual([THEIRS]);
  expect(stack.calls.filter((c) => c === 'wafv2:UpdateIPSet').length - writesBefore).toBe(2); // one add, one lift
  await eventually(async () => addresses(ipSet), (a) => a.length === 1, 'set stays lifted', 1_000);
});

test('two incidents block the same address: it stays until the last block ends; manual entries never go', async () => {
  const ipSet = await newIpSet('edge-shared');
  const shared = '203.0.113.60/32';
  const a = stepInput('block', { cidrs: ['203.0.113.60'], duration: '2s', ipSet }, `incident/shared-a-${Date.now().toString(36)}`);
  const b = stepInput('block', { cidrs: ['203.0.113.60', '198.51.100.7'], duration: '1h', ipSet }, `incident/shared-b-${Date.now().toString(36)}`);
  await run(a);
  // Visibility lists A's block a moment after it starts; B must see it to share the entry.
  await eventually(
    async () => stack.env.client.workflow.count(`WorkflowId = '${blockExpiryWorkflowId(a.incidentId, a.stepId)}' AND TourniquetBlockedCidrs = '${ipSet.id}|${shared}'`),
    (n) => n.count === 1,
    'block A visible',
  );
  const outcomeB = await run(b);
  // B holds the shared address too, but not the entry somebody added by hand.
  expect(outcomeB.summary).toContain(`${shared} also held by another incident's block`);
  expect(outcomeB.undo?.params.cidrs).toEqual([shared]);

  // A expires: B still needs the address, so it stays.
  expect((await expiryResult(a)).lifted?.by).toBe('expiry');
  expect(await addresses(ipSet)).toEqual([THEIRS, shared].sort());

  // B is undone: the last holder lets go, the manual entry stays.
  const summary = await stack.env.client.workflow.execute(undoContainmentWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(b.incidentId, b.stepId),
    args: [undoRequest('U1', b.incidentId, b.stepId, outcomeB.undo!, 'attack over')],
  });
  // The lifted expiry workflow and the undo both release it: whichever runs first removes it.
  expect(summary).toContain(`unblocked ${shared}`);
  expect(summary).not.toContain('kept');
  expect(await addresses(ipSet)).toEqual([THEIRS]);
});

test('an undo while another incident still blocks the address keeps it in place', async () => {
  const ipSet = await newIpSet('edge-shared-undo', []);
  const shared = '203.0.113.61/32';
  const a = stepInput('block', { cidrs: [shared], duration: '1h', ipSet }, `incident/undo-a-${Date.now().toString(36)}`);
  const b = stepInput('block', { cidrs: [shared], duration: '1h', ipSet }, `incident/undo-b-${Date.now().toString(36)}`);
  const outcomeA = await run(a);
  await eventually(
    async () => stack.env.client.workflow.count(`TourniquetBlockedCidrs = '${ipSet.id}|${shared}'`),
    (n) => n.count === 1,
    'block A visible',
  );
  const outcomeB = await run(b);
  await eventually(
    async () => stack.env.client.workflow.count(`TourniquetBlockedCidrs = '${ipSet.id}|${shared}'`),
    (n) => n.count === 2,
    'both blocks visible',
  );
  const undoA = await stack.env.client.workflow.execute(undoContainmentWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(a.incidentId, a.stepId),
    args: [undoRequest('U1', a.incidentId, a.stepId, outcomeA.undo!, 'wrong incident')],
  });
  expect(undoA).toContain(`${shared} kept: another incident's block holds them`);
  expect(await addresses(ipSet)).toEqual([shared]);

  await stack.env.client.workflow.execute(undoContainmentWorkflow, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: undoWorkflowId(b.incidentId, b.stepId),
    args: [undoRequest('U1', b.incidentId, b.stepId, outcomeB.undo!, 'attack over')],
  });
  expect(await addresses(ipSet)).toEqual([]);
});
