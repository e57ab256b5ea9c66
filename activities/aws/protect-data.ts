import { createHash } from 'node:crypto';
import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { ListObjectVersionsCommand, type ListObjectVersionsCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { finalFailure } from '../errors';
import type { StepInput } from '../step';
import { call, collectPages, readOptional } from './calls';
import type { AwsClients } from './clients';
import { parsePolicy, describeStatement, type PolicyStatement } from './key-policy';
import { parseParams } from './params';
import { readBucketPolicy } from './public-access';
import { recordWrite } from './ledger';

/**
 * protectDataStore: ransomware on a data store. The writer is denied writes and deletes on the
 * bucket (one bucket-policy statement, named after the step so the undo removes exactly it), the
 * bucket's object versions are counted as evidence of what was overwritten or deleted (keys are
 * never recorded: they can name patients), and an RDS instance or cluster the alert names gets a
 * manual snapshot, which outlives the incident and is never deleted by an undo.
 */
export const ProtectDataStoreParams = z
  .object({
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
    /** the writer: an IAM user or role ARN, or a name with its type and account */
    principalArn: z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/, 'an IAM or STS principal ARN').optional(),
    principal: z.string().min(1).max(512).optional(),
    principalType: z.enum(['iam-user', 'assumed-role', 'federated-user', 'root', 'aws-service', 'unknown']).default('unknown'),
    accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id').optional(),
    dbInstance: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'an RDS DB instance identifier').optional(),
    dbCluster: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'an RDS DB cluster identifier').optional(),
    /** at most this many object versions are counted (a listing of millions would never end) */
    versionsLimit: z.number().int().min(1).max(100_000).default(10_000),
  })
  .strict();
export type ProtectDataStoreParams = z.infer<typeof ProtectDataStoreParams>;

/** What a writer may no longer do to the bucket. */
export const DENIED_WRITES = ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl', 's3:PutLifecycleConfiguration', 's3:PutBucketVersioning'];

export interface ProtectDataPlan {
  bucket: {
    name: string;
    principalArn: string;
    /** named (Sid) after the step, so the undo removes exactly it */
    statement: PolicyStatement & { Sid: string };
    /** the deny is already in the policy */
    already: boolean;
    versions: { objects: number; noncurrent: number; deleteMarkers: number; truncated: boolean; digest: string };
  } | null;
  snapshot: { kind: 'instance' | 'cluster'; source: string; snapshotId: string; exists: boolean } | null;
}

/** The role of a role session (`arn:aws:sts::…:assumed-role/<role>/<session>`): a bucket policy names the role. */
function writerArn(params: ProtectDataStoreParams): string {
  if (params.principalArn) {
    const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(params.principalArn);
    return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : params.principalArn;
  }
  if (!params.principal || !params.accountId) {
    throw finalFailure('protectDataStore: the writer is not known (no principalArn, or no principal with its accountId); nothing was changed', 'ValidationError');
  }
  if (params.principalType === 'iam-user') return `arn:aws:iam::${params.accountId}:user/${params.principal}`;
  if (params.principalType === 'assumed-role') return `arn:aws:iam::${params.accountId}:role/${params.principal}`;
  throw finalFailure(`protectDataStore: a ${params.principalType} writer cannot be named in a bucket policy by name; give its principalArn. Nothing was changed`, 'ValidationError');
}

/** Deterministic per incident and step, so a retried snapshot finds the one it made. */
function snapshotId(request: Pick<StepInput, 'incidentId' | 'stepId'>, source: string): string {
  const digest = createHash('sha256').update(`${request.incidentId}/${request.stepId}`).digest('hex').slice(0, 12);
  return `tourniquet-${source}`.slice(0, 40).replace(/-+$/, '') + `-${digest}`;
}

export function statementSid(request: Pick<StepInput, 'incidentId' | 'stepId'>): string {
  return `TourniquetDenyWrites${createHash('sha256').update(`${request.incidentId}/${request.stepId}`).digest('hex').slice(0, 12)}`;
}

/** S3 has no paginate helper for ListObjectVersions: its pages, by key and version-id marker. */
async function* objectVersionPages(s3: S3Client, bucket: string): AsyncIterable<ListObjectVersionsCommandOutput> {
  let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, ...markers }));
    yield page;
    if (!page.IsTruncated) return;
    markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
}

async function countVersions(s3: S3Client, bucket: string, limit: number): Promise<NonNullable<ProtectDataPlan['bucket']>['versions']> {
  const entries = await collectPages(
    `s3 ListObjectVersions ${bucket}`,
    objectVersionPages(s3, bucket),
    (page) => [
      ...(page.Versions ?? []).map((v) => ({ kind: v.IsLatest ? 'current' : 'noncurrent', key: v.Key ?? '', id: v.VersionId ?? '' })),
      ...(page.DeleteMarkers ?? []).map((m) => ({ kind: 'marker', key: m.Key ?? '', id: m.VersionId ?? '' })),
    ],
    limit + 1,
  );
  const counted = entries.slice(0, limit);
  // The digest pins the listing (keys and version ids) without recording a key anywhere.
  const digest = createHash('sha256').update(counted.map((e) => `${e.kind}\u0000${e.key}\u0000${e.id}`).sort().join('\n')).digest('hex');
  return {
    objects: counted.filter((e) => e.kind === 'current').length,
    noncurrent: counted.filter((e) => e.kind === 'noncurrent').length,
    deleteMarkers: counted.filter((e) => e.kind === 'marker').length,
    truncated: entries.length > limit,
    digest: `sha256:${digest}`,
  };
}

async function snapshotExists(rds: RDSClient, kind: 'instance' | 'cluster', id: string): Promise<boolean> {
  const out =
    kind === 'instance'
      ? await readOptional(`rds DescribeDBSnapshots ${id}`, () => rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id })))
      : await readOptional(`rds DescribeDBClusterSnapshots ${id}`, () => rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id })));
  if (!out) return false;
  return ('DBSnapshots' in out ? out.DBSnapshots : (out as { DBClusterSnapshots?: unknown[] }).DBClusterSnapshots)?.length !== 0;
}

export async function prepareProtectDataStore(deps: { aws: AwsClients }, request: Pick<StepInput, 'incidentId' | 'stepId' | 'params'>): Promise<ProtectDataPlan> {
  const params = parseParams(ProtectDataStoreParams, 'protectDataStore', request.params);
  if (!params.bucket && !params.dbInstance && !params.dbCluster) {
    throw finalFailure('protectDataStore: the step names no bucket and no database (the alert gave neither); nothing was changed', 'ValidationError');
  }
  let bucket: ProtectDataPlan['bucket'] = null;
  if (params.bucket) {
    const principalArn = writerArn(params);
    const statement: PolicyStatement & { Sid: string } = {
      Sid: statementSid(request),
      Effect: 'Deny',
      Principal: { AWS: principalArn },
      Action: DENIED_WRITES,
      Resource: [`arn:aws:s3:::${params.bucket}`, `arn:aws:s3:::${params.bucket}/*`],
    };
    const text = await readBucketPolicy(deps.aws.s3, params.bucket);
    const already = text !== null && parsePolicy(text, `the bucket policy of ${params.bucket}`).Statement.some((s) => s.Sid === statement.Sid);
    bucket = { name: params.bucket, principalArn, statement, already, versions: await countVersions(deps.aws.s3, params.bucket, params.versionsLimit) };
  }
  let snapshot: ProtectDataPlan['snapshot'] = null;
  const db = params.dbCluster ? { kind: 'cluster' as const, source: params.dbCluster } : params.dbInstance ? { kind: 'instance' as const, source: params.dbInstance } : null;
  if (db) {
    const id = snapshotId(request, db.source);
    snapshot = { ...db, snapshotId: id, exists: await snapshotExists(deps.aws.rds, db.kind, id) };
  }
  return { bucket, snapshot };
}

export function describeProtectDataStore(plan: ProtectDataPlan): { lines: string[]; changes: unknown } {
  const lines: string[] = [];
  const b = plan.bucket;
  if (b) {
    const v = b.versions;
    lines.push(
      b.already
        ? `the bucket policy of S3 bucket ${b.name} already denies ${b.principalArn} writes and deletes`
        : `add to the bucket policy of S3 bucket ${b.name}: ${describeStatement(b.statement)} (removed by the undo)`,
      `record as evidence the object versions of ${b.name}: ${v.objects} current, ${v.noncurrent} older version(s), ${v.deleteMarkers} delete marker(s)${v.truncated ? ' (listing cut short at the limit)' : ''}; listing ${v.digest}`,
    );
  }
  const s = plan.snapshot;
  if (s) {
    lines.push(
      s.exists
        ? `RDS ${s.kind} snapshot ${s.snapshotId} of ${s.source} already taken by this step`
        : `take a manual RDS ${s.kind} snapshot ${s.snapshotId} of ${s.source} (kept after the incident; the undo does not delete it)`,
    );
  }
  return { lines, changes: plan };
}

export function createProtectDataActivities(rds: RDSClient) {
  return {
    /** A manual snapshot named by the step: one that exists already is this step's. */
    async snapshotDatabase(input: { kind: 'instance' | 'cluster'; source: string; snapshotId: string }): Promise<{ created: boolean }> {
      if (await snapshotExists(rds, input.kind, input.snapshotId)) return { created: false };
      if (input.kind === 'instance') {
        await call(`rds CreateDBSnapshot ${input.source}`, () => rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: input.source, DBSnapshotIdentifier: input.snapshotId })));
      } else {
        await call(`rds CreateDBClusterSnapshot ${input.source}`, () =>
          rds.send(new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: input.source, DBClusterSnapshotIdentifier: input.snapshotId })),
        );
      }
      await recordWrite({ api: input.kind === 'instance' ? 'rds:CreateDBSnapshot' : 'rds:CreateDBClusterSnapshot', resource: input.source, before: null, after: { snapshot: input.snapshotId } });
      return { created: true };
    },
  };
}
