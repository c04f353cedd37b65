import { loadKeySet } from '@latih/core';
import { ConfigError, loadEnv } from './env';
import { rotateKeyFile } from './keystore';

/**
 * `npm run keys:rotate`: publishes a new signing key now; it starts signing after the publish lead
 * (10 minutes), and the old key stays published until the last token it signed has expired.
 */
try {
  const config = loadEnv();
  const set = rotateKeyFile(config.signingKeysFile, new Date());
  for (const k of loadKeySet(set)) {
    console.log(`${k.kid}  signs from ${new Date(k.activatesAt).toISOString()}`);
  }
  console.log(`written to ${config.signingKeysFile}; running gateways pick it up within 30 s`);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
