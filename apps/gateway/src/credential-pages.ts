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

export function mountCredentialPages(
  app: Express,
  services: Services,
  view: { page: Render; esc: (s: string) => string },
): void {
  const { page, esc } = view;
  const base = () => services.tokens.issuer();

  app.get('/v1/public/organisations/:id', async (req, res, next) => {
    try {
      const json = req.params.id.endsWith('.json');
      const id = json ? req.params.id.slice(0, -'.json'.length) : req.params.id;
      const html = wantsHtml(req, json);
      res.vary('Accept');
      res.setHeader('Cache-Control', 'public, max-age=300');
      const profile = await publicIssuerProfile({ db: services.db, baseUrl: base(), id });
      if (!profile) {
        res.removeHeader('Cache-Control');
        if (!html) throw new AppError('NOT_FOUND', { message: `No training provider ${id}.`, field: 'id' });
        page(
          res,
          404,
          'Lembaga tidak ditemukan',
          `<h1 class="bad">Lembaga tidak ditemukan</h1><p>No training provider has the id <code>${esc(id)}</code>.</p>`,
        );
        return;
      }
      if (!html) return sendJsonLd(req, res, profile);
      page(
        res,
        200,
        profile.name,
        `<h1>${esc(profile.name)}</h1>
<p>Lembaga pelatihan Latih / A training provider of the Latih program. It issues completion certificates: check one at <code>/verify/&lt;nomor&gt;</code>.</p>
<dl><dt>Id</dt><dd><code>${esc(profile.id)}</code></dd></dl>
<p><small>Open Badges 3.0 Profile: <a href="${esc(profile.id)}.json">JSON-LD</a></small></p>
<script type="application/ld+json">${JSON.stringify(profile).replace(/</g, '\\u003c')}</script>`,
      );
    } catch (err) {
      next(err);
    }
  });

  app.get('/v1/public/courses/:id', async (req, res, next) => {
    try {
      const json = req.params.id.endsWith('.json');
      const id = json ? req.params.id.slice(0, -'.json'.length) : req.params.id;
      const html = wantsHtml(req, json);
      res.vary('Accept');
      res.setHeader('Cache-Control', 'public, max-age=300');
      const achievement = await publicAchievement({ db: services.db, baseUrl: base(), id });
      if (!achievement) {
        res.removeHeader('Cache-Control');
        if (!html) throw new AppError('NOT_FOUND', { message: `No published course ${id}.`, field: 'id' });
        page(
          res,
          404,
          'Pelatihan tidak ditemukan',
          `<h1 class="bad">Pelatihan tidak ditemukan</h1><p>No published course has the id <code>${esc(id)}</code>.</p>`,
        );
        return;
      }
      if (!html) return sendJsonLd(req, res, achievement);
      const alignment = ('alignment' in achievement ? achievement.alignment : undefined) ?? [];
      page(
        res,
        200,
        achievement.name,
        `<h1>${esc(achievement.name)}</h1>
<p>${esc(achievement.description)}</p>
<dl><dt>Lembaga pelatihan / Provider</dt><dd><a href="${esc(achievement.creator.id)}">${esc(achievement.creator.name)}</a></dd>
<dt>Kriteria / Criteria</dt><dd>${esc(achievement.criteria.narrative)}</dd>
${alignment.length ? `<dt>Unit kompetensi SKKNI</dt><dd>${alignment.map((a) => `<code>${esc(a.targetCode)}</code>`).join(', ')}</dd>` : ''}
</dl>
<p><small>Open Badges 3.0 Achievement: <a href="${esc(achievement.id)}.json">JSON-LD</a></small></p>
<script type="application/ld+json">${JSON.stringify(achievement).replace(/</g, '\\u003c')}</script>`,
      );
    } catch (err) {
      next(err);
    }
  });
}
