import { createHash, type JsonWebKey, type KeyObject, sign } from 'node:crypto';
import { canonicalJson } from '../canonical-json';
import { base58Encode } from './base58';

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
