import { readFile } from 'node:fs/promises';
import { GENESIS_HASH, recordHash, type AuditRecord, type ChainHead } from './record';

/** Where and how the chain breaks; `line` is 1-based, as an editor shows it. */
export interface ChainBreak {
  line: number;
  seq?: number;
  problem: string;
}

export interface AuditVerification {
  intact: boolean;
  records: number;
  head: ChainHead;
  breaks: ChainBreak[];
}

/**
 * Re-derives the chain: every record's hash from its content, every prevHash from the record
 * before, every seq one more than the last, and every checkpoint found in the evidence store.
 * A changed record fails its own hash; a removed, reordered or inserted one breaks seq and
 * prevHash; a rewritten tail (all hashes recomputed) disagrees with a checkpoint.
 */
export function verifyChain(text: string, checkpoints: readonly ChainHead[] = []): AuditVerification {
  const breaks: ChainBreak[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else if (lines.length > 0) {
    breaks.push({ line: lines.length, problem: 'last line is not terminated (a torn write; the next append repairs it)' });
    lines.pop();
  }
  const hashAt = new Map<number, string>();
  let prev: ChainHead = { seq: 0, hash: GENESIS_HASH };
  let records = 0;
  lines.forEach((text, index) => {
    const line = index + 1;
    let record: AuditRecord;
    try {
      record = JSON.parse(text) as AuditRecord;
    } catch {
      breaks.push({ line, problem: 'not a valid record (altered)' });
      return;
    }
    records += 1;
    const { hash, ...rest } = record;
    const seq = record.seq;
    if (recordHash(rest) !== hash) breaks.push({ line, seq, problem: 'content altered: the record does not match its hash' });
    if (seq !== prev.seq + 1) {
      const problem =
        seq <= prev.seq
          ? `out of order or duplicated: seq ${seq} follows seq ${prev.seq}`
          : `records missing: seq ${prev.seq + 1}${seq - 1 > prev.seq + 1 ? `..${seq - 1}` : ''} not found before seq ${seq}`;
      breaks.push({ line, seq, problem });
    }
    if (record.prevHash !== prev.hash) {
      breaks.push({ line, seq, problem: `chain broken: prevHash is not the hash of the record before (seq ${prev.seq})` });
    }
    if (!hashAt.has(seq)) hashAt.set(seq, hash);
    prev = { seq, hash };
  });
  for (const checkpoint of checkpoints) {
    const found = hashAt.get(checkpoint.seq);
    if (found === undefined) {
      breaks.push({ line: lines.length, seq: checkpoint.seq, problem: `checkpoint seq ${checkpoint.seq} is missing from the log (truncated)` });
    } else if (found !== checkpoint.hash) {
      breaks.push({ line: lineOf(lines, checkpoint.seq), seq: checkpoint.seq, problem: `rewritten: the checkpoint of seq ${checkpoint.seq} holds another hash` });
    }
  }
  breaks.sort((a, b) => a.line - b.line);
  return { intact: breaks.length === 0, records, head: prev, breaks };
}

function lineOf(lines: string[], seq: number): number {
  const index = lines.findIndex((l) => l.startsWith('{') && l.includes(`"seq":${seq},`));
  return index + 1;
}

export async function verifyAuditLog(path: string, checkpoints: readonly ChainHead[] = []): Promise<AuditVerification> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return verifyChain('', checkpoints);
    throw err;
  }
  return verifyChain(text, checkpoints);
}
