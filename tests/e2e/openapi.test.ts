import SwaggerParser from '@apidevtools/swagger-parser';
import { appRouter, buildOpenApiDocument } from '@latih/api';
import { ERROR_CATALOG, ERROR_CODES, SCOPES } from '@latih/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_ERROR_CODES } from '../../packages/api/src/operation-errors.generated';
import { deriveOperationErrorCodes } from '../../scripts/operation-errors';
import { startTestGateway } from '../support/gateway';
import { check } from '../support/openapi-harness';

type Op = {
  operationId: string;
  parameters?: { $ref?: string; name?: string }[];
  security?: { Authorization: string[] }[];
  responses: Record<
    string,
    {
      content?: Record<
        string,
        { schema: { allOf?: [unknown, { properties: { code: { enum: string[] } } }] } }
      >;
    }
  >;
};
type Doc = {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Op>>;
  components: {
    securitySchemes: {
      Authorization: { flows: { clientCredentials: { scopes: Record<string, string> } } };
      ConsoleSession: Record<string, unknown>;
    };
  };
};

/** Codes no /v1 operation answers: the console's, the payment provider's webhook, unknown routes. */
const NOT_IN_REST = [
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_SUPPORTED',
  'STAFF_SIGN_IN_FAILED',
  'STAFF_LOCKED',
  'PAYMENTS_WEBHOOK_INVALID',
  // Only the program's integration protocol (/api/v1/integration/*, outside /v1) answers these.
  'NOT_A_TEST_CODE',
  'INTEGRATION_HEADERS_MISSING',
  'INTEGRATION_CLIENT_UNKNOWN',
  'INTEGRATION_TIMESTAMP_OUT_OF_RANGE',
  'INTEGRATION_SIGNATURE_INVALID',
];

describe('the OpenAPI document', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let doc: Doc;
  beforeAll(async () => {
    gw = await startTestGateway();
    doc = (await (await fetch(`${gw.url}/v1/openapi.json`)).json()) as Doc;
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('stays OpenAPI 3.1 and passes a third-party validator (swagger-parser)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('is the document the e2e harness validates against', () => {
    expect(doc).toEqual(buildOpenApiDocument({ baseUrl: '/v1', version: doc.info.version }));
  });

  it('lists the domain codes derived from the source as they are now (npm run docs:operation-errors)', () => {
    expect(OPERATION_ERROR_CODES).toEqual(deriveOperationErrorCodes());
  });

  it('declares every catalog code on some operation, each under its own status', () => {
    const declared = new Set<string>();
    for (const methods of Object.values(doc.paths))
      for (const op of Object.values(methods))
        for (const [status, r] of Object.entries(op.responses)) {
          const codes = r.content?.['application/json']?.schema.allOf?.[1].properties.code.enum ?? [];
          for (const c of codes) {
            expect(ERROR_CATALOG[c as keyof typeof ERROR_CATALOG].status, `${op.operationId} ${c}`).toBe(
              Number(status),
            );
            declared.add(c);
          }
        }
    expect(ERROR_CODES.filter((c) => !declared.has(c) && !NOT_IN_REST.includes(c))).toEqual([]);
  });

  it('declares the OAuth scopes, each operation its scope, the console session where staff may call, and Idempotency-Key on every mutation', () => {
    expect(Object.keys(doc.components.securitySchemes.Authorization.flows.clientCredentials.scopes)).toEqual([
      ...SCOPES,
    ]);
    // The console's cookie, as the gateway sets it (console-auth.test signs in and uses it on /v1).
    expect(doc.components.securitySchemes.ConsoleSession).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'latih_console_session',
    });
    const procedures = (
      appRouter as unknown as {
        _def: {
          procedures: Record<
            string,
            {
              _def: {
                type: string;
                meta?: { scope?: string; openapi?: { method: string; path: string; protect?: boolean } };
              };
            }
          >;
        };
      }
    )._def.procedures;
    let mutations = 0;
    for (const p of Object.values(procedures)) {
      const api = p._def.meta?.openapi;
      if (!api) continue;
      const op = doc.paths[api.path]?.[api.method.toLowerCase()] as Op;
      // A caller may also be staff signed in to the console: the PMO's everywhere but the partners'
      // own, a provider's on /provider/*; platforms have no console.
      const pmoMayCall = !/^\/platform\//.test(api.path);
      if (api.protect)
        expect(op.security, op.operationId).toEqual([
          { Authorization: p._def.meta?.scope ? [p._def.meta.scope] : [] },
          ...(pmoMayCall ? [{ ConsoleSession: [] }] : []),
        ]);
      else expect(op.security).toBeUndefined();
      const refs = (op.parameters ?? []).map((x) => x.$ref);
      expect(refs.includes('#/components/parameters/CsrfToken'), op.operationId).toBe(
        api.protect === true && pmoMayCall && p._def.type === 'mutation',
      );
      if (p._def.type === 'mutation') {
        mutations++;
        expect(refs, op.operationId).toContain('#/components/parameters/IdempotencyKey');
        expect(Object.keys(op.responses), op.operationId).toEqual(
          expect.arrayContaining(['409', '422', '429', '500', '503']),
        );
      } else {
        expect(Object.keys(op.responses), op.operationId).toEqual(
          expect.arrayContaining(['200', '304', '429', '500', '503']),
        );
      }
    }
    expect(mutations).toBeGreaterThan(50);
  });

  it('the harness refuses an answer the document does not describe', async () => {
    const headers = {
      'x-request-id': 'req_1',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'content-type': 'application/json',
    };
    const url = new URL(`${gw.url}/v1/provider/vouchers/redeem`);
    // The generator's old default shape, and a code redeem never answers.
    const generic = new Response(JSON.stringify({ message: 'x', code: 'BAD_REQUEST', issues: [] }), {
      status: 400,
      headers,
    });
    expect(await check('POST', url, generic)).toMatch(/does not match the document/);
    const alien = new Response(
      JSON.stringify({ code: 'RUN_FULL', message: 'x', requestId: 'req_1', retryable: false }),
      { status: 409, headers },
    );
    expect(await check('POST', url, alien)).toMatch(/code must be equal to one of the allowed values/);
    expect(await check('POST', url, new Response('{}', { status: 418, headers }))).toMatch(
      /does not declare/,
    );
    const real = new Response(
      JSON.stringify({
        code: 'VOUCHER_ALREADY_REDEEMED',
        message: 'x',
        requestId: 'req_1',
        retryable: false,
      }),
      { status: 409, headers },
    );
    expect(await check('POST', url, real)).toBeNull();
  });

  it('a real error answer matches: a redeem without a token is 401 TOKEN_MISSING in the Error shape', async () => {
    const res = await fetch(`${gw.url}/v1/provider/vouchers/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' },
      body: JSON.stringify({ code: 'X' }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'TOKEN_MISSING', retryable: false });
  });
});
