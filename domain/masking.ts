/**
 * The one masking function for PHI and secrets on their way to logs, Slack and the audit log.
 * Pure (no Node APIs) so workflow code can use it too.
 */

/** Field names whose values are always masked, wherever they appear. */
export const SENSITIVE_FIELDS = [
  'patient',
  'patientName',
  'patient_name',
  'mrn',
  'ssn',
  'dob',
  'dateOfBirth',
  'email',
  'phone',
  'address',
  'diagnosis',
  'payload',
  'raw',
  'secret',
  'token',
  'password',
  'authorization',
];

const SSN = /\b\d{3}-\d{2}-\d{4}\b/g;
const EMAIL = /\b[\w.+-]+@[\w-]+\.[\w.-]+\b/g;
const PHONE = /\b(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b/g;
const MRN = /\bMRN[:#\s-]*\w+/gi;
/** A date of birth where text says so (`DOB 1961-02-17`, `born 02/17/1961`, `date of birth: …`). */
const DOB = /\b(?:DOB|D\.O\.B\.?|date of birth|birth ?date|born(?: on)?)\s*[:=]?\s*(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4})/gi;
/** Month/day/year dates: our own text uses ISO dates, so these came from someone's record. */
const US_DATE = /\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/g;
/** A person's name after a word that introduces one (`patient Jane Roe`, `Mrs. Roe`). */
const LABELLED_NAME =
  /\b(patient|name|member|subscriber|insured|guarantor|beneficiary|Mr|Mrs|Ms|Miss|Mx|Dr)(\.?(?:\s*[:=]\s*|\s+))(?:[A-Z][a-z'’-]+|[A-Z]\.)(?:\s+(?:[A-Z][a-z'’-]+|[A-Z]\.)){0,3}/g;
/** A street address: a number, up to four words, and a street type. */
const STREET =
  /\b\d{1,6}\s+(?:[A-Z0-9][\w'’.-]*\s+){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Boulevard|Blvd|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy)\b\.?/g;

/**
 * Mask PHI-shaped substrings of free text: SSNs, e-mail addresses, phone numbers, MRNs, dates of
 * birth, street addresses, and names where a word introduces them. Patterns only catch what has a
 * shape; what Tourniquet shows people is built from PHI-free fields first (domain/display.ts).
 */
export function maskText(text: string): string {
  return text
    .replace(SSN, '[ssn]')
    .replace(EMAIL, '[email]')
    .replace(DOB, '[dob]')
    .replace(US_DATE, '[date]')
    .replace(PHONE, '[phone]')
    .replace(MRN, '[mrn]')
    .replace(STREET, '[address]')
    .replace(LABELLED_NAME, (_match, label: string, gap: string) => `${label}${gap}[name]`);
}

/** Deep copy with sensitive fields replaced and free text masked. */
export function maskValue<T>(value: T, sensitive: readonly string[] = SENSITIVE_FIELDS): T {
  const names = new Set(sensitive.map((s) => s.toLowerCase()));
  const walk = (v: unknown, key?: string): unknown => {
    if (key !== undefined && names.has(key.toLowerCase())) return '[masked]';
    if (typeof v === 'string') return maskText(v);
    if (Array.isArray(v)) return v.map((item) => walk(item));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value) as T;
}
