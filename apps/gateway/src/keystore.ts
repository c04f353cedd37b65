import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateStoredKey, type LoadedKey, loadKeySet, rotateKeySet, type StoredKeySet } from '@latih/core';
import { ConfigError } from './env';

/**
 * Signing keys live in one JSON file (mode 0600). The gateway re-reads it when it changes, so a
 * rotation done by `npm run keys:rotate` reaches running gateways without a restart.
 */
export class FileKeyStore {
  private loaded: LoadedKey[] = [];
  private mtimeMs = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly file: string) {}

  static open(opts: { file: string; createIfMissing: boolean; onCreate?: () => void }): FileKeyStore {
    const store = new FileKeyStore(opts.file);
    if (!existsSync(opts.file)) {
      if (!opts.createIfMissing) {
        throw new ConfigError(
          `SIGNING_KEYS_FILE=${JSON.stringify(opts.file)}: the file does not exist (create it with npm run keys:rotate)`,
        );
      }
      const now = new Date();
      writeKeySet(opts.file, { keys: [generateStoredKey(now, now)] });
      opts.onCreate?.();
    }
    store.reload();
    return store;
  }

  readonly keys = (): LoadedKey[] => this.loaded;

  reload(): void {
    const mtimeMs = statSync(this.file).mtimeMs;
    if (mtimeMs === this.mtimeMs && this.loaded.length > 0) return;
    let stored: StoredKeySet;
    try {
      stored = JSON.parse(readFileSync(this.file, 'utf8')) as StoredKeySet;
      this.loaded = loadKeySet(stored);
    } catch (err) {
      throw new ConfigError(
        `SIGNING_KEYS_FILE=${JSON.stringify(this.file)}: not a valid key set (${String(err)})`,
      );
    }
    this.mtimeMs = mtimeMs;
  }

  watch(intervalMs: number, onError: (err: unknown) => void): void {
    this.timer = setInterval(() => {
      try {
        this.reload();
      } catch (err) {
        onError(err); // keep the keys we have; a half-written file must not take the gateway down
      }
    }, intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

export function writeKeySet(file: string, set: StoredKeySet): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(set, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file); // atomic: readers never see half a file
}

export function rotateKeyFile(file: string, now: Date, leadSeconds?: number): StoredKeySet {
  const current: StoredKeySet = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { keys: [] };
  const next =
    current.keys.length === 0
      ? { keys: [generateStoredKey(now, now)] }
      : rotateKeySet(current, now, leadSeconds);
  writeKeySet(file, next);
  return next;
}
