import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';
import { PRODUCTION_ENV } from './production-env.fixture';

const PRODUCTION = PRODUCTION_ENV;

describe('WEBHOOKS_ALLOW_PRIVATE', () => {
  it('is off unless set to true, whatever NODE_ENV says (a staging box without NODE_ENV=production included)', () => {
    expect(parseEnv({}).webhooksAllowPrivate).toBe(false);
    for (const NODE_ENV of ['development', 'test', 'production'])
      expect(parseEnv({ ...PRODUCTION, NODE_ENV }).webhooksAllowPrivate).toBe(false);
    expect(parseEnv({ WEBHOOKS_ALLOW_PRIVATE: 'true' }).webhooksAllowPrivate).toBe(true);
    expect(parseEnv({ NODE_ENV: 'test', WEBHOOKS_ALLOW_PRIVATE: 'true' }).webhooksAllowPrivate).toBe(true);
    expect(parseEnv({ WEBHOOKS_ALLOW_PRIVATE: 'false' }).webhooksAllowPrivate).toBe(false);
  });

  it('is refused in production, and a bad value is named', () => {
    expect(parseEnv({ ...PRODUCTION, WEBHOOKS_ALLOW_PRIVATE: 'false' }).webhooksAllowPrivate).toBe(false);
    expect(() => parseEnv({ ...PRODUCTION, WEBHOOKS_ALLOW_PRIVATE: 'true' })).toThrow(
      /WEBHOOKS_ALLOW_PRIVATE="true": must not be true in production/,
    );
    expect(() => parseEnv({ WEBHOOKS_ALLOW_PRIVATE: 'yes please' })).toThrow(
      /WEBHOOKS_ALLOW_PRIVATE="yes please": must be true or false/,
    );
  });

  it('npm start and npm run dev turn it on (the guides receive webhooks on 127.0.0.1), unless it is set', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const script of ['start', 'dev'])
      expect(pkg.scripts[script], script).toMatch(
        /WEBHOOKS_ALLOW_PRIVATE=\$\{WEBHOOKS_ALLOW_PRIVATE:-true\} /,
      );
    // The worker does not: operators who split web and workers set it themselves.
    expect(pkg.scripts.worker).not.toContain('WEBHOOKS_ALLOW_PRIVATE');
  });
});
