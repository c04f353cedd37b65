import { gzipSync } from 'node:zlib';
import { AppError, STATUS_LIST_SIZE, STATUS_LIST_VALIDITY_SECONDS } from '@latih/contracts';
import { type Db, rememberCertificateKey, statusListEntries } from '@latih/db';
import { CREDENTIAL_CONTEXT } from './profiles';
import { type CredentialSigner, signCredential } from './proof';

/*
 * Revocation that an offline verifier can check: a W3C Bitstring Status List. Every certificate has
 * a status index (taken from a sequence before it is signed); index i is bit i % 131 072 of list
 * i / 131 072 + 1, served at /v1/public/credentials/status/{list} as a BitstringStatusListCredential
 * signed by the gateway's current key. A set bit is a revoked certificate. The list is made from
 * the certificates table when asked for, so a revocation shows in the next list served (revoking
 * writes nothing else); validFrom is when it was made and validUntil a day later, which tells an
 * offline verifier how old its copy is and when it must fetch another.
 */

/** Where list `list` is served. */
export const statusListUrl = (base: string, list: number) => `${base}/v1/public/credentials/status/${list}`;

/** The program's own profile: it signs the lists and the passports, whoever issued a certificate. */
export const programProfileOf = (base: string) => ({
  id: `${base}/`,
  type: ['Profile'],
  name: 'Latih program office',
});

/** A certificate's `credentialStatus`: its bit, by list URL and index within the list. */
export function statusEntryOf(base: string, statusIndex: number) {
  const list = Math.floor(statusIndex / STATUS_LIST_SIZE) + 1;
  const bit = statusIndex % STATUS_LIST_SIZE;
  return {
    id: `${statusListUrl(base, list)}#${bit}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: 'revocation',
    statusListIndex: String(bit),
    statusListCredential: statusListUrl(base, list),
  };
}
export type TStatusEntry = ReturnType<typeof statusEntryOf>;

/** The bitstring with `set` bits on (bit 0 is the first byte's high bit), GZIP, base64url, multibase. */
export function encodeStatusList(set: number[]): string {
  const bytes = new Uint8Array(STATUS_LIST_SIZE / 8);
  for (const i of set) bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (0x80 >> (i & 7));
  return `u${gzipSync(bytes).toString('base64url')}`;
}

/**
 * Keys that signed a list, kept published like certificate keys (a list signed just before a key
 * rotation stays checkable for its day): written once per key and database in a process, so a
 * public GET writes nothing after the first.
 */
const remembered = new WeakMap<Db, Set<string>>();
async function rememberListKey(db: Db, signer: CredentialSigner): Promise<void> {
  const kids = remembered.get(db) ?? new Set<string>();
  remembered.set(db, kids);
  if (kids.has(signer.kid)) return;
  await rememberCertificateKey(db, signer.kid, signer.publicJwk as Record<string, string>);
  kids.add(signer.kid);
}

const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Status list `list` as it stands now, signed; STATUS_LIST_NOT_FOUND when no certificate is in it. */
export async function statusListCredential(opts: {
  db: Db;
  signer: CredentialSigner;
  list: number;
  now: Date;
}): Promise<Record<string, unknown>> {
  const from = (opts.list - 1) * STATUS_LIST_SIZE;
  const entries = await statusListEntries(opts.db, from, from + STATUS_LIST_SIZE - 1);
  if (!entries) throw new AppError('STATUS_LIST_NOT_FOUND', { field: 'list' });
  const base = opts.signer.baseUrl;
  const url = statusListUrl(base, opts.list);
  const validFrom = new Date(Math.floor(opts.now.getTime() / 1000) * 1000);
  const unsigned = {
    '@context': CREDENTIAL_CONTEXT.slice(0, 1),
    id: url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: programProfileOf(base),
    validFrom: seconds(validFrom),
    validUntil: seconds(new Date(validFrom.getTime() + STATUS_LIST_VALIDITY_SECONDS * 1000)),
    credentialSubject: {
      id: `${url}#list`,
      type: 'BitstringStatusList',
      statusPurpose: 'revocation',
      encodedList: encodeStatusList(entries.revoked.map((i) => i - from)),
    },
  };
  await rememberListKey(opts.db, opts.signer);
  return signCredential(unsigned, opts.signer, opts.now);
}
