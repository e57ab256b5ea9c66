/**
 * The every-byte test. PHI markers — a name, a date of birth, an SSN, an MRN, an e-mail address and
 * a street address — are planted in every field of every source's payload that the source's schema
 * lets carry text (resource-id fields get the markers that are shaped like ids: the e-mail address,
 * the SSN, the MRN). They go through `npm start` itself (embedded Temporal on a SQLite file, the
 * worker, the ingress) as signed webhooks; every incident snapshots evidence, asks for approval in
 * Slack (the stand-in) and is approved there with a justification naming the patient, runs an AWS
 * playbook against moto that fails on a principal quoted in AWS's error, and one is resolved from
 * Slack with a reason naming the patient. Then every byte the system stored or emitted is searched:
 * every file under the data directory and the key folder (names too: Temporal's SQLite database,
 * the evidence store, the audit log), the process's stdout and stderr, every Slack call, the
 * dashboard page and API, /metrics, and the CLI's output. No marker may appear, in plain text, any
 * case, JSON- or URL-escaped, UTF-16, hex or base64.
 *
 * Not searched: what moto (the AWS stand-in) holds — a principal is an AWS user's name there by the
 * alert's own choice — and what leaves to the operator's own webhooks (none in this runbook).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { createAwsClients } from '../../activities/aws';
import { WEBHOOK_SOURCE_SPECS } from '../../ingress/alerts/sources';
import { parseDelivery } from '../../ingress/alerts/parse-delivery';
import { APPROVE_ACTION, JUSTIFY_VIEW } from '../../activities/slack/blocks';
import type { WebhookSource } from '../../platform/config';
import { fixture, signatureHeaders } from '../fixtures/alerts';
import { startMoto, type Moto } from '../support/moto';
import { waitFor } from '../support/runbooks';
import { signedSlackPost, slackStandin, type SlackStandin } from '../support/slack-standin';
import { cliArgs } from '../support/cli';

jest.setTimeout(600_000);

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

// ---- the markers ---------------------------------------------------------------------------------

const EMAIL = 'zelphine.q@example.org';
const SSN = '078-05-1120';
const MRN = 'MRN-7731904';
/** Free text: the name has no shape a pattern could catch; only withholding keeps it off screens. */
const PHI_TEXT = `Zelphine Quarrington 02/17/1931 ${SSN} ${MRN} ${EMAIL} 4417 Wobbleberry Lane`;
/** What must never be found, each in every encoding below. */
const MARKERS = ['Zelphine', 'Quarrington', '02/17/1931', '1931-02-17', SSN, '078051120', '7731904', EMAIL, 'Wobbleberry'];

function encodings(marker: string): Buffer[] {
  const plain = Buffer.from(marker, 'utf8');
  const base64 = [0, 1, 2].flatMap((shift) => {
    // The part of the base64 text that depends on the marker's bytes alone, at each alignment.
    const encoded = Buffer.concat([Buffer.alloc(shift), plain]).toString('base64');
    const inner = encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + plain.length)) / 6));
    return [inner, inner.replace(/\+/g, '-').replace(/\//g, '_')];
  });
  return [
    marker,
    marker.toLowerCase(),
    marker.toUpperCase(),
    JSON.stringify(marker).slice(1, -1),
    encodeURIComponent(marker),
    plain.toString('hex'),
    ...base64,
  ]
    .map((s) => Buffer.from(s, 'utf8'))
    .concat([Buffer.from(marker, 'utf16le')]);
}

const SEARCHED = MARKERS.flatMap((m) => encodings(m).map((bytes) => ({ marker: m, bytes })));

/** Where each marker was found, if anywhere: `what` names the file, log or response. */
function findings(what: string, content: Buffer | string): string[] {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return SEARCHED.filter(({ bytes: b }) => bytes.includes(b)).map(({ marker, bytes: b }) => `${what}: ${marker} (as ${JSON.stringify(b.toString('latin1').slice(0, 40))})`);
}

// ---- planting them -------------------------------------------------------------------------------

/**
 * Fields that name a resource containment acts on get markers shaped like ids: a principal named
 * by an e-mail address (it exists in moto), or by an SSN (it does not, and AWS's error quotes it).
 */
const idFields = (source: WebhookSource): Record<string, string> => ({
  principal: ['generic', 'guardduty'].includes(source) ? EMAIL : SSN,
  userName: EMAIL,
  iam_user: SSN,
  user: SSN,
  kmsKeyId: MRN,
  kms_key_id: MRN,
  accessKeyId: SSN,
  access_key_id: SSN,
});

/**
 * Every string in the payload gets PHI, one at a time, kept where the source's own parser still
 * accepts the delivery with as many alerts (a timestamp, an enum or an event type stays as it was).
 */
function planted(source: WebhookSource, original: string): string {
  const spec = WEBHOOK_SOURCE_SPECS[source];
  const alerts = (body: unknown) => {
    try {
      return parseDelivery(spec, Buffer.from(JSON.stringify(body))).length;
    } catch {
      return -1;
    }
  };
  const doc = JSON.parse(original) as unknown;
  const want = alerts(doc);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => (typeof item === 'string' ? tryLeaf(node, i) : visit(item)));
    if (node && typeof node === 'object') {
      for (const key of Object.keys(node)) {
        const value = (node as Record<string, unknown>)[key];
        if (typeof value === 'string') tryLeaf(node as Record<string, unknown>, key);
        else visit(value);
      }
    }
  };
  const tryLeaf = (parent: Record<string, unknown> | unknown[], key: string | number) => {
    const before = (parent as Record<string | number, unknown>)[key];
    // A sender's alert id keeps what made it unique: the same id on two alerts is refused (409).
    // So does its fingerprint: alerts the sender kept apart stay in their own incidents (one alone
    // names the principal AWS does not know, and a step takes its parameters from its incident's latest alert).
    const unique = key === 'id' || key === 'fingerprint';
    const candidates = unique ? [`${before} ${PHI_TEXT}`] : [idFields(source)[String(key)] ?? PHI_TEXT, `${before} ${PHI_TEXT}`];
    for (const candidate of candidates) {
      (parent as Record<string | number, unknown>)[key] = candidate;
      if (alerts(doc) === want) return;
    }
    (parent as Record<string | number, unknown>)[key] = before;
  };
  visit(doc);
  // Label maps and tags also get a label whose name is PHI.
  const withLabel = (labels: unknown) => labels && typeof labels === 'object' && ((labels as Record<string, string>)[PHI_TEXT.slice(0, 60)] = PHI_TEXT);
  const d = doc as Record<string, unknown>;
  if (source === 'generic') for (const a of (d.alerts as Record<string, unknown>[]) ?? [d]) withLabel(a.labels);
  if (source === 'alertmanager' || source === 'grafana') for (const a of d.alerts as Record<string, unknown>[]) withLabel(a.labels);
  if (source === 'datadog') d.tags = `${PHI_TEXT.replace(/,/g, ' ')},patient:${PHI_TEXT.replace(/,/g, ' ')}`;
  const body = JSON.stringify(doc);
  expect(alerts(doc)).toBe(want);
  expect(body).toContain('Zelphine');
  return body;
}

const FIXTURES: Record<WebhookSource, string> = {
  alertmanager: 'alertmanager',
  grafana: 'grafana',
  pagerduty: 'pagerduty-triggered',
  datadog: 'datadog',
  guardduty: 'guardduty',
  github: 'github-secret-scanning',
  eventbridge: 'eventbridge-access-analyzer',
  generic: 'generic',
};

// ---- the system ----------------------------------------------------------------------------------

const SECRET = { generic: 'every-byte-generic-secret-0123', pagerduty: 'every-byte-pagerduty-secret-01', grafana: 'every-byte-grafana-secret-0123', github: 'every-byte-github-secret-01234' };
const TOKEN = { alertmanager: 'every-byte-am-token-0123456789', datadog: 'every-byte-dd-token-0123456789', guardduty: 'every-byte-gd-token-0123456789', eventbridge: 'every-byte-eb-token-0123456789' };
const BOT_TOKEN = 'xoxb-every-byte';
const SIGNING_SECRET = 'every-byte-signing-secret';
const CHANNEL = 'C0EVERYBYTE';
const DASHBOARD_TOKEN = 'every-byte-dashboard-token-0123456789';
const METRICS_TOKEN = 'every-byte-metrics-token-0123456789';

function headersFor(source: WebhookSource, body: string): Record<string, string> {
  if (source === 'generic') return signatureHeaders.generic(SECRET.generic, body);
  if (source === 'pagerduty') return signatureHeaders.pagerduty([SECRET.pagerduty], body);
  if (source === 'grafana') return signatureHeaders.grafana(SECRET.grafana, body, Math.floor(Date.now() / 1000));
  if (source === 'github') return signatureHeaders.github(SECRET.github, body);
  return { authorization: `Bearer ${TOKEN[source]}` };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let moto: Moto;
let standin: SlackStandin;
let child: ChildProcess;
let output = '';
let env: NodeJS.ProcessEnv;
let ingressUrl: string;
let dataDir: string;
let configHome: string;
const emitted: { what: string; content: string }[] = [];

function runbooks(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tq-every-byte-runbooks-'));
  writeFileSync(join(dir, 'triage.yaml'), readFileSync(join(ROOT, 'runbooks', 'triage.yaml')));
  writeFileSync(
    join(dir, 'everything.yaml'),
    `id: everything
title: Every step that shows, stores or sends alert data
priority: 1000
match: [{ sources: [alertmanager, grafana, pagerduty, datadog, guardduty, github, eventbridge, generic] }]
phi: true
escalationGroup: leads
steps:
  - id: evidence-before
    type: snapshotEvidence
    with: { label: before }
  - id: tell
    type: notify
    with: { text: "\${alert.title} (\${alert.kind}, \${alert.severity})" }
    approval: { group: oncall, approvers: 1, timeout: 1h, finalTimeout: 1h }
  - id: revoke
    type: revokeCredentials
    with: { principal: "\${alert.subject.principal}", revokeSessions: false }
    continueOnError: true
  - id: evidence-after
    type: snapshotEvidence
    with: { label: after }
`,
  );
  return dir;
}

beforeAll(async () => {
  moto = await startMoto();
  const aws = createAwsClients({ region: moto.region, endpoint: moto.endpoint });
  // One principal exists (its key is deactivated); the SSN-shaped one does not, so AWS's error quotes it.
  await aws.iam.send(new CreateUserCommand({ UserName: EMAIL }));
  await aws.iam.send(new CreateAccessKeyCommand({ UserName: EMAIL }));
  standin = await slackStandin(BOT_TOKEN);

  dataDir = mkdtempSync(join(tmpdir(), 'tq-every-byte-data-'));
  configHome = mkdtempSync(join(tmpdir(), 'tq-every-byte-config-'));
  const settings = join(mkdtempSync(join(tmpdir(), 'tq-every-byte-settings-')), 'tourniquet.yaml');
  writeFileSync(
    settings,
    `approverGroups: { oncall: [U1, U2], leads: [U7] }
authority: { resolve: [oncall, leads], acknowledge: [oncall, leads] }
sources:
  generic: { hmacSecret: ${SECRET.generic} }
  pagerduty: { hmacSecret: ${SECRET.pagerduty} }
  grafana: { hmacSecret: ${SECRET.grafana} }
  alertmanager: { bearerToken: ${TOKEN.alertmanager} }
  datadog: { bearerToken: ${TOKEN.datadog} }
  guardduty: { bearerToken: ${TOKEN.guardduty} }
  github: { hmacSecret: ${SECRET.github} }
  eventbridge: { bearerToken: ${TOKEN.eventbridge} }
`,
  );
  const port = await freePort();
  ingressUrl = `http://127.0.0.1:${port}`;
  env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TOURNIQUET_|TEMPORAL_|SLACK_)/.test(k))),
    TOURNIQUET_CONFIG: settings,
    TOURNIQUET_DATA_DIR: dataDir,
    XDG_CONFIG_HOME: configHome,
    TOURNIQUET_RUNBOOKS_DIR: runbooks(),
    TOURNIQUET_PORT: String(port),
    TOURNIQUET_TEMPORAL_PORT: String(await freePort()),
    TOURNIQUET_TEMPORAL_UI_PORT: String(await freePort()),
    TOURNIQUET_LOG_LEVEL: 'debug',
    TOURNIQUET_DASHBOARD_TOKEN: DASHBOARD_TOKEN,
    TOURNIQUET_DASHBOARD_CACHE_SECONDS: '0',
    TOURNIQUET_METRICS_TOKEN: METRICS_TOKEN,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    TOURNIQUET_SLACK_CHANNEL: CHANNEL,
    SLACK_API_URL: standin.apiUrl,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: moto.region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
  // Its own process group, so a failed run can stop it with the Temporal server it started.
  child = spawn(TSX, [join(ROOT, 'worker', 'main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  for (let i = 0; !output.includes('ingress listening'); i++) {
    if (child.exitCode !== null || i > 1200) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  // The process's output, for reading when the test failed (it is what was searched).
  writeFileSync(join(tmpdir(), `tq-every-byte-${process.pid}.log`), output);
  if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  await standin?.close();
  await moto?.stop();
});

// ---- acting as people ----------------------------------------------------------------------------

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(...cliArgs(args), { cwd: ROOT, env }, (err, stdout, stderr) => {
      emitted.push({ what: `tourniquet ${args.join(' ')}`, content: stdout + stderr });
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout });
    });
  });
}

async function get(path: string, token?: string): Promise<string> {
  const res = await fetch(`${ingressUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  emitted.push({ what: `GET ${path}`, content: `${JSON.stringify([...res.headers])}\n${text}` });
  expect(res.status).toBe(200);
  return text;
}

interface Row {
  id: string;
  steps: { id: string; status: string }[];
}
const incident = async (id: string) => (JSON.parse(await get(`/dashboard/api/incident?id=${encodeURIComponent(id)}`, DASHBOARD_TOKEN)) as { incident: Row }).incident;

const slackEvents = (fields: Record<string, string>) => signedSlackPost(`${ingressUrl}/slack/events`, fields, { secret: SIGNING_SECRET });
let triggers = 0;

/** Approve in Slack as a person does: the button, then the modal with a justification. */
async function approveInSlack(user: string, incidentId: string, justification: string): Promise<void> {
  const message = await waitFor(
    async () => standin.callsOf('chat.postMessage').find((c) => JSON.stringify(c.args.blocks ?? '').includes(APPROVE_ACTION) && JSON.stringify(c.args.blocks).includes(incidentId)),
    (m) => m !== undefined,
    `approval message for ${incidentId}`,
    120_000,
  );
  const actions = (message!.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions')!;
  const value = actions.elements!.find((e) => e.action_id === APPROVE_ACTION)!.value;
  const opened = standin.callsOf('views.open').length;
  triggers += 1;
  const click = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy',
    trigger_id: `trigger-every-byte-${triggers}`,
    team: { id: 'T0001', domain: 'test' },
    channel: { id: CHANNEL, name: 'incidents' },
    container: { type: 'message', channel_id: CHANNEL, message_ts: '1.0' },
    response_url: standin.responseUrl(`click-${triggers}`),
    actions: [{ type: 'button', action_id: APPROVE_ACTION, block_id: 'approval', value, action_ts: `${Date.now() / 1000}` }],
  };
  expect((await slackEvents({ payload: JSON.stringify(click) })).status).toBe(200);
  const views = await waitFor(async () => standin.callsOf('views.open'), (v) => v.length > opened, 'views.open');
  const view = (views[views.length - 1]!.result as { view: { id: string; private_metadata: string } }).view;
  const submit = {
    type: 'view_submission',
    team: { id: 'T0001', domain: 'test' },
    user: { id: user, username: user.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy',
    trigger_id: `trigger-every-byte-submit-${triggers}`,
    view: {
      id: view.id,
      team_id: 'T0001',
      type: 'modal',
      callback_id: JUSTIFY_VIEW,
      private_metadata: view.private_metadata,
      hash: 'h',
      state: { values: { justification: { text: { type: 'plain_text_input', value: justification } } } },
    },
  };
  expect((await slackEvents({ payload: JSON.stringify(submit) })).status).toBe(200);
}

async function slash(user: string, text: string): Promise<void> {
  triggers += 1;
  const res = await slackEvents({
    token: 'legacy',
    team_id: 'T0001',
    team_domain: 'test',
    channel_id: CHANNEL,
    channel_name: 'incidents',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/ir',
    text,
    api_app_id: 'A0001',
    response_url: standin.responseUrl(`cmd-${triggers}`),
    trigger_id: `trigger-every-byte-cmd-${triggers}`,
  });
  expect(res.status).toBe(200);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(dir, e.name), ...filesUnder(join(dir, e.name))] : [join(dir, e.name)]));
}

// ---- the test ------------------------------------------------------------------------------------

test('PHI planted in every field of every source is found nowhere the system stored or emitted', async () => {
  const incidents = new Set<string>();
  for (const source of Object.keys(FIXTURES) as WebhookSource[]) {
    const body = planted(source, fixture(FIXTURES[source]));
    const res = await fetch(`${ingressUrl}/alerts/${source}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headersFor(source, body) }, body });
    const answer = await res.text();
    expect({ source, status: res.status, answer }).toMatchObject({ status: 202 });
    for (const id of (JSON.parse(answer) as { incidents: string[] }).incidents) incidents.add(id);
  }
  expect(incidents.size).toBeGreaterThanOrEqual(6);

  // Each incident: evidence, then approval in Slack (a justification naming the patient), then the rest.
  for (const id of incidents) {
    await approveInSlack('U1', id, `patient Zelphine Quarrington called back, SSN ${SSN} and ${MRN} confirmed`);
  }
  for (const id of incidents) {
    await waitFor(() => incident(id), (row) => row.steps.find((s) => s.id === 'evidence-after')?.status === 'succeeded', `${id} finished its runbook`, 180_000);
  }
  const first = [...incidents][0]!;
  await slash('U2', `resolve ${first} patient Zelphine Quarrington notified at ${EMAIL}`);
  await waitFor(() => incident(first), (row) => (row as unknown as { status: string }).status === 'resolved', 'resolved from Slack');

  // What it did is really there (so the search below is not of an empty system).
  const shown = await incident([...incidents][1]!);
  expect(shown.steps.map((s) => s.id)).toEqual(['evidence-before', 'tell', 'revoke', 'evidence-after']);
  const approvals = standin.callsOf('chat.postMessage').filter((c) => JSON.stringify(c.args.blocks ?? '').includes(APPROVE_ACTION));
  expect(approvals.length).toBe(incidents.size);
  expect(JSON.stringify(approvals)).toContain('[withheld]');
  const told = standin.callsOf('chat.postMessage').filter((c) => /\(.*, (high|critical|medium|low|info)\)/.test(String(c.args.text)));
  expect(told.length).toBeGreaterThanOrEqual(incidents.size);

  // Every surface a person reads.
  await get('/dashboard');
  await get('/dashboard/api/overview', DASHBOARD_TOKEN);
  for (const id of incidents) await get(`/dashboard/api/incident?id=${encodeURIComponent(id)}`, DASHBOARD_TOKEN);
  expect(await get('/metrics', METRICS_TOKEN)).toContain('tourniquet_alerts_accepted_total');
  expect((await cli('incidents', 'list', '--all')).code).toBe(0);
  expect((await cli('incidents', 'list', '--all', '--json')).code).toBe(0);
  for (const id of incidents) {
    expect((await cli('incidents', 'show', id)).code).toBe(0);
    expect((await cli('incidents', 'show', id, '--json')).code).toBe(0);
  }
  const verified = await cli('evidence', 'verify', first, '--json');
  expect(verified.code).toBe(0);
  expect(JSON.parse(verified.out).status).toBe('intact');
  expect((await cli('audit', 'verify')).code).toBe(0);
  expect((await cli('clocks')).code).toBe(0);
  expect((await cli('clocks', 'show', first, '--json')).code).toBe(0);

  // Stop the process, so Temporal's database and every log line are on disk and in hand.
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);

  const found: string[] = [];
  const files = [...filesUnder(dataDir), ...filesUnder(configHome)];
  const sqlite = files.filter((f) => /temporal\.sqlite/.test(f));
  expect(sqlite.length).toBeGreaterThan(0);
  expect(statSync(sqlite[0]!).size).toBeGreaterThan(100_000);
  expect(files.filter((f) => f.includes(`${join(dataDir, 'evidence', 'raw')}/`)).length).toBeGreaterThan(0);
  for (const path of files) {
    found.push(...findings(`file name ${relative(tmpdir(), path)}`, relative(tmpdir(), path)));
    if (statSync(path).isFile()) found.push(...findings(`file ${relative(tmpdir(), path)}`, readFileSync(path)));
  }
  found.push(...findings('npm start stdout+stderr', output));
  found.push(...findings('Slack calls', JSON.stringify(standin.calls)));
  for (const { what, content } of emitted) found.push(...findings(what, content));
  expect(found).toEqual([]);

  // The logs are the real thing: the SDK's failure lines are there, their messages withheld.
  expect(output).toMatch(/"msg":"Activity failed"/);
  expect(output).toMatch(/\[withheld: sha256 [0-9a-f]{12}\]/);
  expect(output.split('\n').filter((l) => l.startsWith('{')).length).toBeGreaterThan(50);
});
