import { z } from 'zod';
import { ACTIONS, type Action } from '../domain/authority';

/**
 * Who people are and what they may do: the people (one id per person, whatever channel they come
 * through), how operators outside Slack sign in (OIDC bearer tokens, or per-user API tokens kept
 * only as SHA-256 hashes), the authority table's configured rows, and the decision-signing key.
 */

const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
const commaList = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.string()));

export const PERSON_ID = /^[A-Za-z0-9][\w.@+-]*$/;
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'the hex SHA-256 of the token (`npx tourniquet token create <person>` prints it)');

const PersonSchema = z
  .object({
    /** Slack user id (`U…`/`W…`): their Slack clicks and commands are this person's */
    slack: z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id such as U04ABCDEF').optional(),
    /** matched against the identity provider's e-mail claim */
    email: z.string().email().optional(),
    /** SHA-256 (hex) of each API token this person holds; the tokens themselves are never stored */
    tokenHashes: z.array(sha256Hex).default([]),
  })
  .strict();

export const PeopleSchema = z
  .record(z.string().regex(PERSON_ID, 'letters, digits and . _ @ + -'), PersonSchema)
  .default({})
  .superRefine((people, ctx) => {
    const seen = new Map<string, string>();
    for (const [id, person] of Object.entries(people)) {
      const claims = [
        ...(person.slack ? [[`slack user ${person.slack}`, 'slack'] as const] : []),
        ...(person.email ? [[`e-mail ${person.email.toLowerCase()}`, 'email'] as const] : []),
        ...person.tokenHashes.map((h) => [`token ${h.slice(0, 12)}…`, 'tokenHashes'] as const),
      ];
      // One Slack user, address or token naming two people would let one person count twice.
      for (const [claim, field] of claims) {
        const owner = seen.get(claim);
        if (owner && owner !== id) ctx.addIssue({ code: 'custom', path: [id, field], message: `${claim} is already ${owner}'s` });
        seen.set(claim, id);
      }
    }
  });

export type People = z.infer<typeof PeopleSchema>;

const OidcSchema = z.object({
  /** the `iss` every token must carry; its discovery document names the JWKS unless jwksUrl is set */
  issuer: z.string().url(),
  /** the `aud` every token must carry (the client id Tourniquet is registered as) */
  audience: commaList.pipe(z.array(z.string().min(1)).min(1)),
  jwksUrl: z.string().url().optional(),
  algorithms: commaList.pipe(z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1)).default(['RS256', 'ES256']),
  /** the claim holding the person id (a key of `people`), else the e-mail claim finds the person */
  usernameClaim: z.string().min(1).default('preferred_username'),
  emailClaim: z.string().min(1).default('email'),
  groupsClaim: z.string().min(1).default('groups'),
  /** take the person's groups from the token's groups claim instead of `approverGroups` */
  groupsFromToken: flag.default(false),
  clockToleranceSeconds: z.coerce.number().int().min(0).max(300).default(30),
});

export const OperatorsSchema = z
  .object({
    oidc: OidcSchema.optional(),
  })
  .prefault({});

export type OidcSettings = z.infer<typeof OidcSchema>;

const publicKeyHex = z.string().regex(/^[0-9a-f]{64}$/, 'hex of a 32-byte Ed25519 public key');

export const DecisionsSchema = z
  .object({
    /** the ingress's Ed25519 signing key; default `<dataDir>/decision-key.json`, created (0600) on first start */
    signingKeyFile: z.string().optional(),
    /**
     * key id → public key the workers accept grants from (`kid:hex,kid:hex` from the environment).
     * Unset: derived from the signing key file, for the one-process embedded setup.
     */
    publicKeys: z
      .preprocess(
        (v) => (typeof v === 'string' ? Object.fromEntries(v.split(',').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf(':')), pair.slice(pair.indexOf(':') + 1)])) : v),
        z.record(z.string().regex(/^[\w.-]+$/, 'letters, digits, dot, dash, underscore'), publicKeyHex),
      )
      .default({}),
  })
  .prefault({});

/** Configured rows of the authority table; a row replaces the default's whole. */
export const AuthoritySchema = z
  .object(Object.fromEntries(ACTIONS.map((a) => [a, z.array(z.string().min(1)).optional()])) as Record<Action, z.ZodOptional<z.ZodArray<z.ZodString>>>)
  .prefault({});

export const IDENTITY_ENV_SETTINGS: Record<string, string> = {
  TOURNIQUET_OIDC_ISSUER: 'operators.oidc.issuer',
  TOURNIQUET_OIDC_AUDIENCE: 'operators.oidc.audience',
  TOURNIQUET_OIDC_JWKS_URL: 'operators.oidc.jwksUrl',
  TOURNIQUET_OIDC_ALGORITHMS: 'operators.oidc.algorithms',
  TOURNIQUET_OIDC_USERNAME_CLAIM: 'operators.oidc.usernameClaim',
  TOURNIQUET_OIDC_GROUPS_CLAIM: 'operators.oidc.groupsClaim',
  TOURNIQUET_OIDC_GROUPS_FROM_TOKEN: 'operators.oidc.groupsFromToken',
  TOURNIQUET_DECISION_KEY_FILE: 'decisions.signingKeyFile',
  TOURNIQUET_DECISION_PUBLIC_KEYS: 'decisions.publicKeys',
};
