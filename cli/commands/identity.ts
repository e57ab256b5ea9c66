import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { decisionPublicKey } from '../../domain/decision-proof';
import { apiTokenHash, newApiToken } from '../../ingress/identity/api-tokens';
import { PERSON_ID } from '../../platform/identity-config';
import { newSigningKey, readSigningKey, signingKeyPath, writeSigningKey } from '../../platform/decision-keys';
import { type CliContext, CliError } from '../context';
import { tokenFilePath } from '../operator-api';

/**
 * `token create <person>`: a new API token, shown once, and the configuration line holding only its
 * hash. `decision-key show|create`: the ingress's decision-signing key, for configuring workers
 * and rotating it. `whoami`: who the operator API says your token is.
 */
export function register(program: Command, ctx: () => CliContext): void {
  program
    .command('token')
    .description('API tokens for the operator API (the CLI\'s changes)')
    .command('create <person>')
    .description('create a token for a person: shown once; the configuration keeps only its SHA-256')
    .option('--save', `write it to the token file (${tokenFilePath()}, or TOURNIQUET_TOKEN_FILE), owner-only, instead of printing it`)
    .action((person: string, opts: { save?: boolean }) => {
      if (!PERSON_ID.test(person)) throw new CliError(`${person}: a person id is letters, digits and . _ @ + -`, 2);
      const token = newApiToken();
      if (opts.save) {
        const path = tokenFilePath();
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        try {
          writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          throw new CliError(`${path} already holds a token: remove it first, or set TOURNIQUET_TOKEN_FILE to another file`, 2);
        }
        console.log(`token for ${person} written to ${path} (mode 600); the CLI reads it from there`);
      } else {
        console.log(`token for ${person} (shown once; give it to them for TOURNIQUET_TOKEN or ${tokenFilePath()}, mode 600):`);
        console.log(`  ${token}`);
      }
      console.log('add its hash to the configuration, then restart the ingress (or send it SIGHUP):');
      console.log('people:');
      console.log(`  ${person}:`);
      console.log(`    tokenHashes: [${apiTokenHash(token)}]`);
    });

  const key = program.command('decision-key').description("the ingress's decision-signing key (Ed25519)");
  key
    .command('show')
    .description('the public key workers need: TOURNIQUET_DECISION_PUBLIC_KEYS=<kid>:<hex>')
    .action(() => {
      const { kid, secretKey } = readSigningKey(signingKeyPath(ctx().config));
      console.log(`${kid}:${decisionPublicKey(secretKey)}`);
    });
  key
    .command('create <file>')
    .description('a new signing key (owner-only) for a rotation; prints its public key for the workers')
    .action((file: string) => {
      const path = resolve(file);
      const fresh = newSigningKey();
      if (!writeSigningKey(path, fresh)) throw new CliError(`${path} exists; choose a new file`, 2);
      console.log(`${fresh.kid}:${decisionPublicKey(fresh.secretKey)}`);
    });

  program
    .command('whoami')
    .description('who the operator API says your token is, and your groups now')
    .action(async () => {
      const me = await ctx().api().get<{ person: string; groups: string[]; via: string; method: string }>('/whoami');
      console.log(`${me.person} (${me.method}) in ${me.groups.length > 0 ? me.groups.join(', ') : 'no group'}, from ${me.via}`);
    });
}
