import { createHash, createPublicKey, type JsonWebKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from '../canonical-json';
import { base58Decode, base58Encode } from './base58';

/** What signs certificates: the gateway's current ES256 key, and where verifiers find it. */
export type CredentialSigner = {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JsonWebKey;
  /** The gateway's public base URL (the issuer of tokens), e.g. https://api.latih.id */
  baseUrl: string;
};

type Json = Record<string, unknown>;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The bytes ecdsa-jcs-2019 signs: SHA-256 of the canonical proof options, then SHA-256 of the
 * canonical document (W3C VC Data Integrity ECDSA Cryptosuites, §3.3).
 */
function hashData(document: Json, proofOptions: Json): Buffer {
  return Buffer.concat([sha256(canonicalJson(proofOptions)), sha256(canonicalJson(document))]);
}

/** Adds a DataIntegrityProof (ecdsa-jcs-2019: ES256 over JCS-canonical JSON) to the document. */
export function signCredential(document: Json, signer: CredentialSigner, created: Date): Json {
  const proofOptions: Json = {
    '@context': document['@context'],
    type: 'DataIntegrityProof',
    cryptosuite: 'ecdsa-jcs-2019',
    created: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    verificationMethod: `${signer.baseUrl}/.well-known/jwks.json#${signer.kid}`,
    proofPurpose: 'assertionMethod',
  };
  const signature = sign('sha256', hashData(document, proofOptions), {
    key: signer.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  const { '@context': _context, ...proof } = proofOptions;
  return { ...document, proof: { ...proof, proofValue: `z${base58Encode(signature)}` } };
}

/**
 * Checks a signed credential against a JWKS, offline. True only when the proof verifies with the
 * key its verificationMethod names; any change to the document or proof makes it false.
 */
export function verifyCredential(credential: Json, jwks: { keys: JsonWebKey[] }): boolean {
  const { proof, ...document } = credential;
  if (!proof || typeof proof !== 'object') return false;
  const { proofValue, ...rest } = proof as Json;
  if (typeof proofValue !== 'string' || !proofValue.startsWith('z')) return false;
  if (rest.cryptosuite !== 'ecdsa-jcs-2019' || typeof rest.verificationMethod !== 'string') return false;
  const kid = rest.verificationMethod.split('#')[1];
  const jwk = jwks.keys.find((k) => (k as { kid?: string }).kid === kid);
  if (!jwk) return false;
  try {
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    return verify(
      'sha256',
      hashData(document, { '@context': document['@context'], ...rest }),
      { key, dsaEncoding: 'ieee-p1363' },
      base58Decode(proofValue.slice(1)),
    );
  } catch {
    return false;
  }
}
