import type { Services } from '@latih/api';
import { AppError, IDENTITY_FAILURE_REASONS } from '@latih/contracts';
import { answerIdentityCheck, identityCheckPage, verifyCertificateNumber } from '@latih/core';
import { certificatePublicKeys } from '@latih/db';
import express, { type Express, type Response } from 'express';
import { clientAddress } from './client-address';
import { mountCredentialPages } from './credential-pages';

/** Pages the gateway serves to people rather than partners: certificate checks and identity checks. */

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.4rem}.ok{color:#0a6b2d}.bad{color:#a4000f}dt{font-weight:600}dd{margin:0 0 .6rem}
button{font:inherit;padding:.6rem 1rem;margin:.3rem 0;border-radius:.3rem;border:1px solid #444;cursor:pointer}
button:focus,select:focus,a:focus{outline:3px solid #1c5fd6;outline-offset:2px}
.primary{background:#0a6b2d;color:#fff;border-color:#0a6b2d}label{display:block;margin-top:1rem}
select{font:inherit;padding:.4rem}small{color:#555}`;

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`,
    );
}

const WIB = new Intl.DateTimeFormat('id-ID', { dateStyle: 'long', timeZone: 'Asia/Jakarta' });

const REASON_LABELS: Record<(typeof IDENTITY_FAILURE_REASONS)[number], string> = {
  FACE_MISMATCH: 'Wajah tidak cocok / Face did not match',
  NOT_ME: 'Bukan saya yang mengikuti sesi ini / This is not me',
  CAMERA_UNAVAILABLE: 'Kamera tidak tersedia / No camera',
  OTHER: 'Lainnya / Other',
};

export function mountPages(app: Express, services: Services): void {
  // The JWKS: token keys (rotating) plus every key that ever signed a certificate, so that a
  // certificate stays checkable offline after its key stopped signing.
  app.get('/.well-known/jwks.json', async (_req, res, next) => {
    try {
      const tokenKeys = services.tokens.jwks().keys as { kid?: string }[];
      const known = new Set(tokenKeys.map((k) => k.kid));
      const certKeys = (await certificatePublicKeys(services.db))
        .filter((k) => !known.has(k.kid))
        .map((k) => k.publicJwk);
      // Caches may keep it 5 minutes: new keys are published 10 minutes before they sign.
      res.setHeader('Cache-Control', 'public, max-age=300');
      res.json({ keys: [...tokenKeys, ...certKeys] });
    } catch (err) {
      next(err);
    }
  });

  app.get('/verify/:number', async (req, res, next) => {
    try {
      const v = await verifyCertificateNumber({ db: services.db, number: req.params.number });
      const valid = v.status === 'VALID';
      page(
        res,
        200,
        `Sertifikat ${v.number}`,
        `<h1 class="${valid ? 'ok' : 'bad'}">${valid ? '✔ Sertifikat sah' : '✖ Sertifikat dicabut'} <small>(${valid ? 'valid' : 'revoked'})</small></h1>
<dl><dt>Nomor</dt><dd>${esc(v.number)}</dd>
<dt>Peserta</dt><dd>${esc(v.participantName)}</dd>
<dt>Pelatihan</dt><dd>${esc(v.course.title)} (${v.course.hours} jam)</dd>
<dt>Lembaga pelatihan</dt><dd>${esc(v.provider.name)}</dd>
<dt>Terbit</dt><dd><time datetime="${v.issuedAt}">${WIB.format(new Date(v.issuedAt))}</time></dd>
${valid ? '' : `<dt>Dicabut</dt><dd><time datetime="${v.revokedAt ?? ''}">${v.revokedAt ? WIB.format(new Date(v.revokedAt)) : ''}</time>: ${esc(v.revocationReason ?? '')}</dd>`}
</dl><p><small>Signed ES256; key: ${esc(v.verificationMethod)}</small></p>`,
      );
    } catch (err) {
      if (
        err instanceof AppError &&
        (err.code === 'CERTIFICATE_NOT_FOUND' || err.code === 'CODE_MALFORMED')
      ) {
        page(
          res,
          404,
          'Sertifikat tidak ditemukan',
          `<h1 class="bad">Sertifikat tidak ditemukan</h1><p>No certificate has the number <code>${esc(req.params.number)}</code>. Check it as printed.</p>`,
        );
        return;
      }
      next(err);
    }
  });

  // A certificate's issuer.id and achievement.id.
  mountCredentialPages(app, services, { page, esc });

  const unknown = (res: Response) =>
    page(res, 404, 'Tautan tidak dikenal', '<h1 class="bad">Tautan tidak dikenal</h1><p>Unknown link.</p>');

  const gone = (res: Response, returnUrl: string | null, used: boolean) =>
    page(
      res,
      410,
      'Tautan tidak berlaku',
      `<h1 class="bad">Tautan ini sudah tidak berlaku</h1><p>${used ? 'It was already used.' : 'It has expired.'} Ask your training provider for a new one.</p>${returnUrl ? `<p><a href="${esc(returnUrl)}">Kembali ke lembaga pelatihan / Back to your provider</a></p>` : ''}`,
    );

  app.get('/identity-check/:token', async (req, res, next) => {
    try {
      const p = await identityCheckPage(services.db, req.params.token, new Date(services.now()));
      if (p.kind === 'UNKNOWN') {
        unknown(res);
        return;
      }
      if (p.kind !== 'PENDING') {
        gone(res, p.returnUrl, p.kind === 'USED');
        return;
      }
      const action = `/identity-check/${encodeURIComponent(req.params.token)}`;
      const options = IDENTITY_FAILURE_REASONS.map(
        (r) => `<option value="${r}">${esc(REASON_LABELS[r])}</option>`,
      ).join('');
      page(
        res,
        200,
        'Verifikasi identitas',
        `<h1>Verifikasi identitas peserta</h1>
<p>${esc(p.participantName)} · ${esc(p.courseTitle)} · sesi ${p.sequence}</p>
<p><small>Berlaku sampai / valid until <time datetime="${p.expiresAt.toISOString()}">${p.expiresAt.toISOString()}</time></small></p>
<form method="post" action="${action}"><input type="hidden" name="decision" value="CONFIRMED">
<button class="primary" type="submit">Ya, ini saya / Yes, this is me</button></form>
<form method="post" action="${action}"><input type="hidden" name="decision" value="FAILED">
<label for="reason">Tidak bisa verifikasi? / Can't confirm?</label>
<select id="reason" name="reason" required>${options}</select>
<button type="submit">Kirim / Send</button></form>`,
      );
    } catch (err) {
      next(err);
    }
  });

  app.post(
    '/identity-check/:token',
    express.urlencoded({ extended: false, limit: '4kb' }),
    async (req, res, next) => {
      try {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const decision = body.decision;
        if (decision !== 'CONFIRMED' && decision !== 'FAILED') {
          page(res, 400, 'Permintaan tidak sah', '<h1 class="bad">Bad request</h1><p>Choose an answer.</p>');
          return;
        }
        const reason = typeof body.reason === 'string' ? body.reason : null;
        const r = await answerIdentityCheck(
          services.db,
          req.params.token,
          { decision, reason, ip: clientAddress(req) },
          new Date(services.now()),
        );
        if (r.kind === 'UNKNOWN') {
          unknown(res);
          return;
        }
        if (r.kind === 'USED') {
          gone(res, null, true);
          return;
        }
        res.redirect(303, r.location);
      } catch (err) {
        if (err instanceof AppError && err.code === 'VALIDATION_FAILED') {
          page(
            res,
            400,
            'Permintaan tidak sah',
            `<h1 class="bad">Bad request</h1><p>${esc(err.message)}</p>`,
          );
          return;
        }
        next(err);
      }
    },
  );
}
