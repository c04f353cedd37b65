import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from './logger';

/**
 * Development only: a NIK hash key generated once and kept in the data folder, shared by the
 * gateway and a worker started with the same DATA_DIR (production requires NIK_HASH_KEY).
 */
export function developmentNikKey(dataDir: string, logger: Logger): Buffer {
  const file = join(dataDir, 'nik-hash-key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
    logger.warn({ file }, 'NIK_HASH_KEY is not set: generated a development key in the data folder.');
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

/**
 * The gateway's development key if its data folder holds one: a worker must seal and open with the
 * gateway's key, never make one of its own (webhook secrets and payout destinations would not open).
 */
export function existingDevelopmentNikKey(dataDir: string): Buffer | null {
  const file = join(dataDir, 'nik-hash-key');
  return existsSync(file) ? Buffer.from(readFileSync(file, 'utf8').trim(), 'base64') : null;
}
