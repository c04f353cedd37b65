/**
 * Offline checks of skills passports and certificate revocation. A passport is a W3C Verifiable
 * Presentation of Latih certificates (Open Badges 3.0 credentials), signed by the program; each
 * certificate names its bit in a W3C Bitstring Status List (`credentialStatus`), a credential the
 * gateway serves signed at /v1/public/credentials/status/{n}. Fetch the JWKS and the status lists
 * once (`fetchPassportMaterial`), then verify any number of times with no network
 * (`verifyPassport`, `checkCertificate`): WebCrypto and DecompressionStream only, Node ≥ 20 or a
 * browser.
 */
import { type Jwks, verifyCertificate } from './certificates';

type Json = Record<string, unknown>;

/** What one certificate comes to. */
export type CertificateCheckStatus =
  /** Its proof verifies and the status list (current at `now`) has its bit clear. */
  | 'VALID'
  /** Its bit is set: revoked (a revocation is never undone, so an expired list still says so). */
  | 'REVOKED'
  /** Its proof does not verify with the JWKS (edited, forged, or a key not in the JWKS). */
  | 'BAD_SIGNATURE'
  /** No status entry, or no status list among those given for it, or the list's proof fails. */
  | 'STATUS_UNKNOWN'
  /** Its bit is clear, but the list is past its validUntil (or older than maxStatusAgeMs): fetch it again. */
  | 'STATUS_LIST_EXPIRED'
  /**
   * Its bit is clear, but the list's validFrom is after `now` (by more than a minute): judged at a
   * time before the list was made. Against the sandbox, whose clock runs ahead, pass its time as `now`.
   */
  | 'STATUS_LIST_NOT_YET_VALID';

export type CertificateCheck = {
  /** The credential's id: its verification page, /verify/{number}. */
  id: string;
  /** The certificate number (achievement.humanCode). */
  number: string | null;
  /** The course it certifies (achievement.name). */
  course: string | null;
  status: CertificateCheckStatus;
  /** The status list used, and its validFrom: how fresh the revocation answer is. */
  statusList: { id: string; validFrom: string; validUntil: string | null } | null;
};

export type PassportVerification = {
  /** The presentation's proof verifies, and every certificate in it is VALID. */
  valid: boolean;
  /** The program's proof over the whole presentation (which certificates, with what content). */
  presentation: 'VALID' | 'BAD_SIGNATURE' | 'MALFORMED';
  certificates: CertificateCheck[];
};

export type OfflineVerificationOptions = {
  /** The gateway's JWKS (/.well-known/jwks.json), fetched beforehand. */
  jwks: Jwks;
  /** Signed status list credentials, fetched beforehand (fetchPassportMaterial). */
  statusLists: Json[];
  /** The time to judge the lists' freshness at; the current time by default. */
  now?: Date;
  /** Refuse lists older than this many ms (from their validFrom) even before their validUntil. */
  maxStatusAgeMs?: number;
};

type StatusEntry = { statusListCredential?: unknown; statusListIndex?: unknown; statusPurpose?: unknown };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const types = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

type CheckedList = { id: string; validFrom: string; validUntil: string | null; bits: Uint8Array };

/** Each list whose proof verifies, decoded; a list that fails its proof or shape is left out. */
async function checkedLists(lists: Json[], jwks: Jwks): Promise<Map<string, CheckedList>> {
  const out = new Map<string, CheckedList>();
  for (const list of lists) {
    if (!isObject(list) || typeof list.id !== 'string' || typeof list.validFrom !== 'string') continue;
    if (!types(list.type).includes('BitstringStatusListCredential')) continue;
    const subject = list.credentialSubject;
    if (!isObject(subject) || subject.statusPurpose !== 'revocation') continue;
    if (typeof subject.encodedList !== 'string' || !subject.encodedList.startsWith('u')) continue;
    if (!(await verifyCertificate(list, jwks))) continue;
    let bits: Uint8Array;
    try {
      bits = await gunzip(base64UrlDecode(subject.encodedList.slice(1)));
    } catch {
      continue;
    }
    const copy = {
      id: list.id,
      validFrom: list.validFrom,
      validUntil: typeof list.validUntil === 'string' ? list.validUntil : null,
      bits,
    };
    const known = out.get(list.id);
    // Two copies of one list: a revocation is never undone, so a bit set in either is set, and the
    // newer copy says how fresh the rest is.
    if (known?.bits) {
      const newer = Date.parse(known.validFrom) > Date.parse(copy.validFrom) ? known : copy;
      const merged = new Uint8Array(Math.max(known.bits.length, bits.length));
      for (let i = 0; i < merged.length; i++) merged[i] = (known.bits[i] ?? 0) | (bits[i] ?? 0);
      out.set(list.id, { ...newer, bits: merged });
    } else out.set(list.id, copy);
  }
  return out;
}

async function checkOne(
  credential: unknown,
  fallbackEntry: StatusEntry | undefined,
  opts: OfflineVerificationOptions,
  lists: Map<string, CheckedList>,
): Promise<CertificateCheck> {
  const c = isObject(credential) ? credential : {};
  const subject = isObject(c.credentialSubject) ? c.credentialSubject : {};
  const achievement = isObject(subject.achievement) ? subject.achievement : {};
  const result: CertificateCheck = {
    id: typeof c.id === 'string' ? c.id : '',
    number: typeof achievement.humanCode === 'string' ? achievement.humanCode : null,
    course: typeof achievement.name === 'string' ? achievement.name : null,
    status: 'BAD_SIGNATURE',
    statusList: null,
  };
  if (!(await verifyCertificate(c, opts.jwks))) return result;
  const entry = (isObject(c.credentialStatus) ? c.credentialStatus : fallbackEntry) as
    | StatusEntry
    | undefined;
  const list =
    typeof entry?.statusListCredential === 'string' ? lists.get(entry.statusListCredential) : undefined;
  const index = Number(entry?.statusListIndex);
  if (!list || entry?.statusPurpose !== 'revocation' || !Number.isInteger(index) || index < 0)
    return { ...result, status: 'STATUS_UNKNOWN' };
  if (index >= list.bits.length * 8) return { ...result, status: 'STATUS_UNKNOWN' };
  const statusList = { id: list.id, validFrom: list.validFrom, validUntil: list.validUntil };
  const revoked = (((list.bits[index >> 3] ?? 0) >> (7 - (index & 7))) & 1) === 1;
  if (revoked) return { ...result, status: 'REVOKED', statusList };
  const now = (opts.now ?? new Date()).getTime();
  if (Date.parse(list.validFrom) > now + 60_000)
    return { ...result, status: 'STATUS_LIST_NOT_YET_VALID', statusList };
  const expired =
    (list.validUntil !== null && Date.parse(list.validUntil) <= now) ||
    (opts.maxStatusAgeMs !== undefined && now - Date.parse(list.validFrom) > opts.maxStatusAgeMs);
  return { ...result, status: expired ? 'STATUS_LIST_EXPIRED' : 'VALID', statusList };
}

/**
 * One certificate, offline: its proof against the JWKS and its revocation bit in the status lists
 * given. (A certificate issued before status lists existed has no `credentialStatus`: STATUS_UNKNOWN
 * here; inside a passport its entry comes with the presentation.)
 */
export async function checkCertificate(
  credential: Json,
  opts: OfflineVerificationOptions,
): Promise<CertificateCheck> {
  return checkOne(credential, undefined, opts, await checkedLists(opts.statusLists, opts.jwks));
}

/**
 * A skills passport, offline: the program's proof over the presentation, and for every certificate
 * in it its own proof and its revocation bit. `valid` only when all of them hold.
 */
export async function verifyPassport(
  presentation: Json,
  opts: OfflineVerificationOptions,
): Promise<PassportVerification> {
  const credentials = presentation.verifiableCredential;
  if (
    !isObject(presentation) ||
    !types(presentation.type).includes('VerifiablePresentation') ||
    !Array.isArray(credentials)
  )
    return { valid: false, presentation: 'MALFORMED', certificates: [] };
  const signed = await verifyCertificate(presentation, opts.jwks);
  // Entries for certificates that carry none: trusted only under the presentation's valid proof.
  const legacy = new Map<unknown, StatusEntry>();
  if (signed && Array.isArray(presentation.legacyCredentialStatus))
    for (const e of presentation.legacyCredentialStatus) if (isObject(e)) legacy.set(e.credential, e);
  const lists = await checkedLists(opts.statusLists, opts.jwks);
  const certificates: CertificateCheck[] = [];
  for (const c of credentials)
    certificates.push(await checkOne(c, isObject(c) ? legacy.get(c.id) : undefined, opts, lists));
  return {
    valid: signed && certificates.length > 0 && certificates.every((c) => c.status === 'VALID'),
    presentation: signed ? 'VALID' : 'BAD_SIGNATURE',
    certificates,
  };
}

/** What offline verification needs, as fetched (keep it; refresh the lists before they expire). */
export type PassportMaterial = { jwks: Jwks; statusLists: Json[]; fetchedAt: string };

/**
 * Online, beforehand: the gateway's JWKS and every status list the passports (or certificates)
 * name. Only lists under `baseUrl` are fetched (a document cannot send you elsewhere); a list the
 * gateway does not answer is left out, and its certificates come out STATUS_UNKNOWN.
 */
export async function fetchPassportMaterial(opts: {
  /** The gateway's origin, e.g. https://api.latih.example */
  baseUrl: string;
  /** Passports or single certificates whose status lists to fetch. */
  documents: Json[];
  fetch?: typeof globalThis.fetch;
}): Promise<PassportMaterial> {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const prefix = `${base}/v1/public/credentials/status/`;
  const urls = new Set<string>();
  const add = (e: unknown) => {
    if (
      isObject(e) &&
      typeof e.statusListCredential === 'string' &&
      e.statusListCredential.startsWith(prefix)
    )
      urls.add(e.statusListCredential);
  };
  for (const d of opts.documents) {
    if (!isObject(d)) continue;
    const credentials = Array.isArray(d.verifiableCredential) ? d.verifiableCredential : [d];
    for (const c of credentials) if (isObject(c)) add(c.credentialStatus);
    if (Array.isArray(d.legacyCredentialStatus)) for (const e of d.legacyCredentialStatus) add(e);
  }
  const jwksRes = await doFetch(`${base}/.well-known/jwks.json`, { headers: { accept: 'application/json' } });
  if (!jwksRes.ok) throw new Error(`JWKS: HTTP ${jwksRes.status}`);
  const jwks = (await jwksRes.json()) as Jwks;
  const statusLists: Json[] = [];
  for (const url of [...urls].sort()) {
    const res = await doFetch(url, { headers: { accept: 'application/json' } });
    if (res.ok) statusLists.push((await res.json()) as Json);
  }
  return { jwks, statusLists, fetchedAt: new Date().toISOString() };
}
