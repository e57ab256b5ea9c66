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
const MRN = /\bMRN[:# ]*\w+/gi;

/** Mask PHI-shaped substrings of free text (SSNs, e-mail addresses, phone numbers, MRNs). */
export function maskText(text: string): string {
  return text.replace(SSN, '[ssn]').replace(EMAIL, '[email]').replace(PHONE, '[phone]').replace(MRN, '[mrn]');
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
