import type { Severity } from '../../domain/severity';

/** The severity words and priorities alerting systems use, onto our scale. */
const WORDS: Record<string, Severity> = {
  info: 'info',
  informational: 'info',
  none: 'info',
  low: 'low',
  minor: 'low',
  p4: 'low',
  p5: 'info',
  warning: 'medium',
  warn: 'medium',
  medium: 'medium',
  moderate: 'medium',
  p3: 'medium',
  high: 'high',
  error: 'high',
  major: 'high',
  p2: 'high',
  critical: 'critical',
  page: 'critical',
  emergency: 'critical',
  p1: 'critical',
};

export function severityFromWord(word: string | undefined): Severity | undefined {
  return word === undefined ? undefined : WORDS[word.trim().toLowerCase()];
}
