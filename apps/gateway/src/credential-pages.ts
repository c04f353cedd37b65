import type { Services } from '@latih/api';
import { AppError } from '@latih/contracts';
import { publicAchievement, publicIssuerProfile } from '@latih/core';
import type { Express, Request, Response } from 'express';

/*
 * What a certificate's `issuer.id` and `credentialSubject.achievement.id` point at: the provider's
 * Open Badges Profile and the course as an Achievement, public (no token). One URL each, two forms:
 * JSON-LD for machines (`Accept: application/ld+json` or `application/json`, anything else but HTML,
 * or the URL with `.json` appended) and a page for people (`Accept: text/html`, what browsers send).
 */

type Render = (res: Response, status: number, title: string, body: string) => void;

/** JSON-LD unless the client prefers HTML (a browser); `.json` on the URL always means JSON-LD. */
function wantsHtml(req: Request, json: boolean): boolean {
  return !json && req.accepts(['application/ld+json', 'application/json', 'text/html']) === 'text/html';
}

function sendJsonLd(req: Request, res: Response, doc: object): void {
  // Labelled application/ld+json, unless the client accepts only plain JSON.
  const plain = !req.accepts('application/ld+json') && req.accepts('application/json') !== false;
  res.type(plain ? 'application/json' : 'application/ld+json').send(JSON.stringify(doc));
}

/** One public document at `path/:id` (or `:id.json`): JSON-LD, or a page that embeds it. */
function publicDocument<D extends { id: string; name: string }>(
  app: Express,
  path: string,
  opts: {
    load: (id: string) => Promise<D | null | undefined>;
    missing: { message: (id: string) => string; title: string; text: string };
    body: (doc: D) => string;
    kind: string;
  },
  view: { page: Render; esc: (s: string) => string },
): void {
  const { page, esc } = view;
  app.get(`${path}/:id`, async (req, res, next) => {
    try {
      const json = req.params.id?.endsWith('.json') ?? false;
      const id = json ? (req.params.id ?? '').slice(0, -'.json'.length) : (req.params.id ?? '');
      const html = wantsHtml(req, json);
      res.vary('Accept');
      res.setHeader('Cache-Control', 'public, max-age=300');
      const doc = await opts.load(id);
      if (!doc) {
        res.removeHeader('Cache-Control');
        if (!html) throw new AppError('NOT_FOUND', { message: opts.missing.message(id), field: 'id' });
        page(
          res,
          404,
          opts.missing.title,
          `<h1 class="bad">${opts.missing.title}</h1><p>${opts.missing.text} <code>${esc(id)}</code>.</p>`,
        );
        return;
      }
      if (!html) return sendJsonLd(req, res, doc);
      page(
        res,
        200,
        doc.name,
        `<h1>${esc(doc.name)}</h1>
${opts.body(doc)}
<p><small>Open Badges 3.0 ${opts.kind}: <a href="${esc(doc.id)}.json">JSON-LD</a></small></p>
<script type="application/ld+json">${JSON.stringify(doc).replace(/</g, '\\u003c')}</script>`,
      );
    } catch (err) {
      next(err);
    }
  });
}

export function mountCredentialPages(
  app: Express,
  services: Services,
  view: { page: Render; esc: (s: string) => string },
): void {
  const { esc } = view;
  const base = () => services.tokens.issuer();

  publicDocument(
    app,
    '/v1/public/organisations',
    {
      load: (id) => publicIssuerProfile({ db: services.db, baseUrl: base(), id }),
      missing: {
        message: (id) => `No training provider ${id}.`,
        title: 'Lembaga tidak ditemukan',
        text: 'No training provider has the id',
      },
      kind: 'Profile',
      body: (
        profile,
      ) => `<p>Lembaga pelatihan Latih / A training provider of the Latih program. It issues completion certificates: check one at <code>/verify/&lt;nomor&gt;</code>.</p>
<dl><dt>Id</dt><dd><code>${esc(profile.id)}</code></dd></dl>`,
    },
    view,
  );

  publicDocument(
    app,
    '/v1/public/courses',
    {
      load: (id) => publicAchievement({ db: services.db, baseUrl: base(), id }),
      missing: {
        message: (id) => `No published course ${id}.`,
        title: 'Pelatihan tidak ditemukan',
        text: 'No published course has the id',
      },
      kind: 'Achievement',
      body: (achievement) => {
        const alignment = ('alignment' in achievement ? achievement.alignment : undefined) ?? [];
        return `<p>${esc(achievement.description)}</p>
<dl><dt>Lembaga pelatihan / Provider</dt><dd><a href="${esc(achievement.creator.id)}">${esc(achievement.creator.name)}</a></dd>
<dt>Kriteria / Criteria</dt><dd>${esc(achievement.criteria.narrative)}</dd>
${alignment.length ? `<dt>Unit kompetensi SKKNI</dt><dd>${alignment.map((a) => `<code>${esc(a.targetCode)}</code>`).join(', ')}</dd>` : ''}
</dl>`;
      },
    },
    view,
  );
}
