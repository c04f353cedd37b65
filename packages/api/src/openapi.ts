import { generateOpenApiDocument, type OpenApiRouter } from 'trpc-to-openapi';

type SchemaObject = Record<string, unknown> & { type: 'object' };

import { EXPORTS } from './exports';
import { declareErrorsAndHeaders } from './openapi-errors';
import { appRouter } from './router';

/** The OpenAPI 3.1 document of every procedure served under /v1, plus the OAuth token endpoint. */
export function buildOpenApiDocument(opts: { baseUrl: string; version: string }) {
  const doc = generateOpenApiDocument(appRouter as unknown as OpenApiRouter, {
    title: 'Latih partner gateway',
    description:
      'The partner API of the skills-voucher program: providers publish courses and report training, platforms sell them, the program office curates and pays. Authenticate with OAuth 2.0 client credentials at POST /v1/oauth/token, then send the token as a Bearer header. Every mutation accepts an Idempotency-Key header.',
    version: opts.version,
    baseUrl: opts.baseUrl,
    securitySchemes: {
      Authorization: {
        type: 'oauth2',
        description: 'OAuth 2.0 client credentials; access tokens are ES256 JWTs valid 15 minutes.',
        flows: { clientCredentials: { tokenUrl: '/v1/oauth/token', scopes: {} } },
      },
    },
  });
  doc.paths = {
    '/oauth/token': {
      post: {
        operationId: 'oauth-token',
        summary: 'Get an access token (client credentials)',
        description:
          'RFC 6749 §4.4. Send grant_type=client_credentials with client_id and client_secret in a form or JSON body, or the client as HTTP Basic. Errors follow RFC 6749 §5.2.',
        tags: ['auth'],
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': { schema: tokenRequestSchema },
            'application/json': { schema: tokenRequestSchema },
          },
        },
        responses: {
          '200': {
            description: 'An access token',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['access_token', 'token_type', 'expires_in', 'scope'],
                  properties: {
                    access_token: { type: 'string' },
                    token_type: { type: 'string', const: 'Bearer' },
                    expires_in: { type: 'integer' },
                    scope: { type: 'string' },
                  },
                },
              },
            },
          },
          '400': {
            description: 'invalid_request, unsupported_grant_type, invalid_scope or unauthorized_client',
          },
          '401': { description: 'invalid_client' },
        },
      },
    },
    ...doc.paths,
    ...exportPaths(),
    ...credentialDocumentPaths(),
  };
  declareErrorsAndHeaders(doc as unknown as Parameters<typeof declareErrorsAndHeaders>[0]);
  return doc;
}

const tokenRequestSchema: SchemaObject = {
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: { type: 'string', const: 'client_credentials' },
    client_id: { type: 'string' },
    client_secret: { type: 'string' },
    scope: { type: 'string', description: 'Space-separated subset of the scopes granted to the client' },
  },
};

/** The CSV exports, documented beside the JSON procedures they page through. */
function exportPaths() {
  const paths: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(EXPORTS)) {
    const path =
      def.audience === 'pmo'
        ? `/pmo/exports/${name}.csv`
        : `/${name}.csv`.replace(/^\/(public|provider)\//, '/$1/exports/');
    paths[path] = {
      get: {
        operationId: `export-${name.replace(/\//g, '-')}`,
        summary: `CSV: ${def.summary}`,
        description:
          'Streamed as text/csv (RFC 4180, UTF-8, CRLF), page by page, however many rows. Takes the query parameters of the procedure named in the summary, except limit and cursor. Text cells that begin with = + - or @ are prefixed with an apostrophe so spreadsheets do not run them.',
        tags: [def.audience, 'exports'],
        ...(def.audience === 'public' ? {} : { security: [{ Authorization: [] }] }),
        responses: {
          '200': {
            description: `Columns: ${def.columns.join(', ')}`,
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
          '400': { description: 'VALIDATION_FAILED, in the JSON error shape' },
          ...(def.audience === 'pmo'
            ? {
                '401': { description: 'TOKEN_MISSING or TOKEN_INVALID' },
                '403': { description: 'FORBIDDEN_ROLE or SCOPE_MISSING' },
              }
            : {}),
        },
      },
    };
  }
  return paths;
}

const jsonLd = (required: string[], properties: Record<string, unknown>): SchemaObject => ({
  type: 'object',
  required: ['@context', 'id', 'type', 'name', ...required],
  properties: {
    '@context': { type: 'array', items: { type: 'string' } },
    id: { type: 'string', format: 'uri', description: 'This URL' },
    type: { type: 'array', items: { type: 'string' } },
    name: { type: 'string' },
    ...properties,
  },
});

const ISSUER_PROFILE = jsonLd([], {});
const ACHIEVEMENT = jsonLd(['achievementType', 'description', 'criteria'], {
  achievementType: { type: 'string', const: 'Certificate' },
  description: { type: 'string' },
  criteria: { type: 'object', required: ['narrative'], properties: { narrative: { type: 'string' } } },
  tag: { type: 'array', items: { type: 'string' }, description: "The certificate template's skills" },
  alignment: {
    type: 'array',
    description: 'The SKKNI competency units the course teaches',
    items: {
      type: 'object',
      required: ['type', 'targetName', 'targetUrl', 'targetFramework', 'targetCode'],
      properties: {
        type: { type: 'array', items: { type: 'string' } },
        targetName: { type: 'string' },
        targetUrl: { type: 'string', format: 'uri' },
        targetFramework: { type: 'string', const: 'SKKNI' },
        targetCode: { type: 'string' },
      },
    },
  },
});

/**
 * What a certificate's `issuer.id` and `achievement.id` point at (Open Badges 3.0): public, one URL
 * each, JSON-LD for machines and a page for people by content negotiation (apps/gateway's
 * credential-pages.ts serves them; not procedures).
 */
function credentialDocumentPaths(): Record<string, unknown> {
  const document = (opts: { operationId: string; summary: string; what: string; schema: SchemaObject }) => ({
    get: {
      operationId: opts.operationId,
      summary: opts.summary,
      description: `${opts.what} JSON-LD when the client asks for application/ld+json or application/json (or for anything but HTML), or when the id ends in .json; a page for people when it prefers text/html (a browser). Cached 5 minutes.`,
      tags: ['public', 'credentials'],
      parameters: [
        {
          in: 'path',
          name: 'id',
          required: true,
          description: 'The id, optionally followed by .json',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': {
          description: 'The JSON-LD document, or a page that embeds it',
          content: {
            'application/ld+json': { schema: opts.schema },
            'application/json': { schema: opts.schema },
            'text/html': { schema: { type: 'string' } },
          },
        },
      },
    },
  });
  return {
    '/public/organisations/{id}': document({
      operationId: 'public-issuer-profile',
      summary: "A training provider's Open Badges Profile: the issuer of its certificates",
      what: 'Providers ever admitted (suspended ones too: their certificates stay valid); anyone else is NOT_FOUND.',
      schema: ISSUER_PROFILE,
    }),
    '/public/courses/{id}': document({
      operationId: 'public-achievement',
      summary: 'A published course as an Open Badges Achievement: what its certificates attest',
      what: 'Courses ever published; drafts and unknown ids are NOT_FOUND.',
      schema: ACHIEVEMENT,
    }),
  };
}
