import {
  CLIENT_ERROR_CATALOG,
  CLIENT_ERROR_CODES,
  ERROR_CATALOG,
  ERROR_CODES,
  RETRYABLE_ERROR_CODES,
} from '@latih/contracts';

/** docs/errors.md, generated from the catalog (`npm run docs:errors`); a test keeps it current. */
export function renderErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from packages/contracts/src/errors.ts by `npm run docs:errors`: edit the catalog, not this file. -->',
    '',
    'Every error answers with one body, over REST and (as `error.data`) over tRPC:',
    '',
    '```json',
    '{ "code": "VALIDATION_FAILED", "message": "price: Amounts are whole rupiah", "field": "price", "requestId": "req_…", "retryable": false, "docUrl": "/docs/errors/VALIDATION_FAILED" }',
    '```',
    '',
    'Codes are stable: new ones may be added, none is renamed or removed. No stack trace ever leaves the',
    'gateway; quote the `requestId` when you report a problem (it is also in the `X-Request-Id` header,',
    'and you may send your own). The SDK throws `LatihError` with the same `code`, `status`, `field`,',
    "`requestId`, `retryable` and `docUrl`: the code's page on the gateway that answered (`/docs/errors/<CODE>`,",
    "HTML, as Stripe's `doc_url`). The list is also served at `GET /v1/public/error-codes` and `/docs/errors`.",
    '',
    "The token endpoint (`POST /v1/oauth/token`) answers in OAuth's own shape instead (RFC 6749 §5.2):",
    '`{ "error": "invalid_client", "error_description": "…" }` with `invalid_request`, `invalid_client`',
    '(401), `unsupported_grant_type`, `invalid_scope` or `unauthorized_client` (the organisation is not active),',
    'and `rate_limited` (429, with `Retry-After`: see [`RATE_LIMITED`](#rate_limited)).',
    '',
    '| code | HTTP | retry |',
    '|---|---|---|',
    ...ERROR_CODES.map(
      (c) =>
        `| [\`${c}\`](#${c.toLowerCase()}) | ${ERROR_CATALOG[c].status} | ${RETRYABLE_ERROR_CODES.has(c) ? 'yes' : 'no'} |`,
    ),
    ...CLIENT_ERROR_CODES.map(
      (c) => `| [\`${c}\`](#${c.toLowerCase()}) | SDK only | ${c === 'NETWORK_ERROR' ? 'yes' : 'no'} |`,
    ),
    '',
  ];
  for (const c of ERROR_CODES) {
    const e = ERROR_CATALOG[c];
    lines.push(
      `## ${c.toLowerCase()}`,
      '',
      `\`${c}\` — HTTP ${e.status}${RETRYABLE_ERROR_CODES.has(c) ? ', retryable' : ''}`,
      '',
      `**When:** ${e.when}`,
      '',
      `**What to do:** ${e.action}`,
      '',
    );
  }
  lines.push(
    '## Raised by the SDK',
    '',
    'Two codes never come in a gateway answer: `LatihError` carries them when the SDK got no answer it could',
    'read as an error body. They are listed at `GET /v1/public/error-codes` too (`sdkOnly: true`).',
    '',
  );
  for (const c of CLIENT_ERROR_CODES) {
    const e = CLIENT_ERROR_CATALOG[c];
    lines.push(
      `## ${c.toLowerCase()}`,
      '',
      `\`${c}\` — SDK only${e.status ? ` (\`LatihError.status\` ${e.status} or the token endpoint's)` : ', no HTTP status'}${c === 'NETWORK_ERROR' ? ', retryable' : ''}`,
      '',
      `**When:** ${e.when}`,
      '',
      `**What to do:** ${e.action}`,
      '',
    );
  }
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('errors-doc.ts')) process.stdout.write(renderErrorsDoc());
