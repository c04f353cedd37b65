/**
 * For tests: a complete production configuration, as parseEnv reads it (each test changes one
 * thing). Nothing here is a real secret.
 */
export const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://api.latih.example',
  DATABASE_URL: 'postgres://db/l',
  SIGNING_KEYS_FILE: '/k',
  NIK_HASH_KEY: Buffer.alloc(32).toString('base64'),
  PAYMENTS_BASE_URL: 'https://api.pay.example',
  PAYMENTS_API_KEY: 'sk_live_0123456789',
  PAYMENTS_WEBHOOK_SECRET: 'whsec_0123456789abcdef',
};
