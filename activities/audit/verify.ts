import { readFile } from 'node:fs/promises';
import type { Anchor, AnchorVerifier } from './anchors';
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
  /** the newest signed anchor that matches the log */
  anchored?: Anchor;
  /** records after the newest anchor, still within the anchor interval: not yet provable */
  unanchored?: { fromSeq: number; toSeq: number; since: string };
}

/** What anchors vouch for the log, and how it is checked against them (see anchors.ts). */
export interface AnchorEvidence {
  anchors: readonly Anchor[];
  /** the latest anchor kept beside the signing key, if any */
  witness?: Anchor;
  verifier: AnchorVerifier;
  /** records older than this without an anchor are a break, not a note */
  anchorEveryMs: number;
  now: Date;
}

/** Slack allowed beyond the anchor interval before a tail counts as unanchored (a busy or restarting writer). */
const ANCHOR_GRACE_MS = 60_000;

/**
 * Re-derives the chain: every record's hash from its content, every prevHash from the record
 * before, every seq one more than the last, and every checkpoint found in the evidence store.
 * A changed record fails its own hash; a removed, reordered or inserted one breaks seq and
 * prevHash; a rewritten tail (all hashes recomputed) disagrees with a checkpoint.
 */
export function verifyChain(text: string, checkpoints: readonly ChainHead[] = [], evidence?: AnchorEvidence): AuditVerification {
  const breaks: ChainBreak[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else if (lines.length > 0) {
    breaks.push({ line: lines.length, problem: 'last line is not terminated (a torn write; the next append repairs it)' });
    lines.pop();
  }
  const hashAt = new Map<number, string>();
  const whenAt = new Map<number, string>();
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
    if (!whenAt.has(seq)) whenAt.set(seq, record.when);
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
  const anchoring: Pick<AuditVerification, 'breaks' | 'anchored' | 'unanchored'> = evidence
    ? checkAnchors(evidence, { hashAt, whenAt, head: prev, lines })
    : { breaks: [] };
  breaks.push(...anchoring.breaks);
  breaks.sort((a, b) => a.line - b.line);
  return {
    intact: breaks.length === 0,
    records,
    head: prev,
    breaks,
    ...(anchoring.anchored ? { anchored: anchoring.anchored } : {}),
    ...(anchoring.unanchored ? { unanchored: anchoring.unanchored } : {}),
  };
}

/**
 * Signed anchors against the log: each must be signed by the ledger's key and match the record at
 * its seq; the witness beside the key must not be ahead of the log; and records older than the
 * anchor interval must be covered by an anchor, so a tail cut off or a chain rewritten and
 * re-sealed does not pass unseen.
 */
function checkAnchors(
  evidence: AnchorEvidence,
  log: { hashAt: Map<number, string>; whenAt: Map<number, string>; head: ChainHead; lines: string[] },
): Pick<AuditVerification, 'breaks' | 'anchored' | 'unanchored'> {
  const breaks: ChainBreak[] = [];
  const end = log.lines.length;
  let anchored: Anchor | undefined;
  const consider = (anchor: Anchor, where: string) => {
    if (!evidence.verifier.verify(anchor)) {
      breaks.push({ line: end, seq: anchor.seq >= 0 ? anchor.seq : undefined, problem: `${where} at seq ${anchor.seq} is not signed by the ledger's key (forged or altered)` });
      return;
    }
    const found = log.hashAt.get(anchor.seq);
    if (found === undefined) {
      breaks.push({ line: end, seq: anchor.seq, problem: `cut short: ${where} of ${anchor.at} vouches for seq ${anchor.seq}, the log ends at seq ${log.head.seq}` });
    } else if (found !== anchor.hash) {
      breaks.push({ line: lineOf(log.lines, anchor.seq), seq: anchor.seq, problem: `rewritten: ${where} of ${anchor.at} holds another hash for seq ${anchor.seq}` });
    } else if (!anchored || anchor.seq > anchored.seq) anchored = anchor;
  };
  for (const anchor of evidence.anchors) consider(anchor, 'the anchor');
  if (evidence.witness) {
    consider(evidence.witness, 'the witness beside the anchor key');
    const stored = evidence.anchors.some((a) => a.seq === evidence.witness!.seq && a.signature === evidence.witness!.signature);
    if (!stored) breaks.push({ line: end, seq: evidence.witness.seq, problem: `anchors missing: the witness's anchor of seq ${evidence.witness.seq} is not in the evidence store (deleted?)` });
  }
  const from = (anchored?.seq ?? 0) + 1;
  if (from <= log.head.seq) {
    const since = log.whenAt.get(from) ?? '';
    const age = evidence.now.getTime() - Date.parse(since);
    const unanchored = { fromSeq: from, toSeq: log.head.seq, since };
    if (age > evidence.anchorEveryMs + ANCHOR_GRACE_MS) {
      breaks.push({
        line: lineOf(log.lines, from),
        seq: from,
        problem: `unanchored: seq ${from}..${log.head.seq} (since ${since}) should be covered by an anchor by now; anchors deleted, or the chain rewritten`,
      });
    }
    return { breaks, ...(anchored ? { anchored } : {}), unanchored };
  }
  return { breaks, ...(anchored ? { anchored } : {}) };
}

function lineOf(lines: string[], seq: number): number {
  const index = lines.findIndex((l) => l.startsWith('{') && l.includes(`"seq":${seq},`));
  return index + 1;
}

export async function verifyAuditLog(path: string, checkpoints: readonly ChainHead[] = [], evidence?: AnchorEvidence): Promise<AuditVerification> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return verifyChain('', checkpoints, evidence);
    throw err;
  }
  return verifyChain(text, checkpoints, evidence);
}
