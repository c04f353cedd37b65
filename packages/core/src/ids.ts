import { randomBytes } from 'node:crypto';
import { ID_PREFIXES, type TIdKind } from '@latih/contracts';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/** A ULID (48-bit millisecond time + 80 random bits) in lower-case Crockford base32. */
export function ulid(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(10);
  // 80 bits → 16 base32 characters, 5 bits at a time.
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let rand = '';
  for (let i = 0; i < 16; i++) {
    rand = CROCKFORD.charAt(Number(bits & 31n)) + rand;
    bits >>= 5n;
  }
  return time + rand;
}

export function newId(kind: TIdKind, now?: number): string {
  return `${ID_PREFIXES[kind]}_${ulid(now)}`;
}
