import {
  DEMO_ORGANISATIONS,
  DEMO_PARTICIPANTS,
  DEMO_PROVIDER_STAFF,
  DEMO_STAFF,
  DEMO_STAFF_PASSWORD,
} from '@latih/core';
import { sdkTarballPath } from './sdk-tarball';

/** What `npm start` prints: where things are, the demo credentials, and examples that work (tested). */
export function bannerText(url: string): string {
  const provider = DEMO_ORGANISATIONS.find((o) => o.key === 'provider-a');
  const rows = DEMO_ORGANISATIONS.map(
    (o) =>
      `  ${o.kind.padEnd(9)} ${o.name}\n            client_id=${o.clientId}\n            client_secret=${o.clientSecret}`,
  );
  const lines = [
    '',
    `Latih gateway is up at ${url}`,
    `  API reference   ${url}/docs`,
    `  OpenAPI 3.1     ${url}/v1/openapi.json`,
    `  JWKS            ${url}/.well-known/jwks.json`,
    `  Health          ${url}/healthz   ${url}/readyz`,
    '',
    'Demo credentials (development only; public, never use them in production):',
    ...rows,
    `Console staff (password ${DEMO_STAFF_PASSWORD}): ${DEMO_STAFF.map((s) => `${s.email} (${s.role})`).join(', ')}`,
    `Provider console staff of ${provider?.name} (same password): ${DEMO_PROVIDER_STAFF.map((s) => `${s.email} (${s.role})`).join(', ')}`,
    `  console: ${url}/console/   sign in: POST ${url}/console/api/session {"email","password"}`,
    `Demo participants (card numbers, Rp3.500.000 each): ${DEMO_PARTICIPANTS.map((p) => p.cardNumber).join(', ')}`,
    `One-time checkout codes (development only): ${url}/dev/otp/<checkoutId>`,
    '',
    'Try it with curl (a provider creates a draft course):',
    `  TOKEN=$(curl -s ${url}/v1/oauth/token -d grant_type=client_credentials -d client_id=${provider?.clientId} -d client_secret=${provider?.clientSecret} | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
    `  curl -s ${url}/v1/provider/courses -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H "Idempotency-Key: $(node -p 'crypto.randomUUID()')" \\`,
    `    -d '{"title":"Pengolahan Keripik Pisang","summary":"Membuat keripik pisang untuk usaha rumahan","category":"food-processing","mode":"LURING","hours":16,"price":1500000}'`,
    '',
    // The SDK is not on the npm registry: the gateway serves its tarball.
    `Or with the SDK (npm i ${url}${sdkTarballPath()}):`,
    "  import { createLatihClient } from '@latih/sdk';",
    `  const latih = createLatihClient({ baseUrl: '${url}', clientId: '${provider?.clientId}', clientSecret: '${provider?.clientSecret}' });`,
    "  const course = await latih.provider.courses.create.mutate({ title: 'Fotografi untuk Pemula', summary: 'Dasar fotografi produk dengan ponsel', category: 'photography', mode: 'WEBINAR', hours: 16, price: 900000 });",
    '',
  ];
  return `${lines.join('\n')}\n`;
}
