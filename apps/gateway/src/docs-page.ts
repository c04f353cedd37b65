import {
  CLIENT_ERROR_CATALOG,
  CLIENT_ERROR_CODES,
  ERROR_CATALOG,
  ERROR_CODES,
  errorDocUrl,
  RETRYABLE_ERROR_CODES,
  type TClientErrorCode,
  type TErrorCode,
} from '@latih/contracts';

/** Renders the OpenAPI document as one readable, self-contained HTML page (no CDN, no script). */
type Json = Record<string, unknown>;

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #0b6e4f;padding-bottom:.2rem;margin-top:2.5rem;text-transform:capitalize}
.op{border:1px solid #ccd;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:4.2rem;font-weight:700;font-family:monospace;color:#fff;border-radius:4px;padding:0 .4rem;text-align:center}
.GET{background:#1f6feb}.POST{background:#0b6e4f}.PATCH,.PUT{background:#9a6700}.DELETE{background:#cf222e}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f6f8fa;padding:.6rem;overflow:auto;border-radius:4px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e1e4e8;padding:.3rem .5rem;text-align:left;vertical-align:top}
a{color:#0b6e4f}:focus{outline:3px solid #f5a623}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function renderReference(doc: Json): string {
  const info = (doc.info ?? {}) as Json;
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = ((op.tags as string[] | undefined) ?? ['other'])[0] ?? 'other';
      const params = ((op.parameters as Json[] | undefined) ?? [])
        .map(
          (p) =>
            `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${esc(JSON.stringify(p.schema))}</code></td></tr>`,
        )
        .join('');
      const body = op.requestBody
        ? `<details><summary>Request body</summary><pre>${esc(JSON.stringify(op.requestBody, null, 2))}</pre></details>`
        : '';
      const ok = (op.responses as Json | undefined)?.['200'];
      const resp = ok
        ? `<details><summary>Response 200</summary><pre>${esc(JSON.stringify(ok, null, 2))}</pre></details>`
        : '';
      const secured = op.security ? ' · needs a Bearer token' : '';
      const html = `<div class="op" id="${esc(op.operationId)}"><span class="m ${method.toUpperCase()}">${method.toUpperCase()}</span> <code>/v1${esc(path)}</code>
<p><strong>${esc(op.summary)}</strong>${secured}</p><p>${esc(op.description)}</p>
${params ? `<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>Schema</th></tr>${params}</table>` : ''}${body}${resp}</div>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const sections = [...byTag.entries()]
    .map(([tag, ops]) => `<h2 id="${esc(tag)}">${esc(tag)}</h2>${ops.join('')}`)
    .join('');
  const nav = [...byTag.keys()].map((t) => `<a href="#${esc(t)}">${esc(t)}</a>`).join(' · ');
  return page(
    `${String(info.title)} — API reference`,
    `<h1>${esc(info.title)}</h1><p>Version ${esc(info.version)} · OpenAPI document: <a href="/v1/openapi.json">/v1/openapi.json</a> · <a href="/docs/errors">Error codes</a> · tRPC clients: <code>@latih/sdk</code></p><p>${esc(info.description)}</p><nav>${nav}</nav>${sections}`,
  );
}

/** The catalog's prose carries `code spans` (as in docs/errors.md): escaped, then set as <code>. */
const prose = (s: string) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

type Entry = {
  code: string;
  status: number | null;
  message: string;
  when: string;
  action: string;
  retry: boolean;
  sdk: boolean;
};

function entry(code: string): Entry | undefined {
  if (Object.hasOwn(ERROR_CATALOG, code)) {
    const e = ERROR_CATALOG[code as TErrorCode];
    return { code, ...e, retry: RETRYABLE_ERROR_CODES.has(code as TErrorCode), sdk: false };
  }
  if (Object.hasOwn(CLIENT_ERROR_CATALOG, code)) {
    const e = CLIENT_ERROR_CATALOG[code as TClientErrorCode];
    return { code, ...e, retry: code === 'NETWORK_ERROR', sdk: true };
  }
  return undefined;
}

const BODY = '<code>{ "code", "message", "field"?, "requestId", "retryable", "docUrl" }</code>';

export function renderErrorCatalog(): string {
  const rows = [...ERROR_CODES, ...CLIENT_ERROR_CODES]
    .map((code) => {
      const e = entry(code) as Entry;
      return `<tr id="${code.toLowerCase()}"><td><a href="${errorDocUrl(code as TErrorCode)}"><code>${code}</code></a></td><td>${e.sdk ? `SDK only${e.status ? ` (${e.status})` : ''}` : e.status}</td><td>${esc(e.message)}</td><td>${e.retry ? 'yes' : 'no'}</td></tr>`;
    })
    .join('');
  return page(
    'Latih — error codes',
    `<h1>Error codes</h1><p>Every error body is ${BODY}; <code>docUrl</code> is the code's page here. Codes are stable. <a href="/docs">API reference</a></p><table><tr><th>Code</th><th>HTTP</th><th>Meaning</th><th>Retry</th></tr>${rows}</table>`,
  );
}

/** One page per code (`/docs/errors/<CODE>`, the `docUrl` of an error body); undefined for no code. */
export function renderErrorPage(code: string): string | undefined {
  const e = entry(code);
  if (!e) return undefined;
  const status = e.sdk
    ? `Raised by the SDK (<code>LatihError.code</code>), never in a gateway answer${e.status ? `; <code>LatihError.status</code> ${e.status} or the token endpoint's` : ''}`
    : `HTTP ${e.status}`;
  return page(
    `${code} — Latih error code`,
    `<p><a href="/docs/errors">Error codes</a> · <a href="/docs">API reference</a></p><h1><code>${code}</code></h1><p>${status} · ${e.retry ? 'retryable (with the same <code>Idempotency-Key</code>)' : 'not retryable as is'}</p><p><strong>Message:</strong> ${esc(e.message)}</p><h2>When</h2><p>${prose(e.when)}</p><h2>What to do</h2><p>${prose(e.action)}</p><p>Every error body is ${BODY}: quote the <code>requestId</code> when you report a problem.</p>`,
  );
}
