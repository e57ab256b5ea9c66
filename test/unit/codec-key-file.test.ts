/**
 * Keys apart from data: without configured keys the worker generates one key file in a per-user
 * folder (`$XDG_CONFIG_HOME/tourniquet/keys`, 0700; the file 0600), never in the data directory; a
 * key left in the data directory by an earlier version is still used; readers (the CLI) never
 * create one; and a key file or folder that others could read or write stops the start.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { KeyFilePermissionError, keyFileLocation, MissingKeyFileError, userKeyDir } from '../../platform/codec-keyfile';
import { parseConfig } from '../../platform/config';
import { codecSetup } from '../../platform/data-converter';

const fresh = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
let saved: string | undefined;
let configHome: string;

beforeEach(() => {
  saved = process.env.XDG_CONFIG_HOME;
  configHome = fresh('tq-xdg-');
  process.env.XDG_CONFIG_HOME = configHome;
});
afterEach(() => {
  process.env.XDG_CONFIG_HOME = saved;
});

const encoded = async (setup: ReturnType<typeof codecSetup>, value: unknown) => (await setup.codec.encode([defaultPayloadConverter.toPayload(value)!]))[0]!;
const decoded = async (setup: ReturnType<typeof codecSetup>, payload: Awaited<ReturnType<typeof encoded>>) =>
  defaultPayloadConverter.fromPayload((await setup.codec.decode([payload]))[0]!);

test('where the key file is looked for: codec.keyFile, then a key left in the data dir, then the per-user folder', () => {
  const dataDir = fresh('tq-data-');
  expect(userKeyDir({ XDG_CONFIG_HOME: '/x/config', HOME: '/home/a' })).toBe('/x/config/tourniquet/keys');
  expect(userKeyDir({ HOME: '/home/a' })).toBe('/home/a/.config/tourniquet/keys');
  expect(userKeyDir({ XDG_CONFIG_HOME: 'relative/ignored', HOME: '/home/a' })).toBe('/home/a/.config/tourniquet/keys');
  expect(keyFileLocation({ dataDir }, { XDG_CONFIG_HOME: '/x' })).toEqual({ path: '/x/tourniquet/keys/codec-keys.json', kind: 'user' });
  expect(keyFileLocation({ dataDir, keyFile: '/etc/tq/keys.json' })).toEqual({ path: '/etc/tq/keys.json', kind: 'configured' });
  writeFileSync(join(dataDir, 'codec-keys.json'), '{}', { mode: 0o600 });
  expect(keyFileLocation({ dataDir }, { XDG_CONFIG_HOME: '/x' })).toEqual({ path: join(dataDir, 'codec-keys.json'), kind: 'legacy' });
});

test('without configured keys the first start writes a 0600 key into the 0700 per-user folder, not the data dir, and later starts reuse it', async () => {
  const dataDir = fresh('tq-data-');
  const first = codecSetup(parseConfig({ dataDir }));
  expect(first.keyFile).toMatchObject({ created: true, kind: 'user', path: join(configHome, 'tourniquet', 'keys', 'codec-keys.json') });
  expect(statSync(first.keyFile!.path).mode & 0o777).toBe(0o600);
  expect(statSync(join(configHome, 'tourniquet', 'keys')).mode & 0o777).toBe(0o700);
  expect(readdirSync(dataDir)).toEqual([]);
  // Another data dir of the same user shares the key: moving data never orphans it.
  const second = codecSetup(parseConfig({ dataDir: fresh('tq-data-') }));
  expect(second.keyFile?.created).toBe(false);
  expect(await decoded(second, await encoded(first, 'shared'))).toBe('shared');
});

test('a reader that must not create keys (the CLI) gets MissingKeyFileError and creates nothing', async () => {
  const dataDir = fresh('tq-data-');
  expect(() => codecSetup(parseConfig({ dataDir }), 'existing')).toThrow(MissingKeyFileError);
  expect(readdirSync(dataDir)).toEqual([]);
  expect(existsSync(join(configHome, 'tourniquet'))).toBe(false);
  const written = codecSetup(parseConfig({ dataDir }));
  expect(await decoded(codecSetup(parseConfig({ dataDir }), 'existing'), await encoded(written, 'kept'))).toBe('kept');
});

test('a key left in the data dir by an earlier version is still used (its history stays readable), and nothing new is created', async () => {
  const dataDir = fresh('tq-data-');
  writeFileSync(join(dataDir, 'codec-keys.json'), JSON.stringify({ activeKeyId: 'local-1', keys: [{ id: 'local-1', key: randomBytes(32).toString('base64') }] }), { mode: 0o600 });
  const legacy = codecSetup(parseConfig({ dataDir }));
  expect(legacy.keyFile).toMatchObject({ kind: 'legacy', created: false, path: join(dataDir, 'codec-keys.json') });
  expect(existsSync(join(configHome, 'tourniquet'))).toBe(false);
  // Moved to the per-user folder as the warning says: the same key, found there.
  const payload = await encoded(legacy, 'old history');
  mkdirSync(join(configHome, 'tourniquet', 'keys'), { recursive: true, mode: 0o700 });
  const { renameSync } = await import('node:fs');
  renameSync(join(dataDir, 'codec-keys.json'), join(configHome, 'tourniquet', 'keys', 'codec-keys.json'));
  const moved = codecSetup(parseConfig({ dataDir }), 'existing');
  expect(moved.keyFile?.kind).toBe('user');
  expect(await decoded(moved, payload)).toBe('old history');
});

test.each([
  ['the key file is readable by the group', 0o640, 0o700, /open to group or others \(mode 0640\).*chmod 600/],
  ['the key file is readable by everyone', 0o644, 0o700, /open to group or others \(mode 0644\)/],
  ['the key folder is readable by others', 0o600, 0o755, /readable or writable by group or others \(mode 0755\).*chmod 700/],
  ['the key folder is writable by the group', 0o600, 0o770, /mode 0770/],
])('start-up refuses a key when %s', (_what, fileMode, dirMode, message) => {
  codecSetup(parseConfig({ dataDir: fresh('tq-data-') }));
  const dir = join(configHome, 'tourniquet', 'keys');
  chmodSync(join(dir, 'codec-keys.json'), fileMode);
  chmodSync(dir, dirMode);
  for (const use of ['create', 'existing'] as const) {
    expect(() => codecSetup(parseConfig({ dataDir: fresh('tq-data-') }), use)).toThrow(KeyFilePermissionError);
    expect(() => codecSetup(parseConfig({ dataDir: fresh('tq-data-') }), use)).toThrow(message);
  }
});

test('a configured key file may sit in a shared folder, but not one others can write', () => {
  const shared = fresh('tq-shared-');
  chmodSync(shared, 0o755);
  const keyFile = join(shared, 'keys.json');
  expect(codecSetup(parseConfig({ dataDir: fresh('tq-data-'), codec: { keyFile } })).keyFile).toMatchObject({ kind: 'configured', created: true });
  chmodSync(shared, 0o777);
  expect(() => codecSetup(parseConfig({ dataDir: fresh('tq-data-'), codec: { keyFile } }))).toThrow(/writable by group or others \(mode 0777\).*chmod go-w/);
});
