import { WEBHOOK_SOURCES, type WebhookSource } from '../domain/alert';
import { DURATION_HINT, DURATION_PATTERN, parseDurationMs } from '../domain/duration';
import { DEFAULT_INCIDENT_ROLES } from '../domain/roles';
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { unknownSettings } from './unknown-settings';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CLOCKS_ENV_SETTINGS, ClocksSchema } from './clocks-config';
import { DRILLS_ENV_SETTINGS, DrillsSchema } from './drills-config';
import { FOLLOW_UPS_ENV_SETTINGS, FollowUpsSchema, ReviewsSchema } from './follow-ups-config';
import { WORKER_ENV_SETTINGS, WorkerSchema } from './worker-config';
import { SEVERITY_ENV_SETTINGS, SeveritySchema } from './severity-config';
import { plainHttpRefusal, secureUrl } from './secure-url';
import { ACCESS_ENV_SETTINGS, AccessSchema } from './access-config';
import { AuthoritySchema, DecisionsSchema, IDENTITY_ENV_SETTINGS, OperatorsSchema, PeopleSchema } from './identity-config';

/**
 * Configuration is read and validated once at start. Sources, later winning:
 * built-in defaults, the YAML file named by TOURNIQUET_CONFIG (or ./tourniquet.yaml if present),
 * then the environment variables listed in ENV_SETTINGS.
 */

const port = z.coerce.number().int().min(0).max(65535);

/** Alert sources that post webhooks to /alerts/<source> (domain/alert.ts). */
export { WEBHOOK_SOURCES, type WebhookSource } from '../domain/alert';

/** "true"/"false" from the environment; z.coerce.boolean would read "false" as true. */
const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

const SourceAuthSchema = z
  .object({
    hmacSecret: z.string().min(16, 'at least 16 characters').optional(),
    bearerToken: z.string().min(16, 'at least 16 characters').optional(),
    /** signed timestamps older or newer than this are replays: 401 */
    replayWindowSeconds: z.coerce.number().int().min(1).max(86_400).default(300),
    /** unset: only `generic`, and only while the ingress listens on a loopback address */
    allowUnauthenticated: flag.optional(),
    /** show this source's free text (titles, summaries, labels) to people, masked; default: withheld */
    showTitles: flag.default(false),
  })
  .prefault({});

/** Manual incidents (declared with /ir): their titles were typed by a person. */
const ManualSourceSchema = z.object({ showTitles: flag.default(false) }).prefault({});

/** `id:base64,id:base64` from the environment, or a list of {id, key} from the file. */
const CodecKeysSchema = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v.split(',').filter(Boolean).map((pair) => ({ id: pair.slice(0, pair.indexOf(':')), key: pair.slice(pair.indexOf(':') + 1) }))
      : v,
  z.array(
    z.object({
      id: z.string().regex(/^[\w.-]+$/, 'letters, digits, dot, dash, underscore'),
      key: z.string().refine((k) => Buffer.from(k, 'base64').length === 32 && Buffer.from(k, 'base64').toString('base64') === k, 'base64 of exactly 32 bytes'),
    }),
  ),
);

const commaList = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.string()));

const CodecSchema = z
  .object({
    keys: CodecKeysSchema.default([]),
    activeKeyId: z.string().optional(),
    kms: z.object({ keyId: z.string().min(1) }).optional(),
    /** where the generated key lives when no key is configured; default `$XDG_CONFIG_HOME/tourniquet/keys/codec-keys.json` */
    keyFile: z.string().optional(),
    /** the codec endpoint for the Temporal UI: off unless a bearer token is set */
    endpointToken: z.string().min(16, 'at least 16 characters').optional(),
    /** origins (the Temporal UI) allowed to call the codec endpoint from a browser */
    corsOrigins: commaList.default([]),
    /**
     * Migration only: let payloads that are not encrypted through (histories recorded before
     * encryption). Off, a plaintext payload is refused: a client without the key cannot send an
     * update, signal or start a workflow that a worker would read.
     */
    acceptPlaintext: flag.default(false),
  })
  .prefault({})
  .superRefine((codec, ctx) => {
    if (codec.keys.length === 0) return;
    const active = codec.activeKeyId ?? (codec.keys.length === 1 ? codec.keys[0]!.id : undefined);
    if (!active) ctx.addIssue({ code: 'custom', path: ['activeKeyId'], message: 'required when several keys are configured' });
    else if (!codec.keys.some((k) => k.id === active)) ctx.addIssue({ code: 'custom', path: ['activeKeyId'], message: `no configured key has id ${active}` });
  });

const EvidenceSchema = z
  .object({
    /** local write-once directory; default `<dataDir>/evidence` */
    dir: z.string().optional(),
    /** S3 with Object Lock (compliance mode) instead of the local directory */
    s3: z
      .object({
        bucket: z.string().min(3),
        prefix: z.string().default(''),
        retentionDays: z.coerce.number().int().min(1).default(2190),
        /** SSE-KMS key (id, ARN or alias) S3 encrypts every object with, on top of our own encryption */
        kmsKeyId: z.string().min(1).optional(),
      })
      .optional(),
    /** look up recent CloudTrail events for the subject principal in each snapshot */
    cloudTrail: flag.default(false),
    cloudTrailLookbackHours: z.coerce.number().int().min(1).max(2160).default(24),
  })
  .prefault({});

const AuditSchema = z
  .object({
    /** default `<dataDir>/audit.log` */
    path: z.string().optional(),
    /** extra field names masked wherever they appear in an audit record (on top of the built-in list) */
    sensitiveFields: commaList.default([]),
    /** anchor the chain head (signed, in the evidence store and beside the key) every this many records */
    anchorEvery: z.coerce.number().int().min(1).default(100),
    /** …and, while the ledger grows, at least this often */
    anchorEverySeconds: z.coerce.number().int().min(1).default(60),
    /** the anchor signing key (Ed25519, PKCS#8 PEM); default `<keyDir>/audit-anchor.key`: never in the data directory */
    anchorKeyPath: z.string().optional(),
    /** for a read-only verifier: the anchor public key (SPKI PEM) instead of the signing key */
    anchorPublicKeyPath: z.string().optional(),
    /**
     * The shared ledger for more than one machine: one chain in PostgreSQL for every process
     * (README: running in production). Unset: the file at `path`.
     */
    postgres: z
      .object({
        url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL'),
        /** connections each process keeps */
        poolSize: z.coerce.number().int().min(1).max(50).default(4),
      })
      .optional(),
  })
  .prefault({});

export const ConfigSchema = z.object({
  dataDir: z.string().default('.data'),
  /** keys that must not sit beside the data they protect; default `$XDG_CONFIG_HOME/tourniquet/keys` (`~/.config/…`) */
  keyDir: z.string().optional(),
  runbooksDir: z.string().default('runbooks'),
  temporal: z
    .object({
      /** host:port of an existing cluster or Temporal Cloud; unset = embedded dev server. */
      address: z.string().min(1).optional(),
      namespace: z.string().min(1).default('default'),
      taskQueue: z.string().min(1).default('tourniquet'),
      apiKey: z.string().min(1).optional(),
      tls: z
        .object({
          serverName: z.string().optional(),
          caPath: z.string().optional(),
          certPath: z.string().optional(),
          keyPath: z.string().optional(),
        })
        .optional(),
      /** Embedded dev server ports (frontend gRPC and the web UI). */
      embeddedPort: port.default(7233),
      embeddedUiPort: port.default(8233),
      /** Where links to the Temporal UI point. */
      uiUrl: z.string().url().optional(),
    })
    .prefault({}),
  ingress: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: port.default(8080),
      maxBodyBytes: z.coerce.number().int().positive().default(256 * 1024),
      /** a request body must arrive whole within this many ms of its headers; slower senders get 408 */
      bodyTimeoutMs: z.coerce.number().int().min(100).max(300_000).default(10_000),
      /** PEM certificate (chain) and key served over HTTPS, reloaded when the files change */
      tls: z.object({ certPath: z.string().min(1).optional(), keyPath: z.string().min(1).optional() }).optional(),
      /** where the CLI reaches the operator API; default: the URL `npm start` recorded, else host and port */
      url: z.string().url().optional(),
    })
    .prefault({})
    .superRefine((ingress, ctx) => {
      const { certPath, keyPath } = ingress.tls ?? {};
      if (certPath && !keyPath) ctx.addIssue({ code: 'custom', path: ['tls', 'keyPath'], message: 'required with ingress.tls.certPath' });
      if (keyPath && !certPath) ctx.addIssue({ code: 'custom', path: ['tls', 'certPath'], message: 'required with ingress.tls.keyPath' });
      const refusal = certPath || keyPath ? undefined : plainHttpRefusal(ingress.host);
      if (refusal) ctx.addIssue({ code: 'custom', path: ['host'], message: refusal });
    }),
  /**
   * Slack ChatOps. Without a bot token Tourniquet runs without Slack (log notifier, CLI approvals).
   * HTTP mode needs the signing secret (requests are verified); Socket Mode needs an app token.
   */
  slack: z
    .object({
      mode: z.enum(['http', 'socket']).default('http'),
      botToken: z.string().min(1).optional(),
      signingSecret: z.string().min(1).optional(),
      appToken: z.string().min(1).optional(),
      /** channel id where incident messages, approvals and escalations are posted */
      channel: z.string().min(1).optional(),
      /** a channel of its own per incident (`ir-<id>`); `channel` then gets one line linking to it */
      incidentChannels: flag.default(false),
      command: z.string().regex(/^\/[a-z0-9_-]+$/, 'a slash command such as /ir').default('/ir'),
      /** Web API base URL; only changed to point at a local stand-in */
      apiUrl: secureUrl.optional(),
    })
    .prefault({})
    .superRefine((slack, ctx) => {
      if (!slack.botToken) return;
      if (!slack.channel) ctx.addIssue({ code: 'custom', path: ['channel'], message: 'required when slack.botToken is set' });
      if (slack.mode === 'http' && !slack.signingSecret) {
        ctx.addIssue({ code: 'custom', path: ['signingSecret'], message: 'required in http mode (requests are verified with it)' });
      }
      if (slack.mode === 'socket' && !slack.appToken) {
        ctx.addIssue({ code: 'custom', path: ['appToken'], message: 'required in socket mode' });
      }
    }),
  /**
   * AWS containment playbooks. Credentials come from the standard AWS credential chain; the
   * endpoint is only set to point the clients at a local emulator (or a VPC endpoint).
   */
  aws: z
    .object({
      region: z.string().min(1).default('us-east-1'),
      endpoint: secureUrl.optional(),
      /** the WAFv2 IP set `blockTraffic` adds to when a step names none */
      wafIpSet: z
        .object({ name: z.string().min(1), id: z.string().min(1), scope: z.enum(['REGIONAL', 'CLOUDFRONT']).default('REGIONAL') })
        .optional(),
      /** application → its RFC 7009 token revocation endpoint and client credentials */
      oauth: z
        .record(
          z.string(),
          z.object({ revocationEndpoint: secureUrl, clientId: z.string().min(1), clientSecret: z.string().min(1) }),
        )
        .default({}),
      /** grace before deactivated access keys are deleted (kept meanwhile as evidence) */
      keyDeletionGrace: z.string().regex(DURATION_PATTERN, DURATION_HINT).default('7d'),
      /** how long a block lasts when a step names no duration */
      blockDuration: z.string().regex(DURATION_PATTERN, DURATION_HINT).default('24h'),
      /** KMS allows this many on-demand rotations per key; past it, rotateKey replaces the key */
      onDemandRotationLimit: z.coerce.number().int().min(0).default(25),
      /** a replaced KMS key is kept (decrypt only) until CloudTrail shows it unused this long; then deletion may be asked for */
      keyRetirement: z
        .object({
          unusedFor: z
            .string()
            .regex(/^\d+(m|h|d)$/, 'a duration such as 30d')
            // CloudTrail event history keeps 90 days: a longer quiet period could not be checked.
            .refine((d) => parseDurationMs(d)! <= 89 * 86_400_000, 'at most 89d (CloudTrail keeps 90 days of events)')
            .default('30d'),
          checkEvery: z.string().regex(/^\d+(m|h|d)$/, 'a duration such as 1d').default('1d'),
          /** who approves the deletion when the rotation step had no approval gate of its own */
          approvalGroup: z.string().min(1).default('security-leads'),
        })
        .prefault({}),
      /** key id, ARN or alias → a JSON key policy file: what `revokeKeyAccess` restores (default: the KMS default key policy) */
      keyPolicyBaselines: z.record(z.string(), z.string().min(1)).default({}),
      /**
       * IAM user → the Secrets Manager secret its service reads its access key from: a
       * `revokeCredentials` step with `rotate: true` replaces that user's leaked key through it
       * (rotateAccessKey) before deactivating it. A user not named here has the key deactivated.
       */
      credentialSecrets: z
        .record(
          z.string().min(1),
          z.union([
            z.string().min(1),
            z
              .object({
                secretId: z.string().min(1),
                fields: z.object({ accessKeyId: z.string().min(1).optional(), secretAccessKey: z.string().min(1).optional() }).strict().optional(),
                waitFor: z.enum(['lastUsed', 'grace']).optional(),
                pickupTimeout: z.string().regex(DURATION_PATTERN, DURATION_HINT).optional(),
                checkEvery: z.string().regex(DURATION_PATTERN, DURATION_HINT).optional(),
                grace: z.string().regex(DURATION_PATTERN, DURATION_HINT).optional(),
              })
              .strict(),
          ]),
        )
        .default({}),
    })
    .prefault({}),
  /**
   * Alert webhook authentication, per source (see README "Alert sources"): an HMAC secret where the
   * source signs, otherwise a bearer token. A source with neither is refused unless
   * `allowUnauthenticated` says otherwise (default: only `generic`, only on a loopback host).
   */
  sources: z
    .object({
      ...(Object.fromEntries(WEBHOOK_SOURCES.map((s) => [s, SourceAuthSchema])) as Record<WebhookSource, typeof SourceAuthSchema>),
      manual: ManualSourceSchema,
    })
    .prefault({}),
  /**
   * The read-only dashboard and its JSON API. Without a token the API answers 401 to everyone:
   * incident titles and timelines are not for anonymous eyes.
   */
  metrics: z
    .object({
      /** bearer token a Prometheus scrape must present (`authorization: { credentials }`) */
      token: z.string().min(16, 'at least 16 characters').optional(),
    })
    .prefault({}),
  dashboard: z
    .object({
      token: z.string().min(16, 'at least 16 characters').optional(),
      /** Temporal is asked at most once per this many seconds, however many scrapes and viewers */
      cacheSeconds: z.coerce.number().min(0).max(300).default(5),
    })
    .prefault({}),
  /**
   * Payload encryption (AES-256-GCM) for everything Temporal stores. Keys: `keys` (id + base64 of 32
   * bytes; every listed key decrypts, `activeKeyId` encrypts) and/or `kms.keyId` (new payloads use
   * KMS data keys). With neither, a per-user key file is created on first start (platform/codec-keyfile.ts).
   */
  codec: CodecSchema,
  /** Evidence snapshots: a local write-once directory (default `<dataDir>/evidence`) or S3 Object Lock. */
  evidence: EvidenceSchema,
  /** The hash-chained audit log (default `<dataDir>/audit.log`; `audit.postgres` for many machines). */
  audit: AuditSchema,
  /** Breach-notification clocks (see platform/clocks-config.ts). */
  clocks: ClocksSchema,
  /** Follow-up actions: reminders and overdue escalation (see platform/follow-ups-config.ts). */
  followUps: FollowUpsSchema,
  /** Post-incident reviews: due dates by severity, reminders, overdue escalation. */
  reviews: ReviewsSchema,
  /** Drills: how often the cadence is checked, where due drills are announced (platform/drills-config.ts). */
  drills: DrillsSchema,
  /** What one worker caches and runs at once (see platform/worker-config.ts). */
  worker: WorkerSchema,
  /** Severity levels, what maps to them, their response targets and paging (platform/severity-config.ts). */
  severity: SeveritySchema,
  /** Groups: group name → people (ids of `people`; a Slack user id stands for an unmapped Slack user). */
  approverGroups: z.record(z.string(), z.array(z.string().min(1))).default({}),
  /** The people: person id → their Slack user, e-mail and API token hashes (platform/identity-config.ts). */
  people: PeopleSchema,
  /** How operators outside Slack authenticate to the operator API: OIDC, or the people's API tokens. */
  operators: OperatorsSchema,
  /** The incident roles responders assign and hand over (domain/roles.ts), in the order they are shown. */
  roles: z
    .array(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a role is lowercase letters, digits and dashes'))
    .min(1)
    .refine((roles) => new Set(roles).size === roles.length, 'each role once')
    .default([...DEFAULT_INCIDENT_ROLES]),
  /** Configured rows of the authority table (domain/authority.ts): action → groups. */
  authority: AuthoritySchema,
  /** The key the ingress signs decisions with, and the public keys workers accept. */
  decisions: DecisionsSchema,
  /** Break-glass access: profiles, the people's AWS principals, checks (platform/access-config.ts). */
  access: AccessSchema,
  log: z
    .object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') })
    .prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;

/** TOURNIQUET_SOURCE_<SOURCE>_SECRET / _TOKEN / _ALLOW_UNAUTHENTICATED / _REPLAY_WINDOW_SECONDS. */
const SOURCE_ENV_SETTINGS: Record<string, string> = Object.fromEntries(
  WEBHOOK_SOURCES.flatMap((s) => {
    const prefix = `TOURNIQUET_SOURCE_${s.toUpperCase()}`;
    return [
      [`${prefix}_SECRET`, `sources.${s}.hmacSecret`],
      [`${prefix}_TOKEN`, `sources.${s}.bearerToken`],
      [`${prefix}_ALLOW_UNAUTHENTICATED`, `sources.${s}.allowUnauthenticated`],
      [`${prefix}_REPLAY_WINDOW_SECONDS`, `sources.${s}.replayWindowSeconds`],
      [`${prefix}_SHOW_TITLES`, `sources.${s}.showTitles`],
    ];
  }),
);

/** Environment variable → dotted config path. */
export const ENV_SETTINGS: Record<string, string> = {
  TOURNIQUET_DATA_DIR: 'dataDir',
  TOURNIQUET_KEY_DIR: 'keyDir',
  TOURNIQUET_RUNBOOKS_DIR: 'runbooksDir',
  TEMPORAL_ADDRESS: 'temporal.address',
  TEMPORAL_NAMESPACE: 'temporal.namespace',
  TEMPORAL_TASK_QUEUE: 'temporal.taskQueue',
  TEMPORAL_API_KEY: 'temporal.apiKey',
  TEMPORAL_TLS_SERVER_NAME: 'temporal.tls.serverName',
  TEMPORAL_TLS_CA_PATH: 'temporal.tls.caPath',
  TEMPORAL_TLS_CERT_PATH: 'temporal.tls.certPath',
  TEMPORAL_TLS_KEY_PATH: 'temporal.tls.keyPath',
  TEMPORAL_UI_URL: 'temporal.uiUrl',
  TOURNIQUET_TEMPORAL_PORT: 'temporal.embeddedPort',
  TOURNIQUET_TEMPORAL_UI_PORT: 'temporal.embeddedUiPort',
  TOURNIQUET_HOST: 'ingress.host',
  TOURNIQUET_PORT: 'ingress.port',
  TOURNIQUET_MAX_BODY_BYTES: 'ingress.maxBodyBytes',
  TOURNIQUET_BODY_TIMEOUT_MS: 'ingress.bodyTimeoutMs',
  TOURNIQUET_TLS_CERT_PATH: 'ingress.tls.certPath',
  TOURNIQUET_TLS_KEY_PATH: 'ingress.tls.keyPath',
  TOURNIQUET_URL: 'ingress.url',
  TOURNIQUET_LOG_LEVEL: 'log.level',
  TOURNIQUET_DASHBOARD_TOKEN: 'dashboard.token',
  TOURNIQUET_METRICS_TOKEN: 'metrics.token',
  TOURNIQUET_DASHBOARD_CACHE_SECONDS: 'dashboard.cacheSeconds',
  ...SOURCE_ENV_SETTINGS,
  TOURNIQUET_SOURCE_MANUAL_SHOW_TITLES: 'sources.manual.showTitles',
  SLACK_BOT_TOKEN: 'slack.botToken',
  SLACK_SIGNING_SECRET: 'slack.signingSecret',
  SLACK_APP_TOKEN: 'slack.appToken',
  TOURNIQUET_SLACK_MODE: 'slack.mode',
  TOURNIQUET_SLACK_CHANNEL: 'slack.channel',
  TOURNIQUET_SLACK_INCIDENT_CHANNELS: 'slack.incidentChannels',
  TOURNIQUET_SLACK_COMMAND: 'slack.command',
  SLACK_API_URL: 'slack.apiUrl',
  TOURNIQUET_CODEC_KEYS: 'codec.keys',
  TOURNIQUET_CODEC_ACTIVE_KEY: 'codec.activeKeyId',
  TOURNIQUET_CODEC_KMS_KEY_ID: 'codec.kms.keyId',
  TOURNIQUET_CODEC_KEY_FILE: 'codec.keyFile',
  TOURNIQUET_CODEC_ENDPOINT_TOKEN: 'codec.endpointToken',
  TOURNIQUET_CODEC_CORS_ORIGINS: 'codec.corsOrigins',
  TOURNIQUET_CODEC_ACCEPT_PLAINTEXT: 'codec.acceptPlaintext',
  TOURNIQUET_EVIDENCE_DIR: 'evidence.dir',
  TOURNIQUET_EVIDENCE_S3_BUCKET: 'evidence.s3.bucket',
  TOURNIQUET_EVIDENCE_S3_PREFIX: 'evidence.s3.prefix',
  TOURNIQUET_EVIDENCE_RETENTION_DAYS: 'evidence.s3.retentionDays',
  TOURNIQUET_EVIDENCE_S3_KMS_KEY_ID: 'evidence.s3.kmsKeyId',
  TOURNIQUET_EVIDENCE_CLOUDTRAIL: 'evidence.cloudTrail',
  TOURNIQUET_AUDIT_LOG: 'audit.path',
  TOURNIQUET_AUDIT_SENSITIVE_FIELDS: 'audit.sensitiveFields',
  TOURNIQUET_AUDIT_ANCHOR_KEY: 'audit.anchorKeyPath',
  TOURNIQUET_AUDIT_ANCHOR_PUBLIC_KEY: 'audit.anchorPublicKeyPath',
  TOURNIQUET_AUDIT_POSTGRES_URL: 'audit.postgres.url',
  TOURNIQUET_AUDIT_POSTGRES_POOL_SIZE: 'audit.postgres.poolSize',
  AWS_REGION: 'aws.region',
  AWS_ENDPOINT_URL: 'aws.endpoint',
  TOURNIQUET_AWS_ENDPOINT: 'aws.endpoint',
  ...CLOCKS_ENV_SETTINGS,
  ...FOLLOW_UPS_ENV_SETTINGS,
  ...DRILLS_ENV_SETTINGS,
  ...WORKER_ENV_SETTINGS,
  ...SEVERITY_ENV_SETTINGS,
  ...IDENTITY_ENV_SETTINGS,
  ...ACCESS_ENV_SETTINGS,
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Raw = Record<string, unknown>;

function setPath(target: Raw, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Raw;
  }
  node[keys[keys.length - 1]!] = value;
}

function envNameFor(path: string): string | undefined {
  return Object.entries(ENV_SETTINGS).find(([, p]) => p === path)?.[0];
}

/** Parse and validate raw settings; errors name every offending setting (and its variable). */
export function parseConfig(raw: unknown): Config {
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const env = envNameFor(path);
    return `  ${path || '(root)'}${env ? ` (${env})` : ''}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** Read the config file (if any) and the environment, and validate them together. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const file = env.TOURNIQUET_CONFIG ?? (existsSync(resolve(cwd, 'tourniquet.yaml')) ? 'tourniquet.yaml' : undefined);
  let raw: Raw = {};
  if (file) {
    const path = resolve(cwd, file);
    if (!existsSync(path)) throw new ConfigError(`TOURNIQUET_CONFIG: no such file ${path}`);
    try {
      raw = (parseYaml(readFileSync(path, 'utf8')) ?? {}) as Raw;
    } catch (err) {
      throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message}`);
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${path}: expected a mapping of settings`);
    const unknown = unknownSettings(ConfigSchema, raw);
    if (unknown.length > 0) throw new ConfigError(`invalid configuration in ${path}:\n${unknown.join('\n')}`);
  }
  for (const [name, path] of Object.entries(ENV_SETTINGS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  return parseConfig(raw);
}
