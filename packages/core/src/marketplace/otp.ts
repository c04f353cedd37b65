import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/** How a one-time code reaches the participant (SMS or the program's app in production). */
export interface OtpChannel {
  send(message: {
    checkoutId: string;
    participantId: string;
    code: string;
    courseTitle: string;
    price: number;
    /**
     * What the code consents to: a purchase (default), showing the balance to a platform, or a
     * platform gathering all the participant's certificates into a skills passport (courseTitle
     * empty and price 0 for the last two).
     */
    purpose?: 'CHECKOUT' | 'BALANCE_CHECK' | 'PASSPORT';
  }): Promise<void>;
}

/**
 * Development and tests: keeps the last code per checkout in memory, readable through the
 * development-only endpoint. Production never mounts that endpoint nor uses this channel.
 */
export class DevOtpChannel implements OtpChannel {
  private readonly codes = new Map<string, { code: string; sentAt: number }>();
  async send(m: { checkoutId: string; code: string }): Promise<void> {
    this.codes.set(m.checkoutId, { code: m.code, sentAt: Date.now() });
  }
  read(checkoutId: string): string | undefined {
    return this.codes.get(checkoutId)?.code;
  }
  /** Forgets codes sent before `before` (real ms): a long-running sandbox must not grow forever. */
  prune(before: number): number {
    let n = 0;
    for (const [id, c] of this.codes)
      if (c.sentAt < before) {
        this.codes.delete(id);
        n++;
      }
    return n;
  }
}

export const OTP_TTL_MS = 10 * 60 * 1000;
export const OTP_MAX_ATTEMPTS = 5;

export function generateOtp(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** Keyed by the checkout id, so one code's hash says nothing about another checkout's. */
export function hashOtp(checkoutId: string, code: string): string {
  return createHmac('sha256', checkoutId).update(code).digest('base64url');
}

export function otpMatches(checkoutId: string, code: string, hash: string): boolean {
  const a = Buffer.from(hashOtp(checkoutId, code));
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}
