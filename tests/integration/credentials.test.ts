import { answerIdentityCheck, identityCheckPage, normalizeCertificateNumber } from '@latih/core';
import { certificatePublicKeys, schema } from '@latih/db';
import { verifyCertificate } from '@latih/sdk';
import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines, postgresAvailable } from '../support/db';
import { classHeld, complete, enrolled } from '../support/delivery-fixtures';
import { feedsCaughtUp } from '../support/feed-horizon';
import { codeOf, type Harness, useHarness } from '../support/harness';

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

async function jwksOf(h: Harness) {
  const certKeys = (await certificatePublicKeys(h.db)).map((k) => k.publicJwk);
  return { keys: [...(h.tokens.jwks().keys as object[]), ...certKeys] };
}

async function eventsOf(h: Harness, type: string) {
  return h.db.select().from(schema.events).where(eq(schema.events.type, type)).orderBy(schema.events.seq);
}

const tokenOf = (url: string) => url.split('/identity-check/')[1] ?? '';

describe.each(engines())('certificates, reviews and the identity check on %s', (engine) => {
  const h = useHarness(engine);

  it('completion issues a signed Open Badges 3.0 certificate anyone can verify; provider and PMO revoke it', async () => {
    try {
      const { ids } = await enrolled(h, 1);
      const id = ids[0] ?? '';
      const done = await complete(h, id);
      expect(done.certificateNumber).toMatch(/^LTH-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      const number = done.certificateNumber ?? '';

      const cert = await h.caller('providerA').provider.certificates.get({ number });
      expect(cert).toMatchObject({ enrollmentId: id, status: 'VALID', revokedAt: null });
      const credential = cert.credential as Record<string, unknown> & {
        credentialSubject: { identifier: { identityHash: string }[]; achievement: { humanCode: string } };
        proof: { cryptosuite: string; proofValue: string; verificationMethod: string };
      };
      expect(credential.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
      expect(credential.credentialSubject.achievement.humanCode).toBe(number);
      expect(credential.proof.cryptosuite).toBe('ecdsa-jcs-2019');
      expect(await h.caller('providerA').provider.certificates.get({ enrollmentId: id })).toEqual(cert);

      // Offline: the proof checks out against the JWKS, and any change breaks it.
      const jwks = await jwksOf(h);
      expect(await verifyCertificate(credential, jwks as never)).toBe(true);
      const forged = structuredClone(credential);
      forged.credentialSubject.identifier[0] = { identityHash: 'Someone Else' };
      expect(await verifyCertificate(forged, jwks as never)).toBe(false);
      expect(
        await verifyCertificate({ ...credential, validFrom: '2020-01-01T00:00:00Z' }, jwks as never),
      ).toBe(false);
      expect(await verifyCertificate(credential, { keys: [] })).toBe(false);

      // Public: masked name, course and provider; lower case and spaces are forgiven, typos caught.
      const pub = await h.caller(null).public.certificates.verify({ number: number.toLowerCase() });
      const fullName = credential.credentialSubject.identifier[0]?.identityHash ?? '';
      expect(pub).toMatchObject({ number, status: 'VALID', provider: { name: 'Provider A' } });
      expect(pub.participantName).not.toBe(fullName);
      expect(pub.participantName.charAt(0)).toBe(fullName.charAt(0));
      expect(pub.participantName).toMatch(/^\S\**( \S\**)*$/);
      const typo = number.slice(0, -1) + (number.endsWith('0') ? '1' : '0');
      expect(normalizeCertificateNumber(typo)).toBeUndefined();
      expect(await refusal(h.caller(null).public.certificates.verify({ number: typo }))).toBe(
        'CODE_MALFORMED',
      );

      // Another provider sees nothing and revokes nothing.
      expect(await refusal(h.caller('providerB').provider.certificates.get({ number }))).toBe(
        'CERTIFICATE_NOT_FOUND',
      );
      expect(
        await refusal(
          h.caller('providerB').provider.certificates.revoke({ number, reason: 'Not ours to revoke at all' }),
        ),
      ).toBe('CERTIFICATE_NOT_FOUND');

      const revoked = await h
        .caller('providerA')
        .provider.certificates.revoke({ number, reason: 'Kehadiran sesi 3 terbukti dipalsukan' });
      expect(revoked).toMatchObject({
        status: 'REVOKED',
        revocationReason: 'Kehadiran sesi 3 terbukti dipalsukan',
      });
      expect(
        await refusal(
          h.caller('pmo').pmo.certificates.revoke({ number, reason: 'Twice is refused, clearly' }),
        ),
      ).toBe('CERTIFICATE_ALREADY_REVOKED');
      expect(await h.caller(null).public.certificates.verify({ number })).toMatchObject({
        status: 'REVOKED',
        revocationReason: 'Kehadiran sesi 3 terbukti dipalsukan',
      });
      expect((await eventsOf(h, 'certificate.issued')).map((e) => e.data)).toEqual([
        expect.objectContaining({ number, enrollmentId: id }),
      ]);
      expect((await eventsOf(h, 'certificate.revoked')).map((e) => e.data)).toEqual([
        expect.objectContaining({ number, reason: 'Kehadiran sesi 3 terbukti dipalsukan' }),
      ]);
      const audit = await h.db
        .select()
        .from(schema.auditLog)
        .where(and(eq(schema.auditLog.action, 'certificate.revoked')));
      expect(audit).toHaveLength(1);
    } finally {
      h.clock.reset();
    }
  });

  it('the PMO revokes any certificate; NOT_COMPLETED issues none', async () => {
    try {
      const { ids } = await enrolled(h, 2);
      const [a, b] = ids as [string, string];
      const done = await complete(h, a);
      const failed = await h
        .caller('providerA')
        .provider.completions.report({ enrollmentId: b, outcome: 'NOT_COMPLETED' });
      expect(failed.certificateNumber).toBeNull();
      expect(await refusal(h.caller('providerA').provider.certificates.get({ enrollmentId: b }))).toBe(
        'CERTIFICATE_NOT_FOUND',
      );
      const r = await h.caller('pmo').pmo.certificates.revoke({
        number: done.certificateNumber ?? '',
        reason: 'Kasus kontrol: tugas plagiat',
      });
      expect(r.status).toBe('REVOKED');
      const [row] = await h.db
        .select()
        .from(schema.certificates)
        .where(eq(schema.certificates.enrollmentId, a));
      expect(row?.revokedBy).toBe(h.orgs.pmo.organisationId);
      expect(
        await refusal(
          h.caller('platformA').pmo.certificates.revoke({ number: r.number, reason: 'x'.repeat(12) }),
        ),
      ).toBe('FORBIDDEN_ROLE');
    } finally {
      h.clock.reset();
    }
  });

  it('reviews: one per completed enrollment, by the selling platform, counted into course and provider ratings and the feed', async () => {
    try {
      const { ids, course } = await enrolled(h, 3);
      const voucherOf = async (enrollmentId: string) =>
        (await h.db.select().from(schema.enrollments).where(eq(schema.enrollments.id, enrollmentId)))[0]
          ?.voucherId ?? '';
      const [a, b, c] = ids as [string, string, string];
      const review = (voucherId: string, rating: number, who: 'platformA' | 'platformB' = 'platformA') =>
        h.caller(who).platform.reviews.submit({ voucherId, rating, text: 'Materi jelas, instruktur sabar' });

      expect(await refusal(review(await voucherOf(a), 5))).toBe('ENROLLMENT_NOT_COMPLETED');
      await complete(h, a);
      await complete(h, b);
      expect(await refusal(review(await voucherOf(a), 5, 'platformB'))).toBe('VOUCHER_NOT_FOUND');
      expect(await refusal(review(await voucherOf(a), 6))).toBe('VALIDATION_FAILED');
      expect(await refusal(review(await voucherOf(a), 0))).toBe('VALIDATION_FAILED');

      const before = await h.caller('platformA').platform.catalog.changes({});
      await expect(review(await voucherOf(a), 5)).resolves.toMatchObject({ rating: 5, courseId: course.id });
      expect(await refusal(review(await voucherOf(a), 1))).toBe('REVIEW_ALREADY_SUBMITTED');
      await review(await voucherOf(b), 4);
      await h.caller('providerA').provider.completions.report({ enrollmentId: c, outcome: 'NOT_COMPLETED' });
      expect(await refusal(review(await voucherOf(c), 1))).toBe('ENROLLMENT_NOT_COMPLETED');

      const view = await h.caller('platformA').platform.catalog.get({ id: course.id });
      expect(view.rating).toEqual({ average: 4.5, count: 2 });
      expect(view.provider.rating).toEqual({ average: 4.5, count: 2 });
      // The feed serves the reviews' change rows once no older transaction is open on the server.
      await feedsCaughtUp(h.db);
      const feed = await h.caller('platformA').platform.catalog.changes({ since: before.nextCursor });
      const last = feed.changes.filter((ch) => ch.courseId === course.id).at(-1);
      expect(last?.course?.rating).toEqual({ average: 4.5, count: 2 });
      expect(await h.db.select().from(schema.reviews)).toHaveLength(2);
      expect((await eventsOf(h, 'review.submitted')).map((e) => e.data.rating)).toEqual([5, 4]);
    } finally {
      h.clock.reset();
    }
  });

  it('identity-check hand-off: registered redirect URIs only, single use, expiring, recorded as FACE_MATCH', async () => {
    try {
      const { ids } = await enrolled(h, 1);
      const id = ids[0] ?? '';
      // Every session has opened: links and records for any of them are allowed.
      await classHeld(h, id);
      const p = () => h.caller('providerA').provider;
      for (const bad of [
        'http://lms.example.id/return',
        'https://lms.example.id/return#x',
        'https://user:pw@lms.example.id/return',
        '/relative',
        'javascript:alert(1)',
      ]) {
        expect(await refusal(p().redirectUris.register({ uri: bad })), bad).toBe('REDIRECT_URI_INVALID');
      }
      await p().redirectUris.register({ uri: 'https://lms.example.id/latih/return' });
      await p().redirectUris.register({ uri: 'http://localhost:5173/return' });
      expect((await p().redirectUris.list()).items.map((r) => r.uri)).toEqual([
        'http://localhost:5173/return',
        'https://lms.example.id/latih/return',
      ]);
      expect((await h.caller('providerB').provider.redirectUris.list()).items).toEqual([]);

      const link = (redirectUri: string, sequence = 1) =>
        p().attendance.verificationLink({ enrollmentId: id, sequence, redirectUri, state: 'st4te-abc-123' });
      // No open redirect: near misses of a registered URI are refused.
      for (const uri of [
        'https://evil.example/latih/return',
        'https://lms.example.id/latih/return/../../evil',
        'https://lms.example.id/latih/return?next=https://evil.example',
        'https://lms.example.id.evil.example/latih/return',
      ]) {
        expect(await refusal(link(uri)), uri).toBe('REDIRECT_URI_NOT_REGISTERED');
      }
      expect(
        await refusal(
          h.caller('providerB').provider.attendance.verificationLink({
            enrollmentId: id,
            sequence: 1,
            redirectUri: 'https://lms.example.id/latih/return',
            state: 'st4te-abc-123',
          }),
        ),
      ).toBe('NOT_FOUND');
      expect(await refusal(link('https://lms.example.id/latih/return', 9))).toBe('VALIDATION_FAILED');

      const made = await link('https://lms.example.id/latih/return');
      expect(made.url.startsWith('https://gateway.latih.test/identity-check/')).toBe(true);
      const token = tokenOf(made.url);
      const now = () => new Date(h.services.now());
      const page = await identityCheckPage(h.db, token, now());
      expect(page).toMatchObject({ kind: 'PENDING', sequence: 1 });

      const answered = await answerIdentityCheck(
        h.db,
        token,
        { decision: 'CONFIRMED', reason: null, ip: '36.84.1.2' },
        now(),
      );
      expect(answered.kind).toBe('REDIRECT');
      const back = new URL((answered as { location: string }).location);
      expect(back.origin + back.pathname).toBe('https://lms.example.id/latih/return');
      expect(Object.fromEntries(back.searchParams)).toEqual({
        state: 'st4te-abc-123',
        result: 'CONFIRMED',
        enrollment_id: id,
        sequence: '1',
      });
      expect(
        await answerIdentityCheck(h.db, token, { decision: 'FAILED', reason: 'NOT_ME', ip: null }, now()),
      ).toEqual({
        kind: 'USED',
      });
      const [att] = await h.db
        .select()
        .from(schema.attendance)
        .where(and(eq(schema.attendance.enrollmentId, id), eq(schema.attendance.sequence, 1)));
      expect(att).toMatchObject({ status: 'CONFIRMED', method: 'FACE_MATCH', ip: '36.84.1.2' });

      // A failure is recorded as REJECTED with its reason.
      const second = tokenOf((await link('https://lms.example.id/latih/return', 2)).url);
      const failed = await answerIdentityCheck(
        h.db,
        second,
        { decision: 'FAILED', reason: 'FACE_MISMATCH', ip: null },
        now(),
      );
      expect(new URL((failed as { location: string }).location).searchParams.get('reason')).toBe(
        'FACE_MISMATCH',
      );
      const [att2] = await h.db
        .select()
        .from(schema.attendance)
        .where(and(eq(schema.attendance.enrollmentId, id), eq(schema.attendance.sequence, 2)));
      expect(att2).toMatchObject({ status: 'REJECTED', method: 'FACE_MATCH', voidReason: 'FACE_MISMATCH' });
      await expect(
        answerIdentityCheck(h.db, 'whatever', { decision: 'FAILED', reason: 'BECAUSE', ip: null }, now()),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });

      // Expired: nothing recorded, the participant is sent back with EXPIRED.
      const third = tokenOf((await link('https://lms.example.id/latih/return', 3)).url);
      h.clock.set(new Date(h.services.now() + 16 * 60_000));
      expect(await identityCheckPage(h.db, third, now())).toMatchObject({ kind: 'EXPIRED' });
      const late = await answerIdentityCheck(
        h.db,
        third,
        { decision: 'CONFIRMED', reason: null, ip: null },
        now(),
      );
      expect(new URL((late as { location: string }).location).searchParams.get('result')).toBe('EXPIRED');
      const [att3] = await h.db
        .select()
        .from(schema.attendance)
        .where(and(eq(schema.attendance.enrollmentId, id), eq(schema.attendance.sequence, 3)));
      expect(att3).toBeUndefined();
      expect(await identityCheckPage(h.db, 'never-issued', now())).toEqual({ kind: 'UNKNOWN' });
      const [stored] = await h.db.select().from(schema.identityChecks).limit(1);
      expect(JSON.stringify(stored)).not.toContain(token);
    } finally {
      h.clock.reset();
    }
  });

  it("FACE_MATCH comes only from the identity check: a provider can neither record it nor replace the check's answer", async () => {
    try {
      const { ids } = await enrolled(h, 1);
      const id = ids[0] ?? '';
      await classHeld(h, id);
      const p = () => h.caller('providerA').provider;
      const row = async (sequence: number) =>
        (
          await h.db
            .select()
            .from(schema.attendance)
            .where(and(eq(schema.attendance.enrollmentId, id), eq(schema.attendance.sequence, sequence)))
        )[0];
      const mark = (sequence: number, method: 'FACE_MATCH' | 'PROVIDER_FACE_CHECK' | 'MANUAL') => ({
        enrollmentId: id,
        sequence,
        status: 'CONFIRMED' as const,
        method,
      });

      // Recorded by the provider: refused with a typed error, nothing written, alone or in bulk.
      expect(await refusal(p().attendance.record(mark(1, 'FACE_MATCH')))).toBe('ATTENDANCE_METHOD_RESERVED');
      expect(await row(1)).toBeUndefined();
      const bulk = await p().attendance.recordBulk({
        items: [mark(2, 'FACE_MATCH'), mark(2, 'PROVIDER_FACE_CHECK')],
      });
      expect(bulk.results.map((r) => r.error?.code ?? r.status)).toEqual([
        'ATTENDANCE_METHOD_RESERVED',
        'RECORDED',
      ]);
      expect(await row(2)).toMatchObject({ method: 'PROVIDER_FACE_CHECK', status: 'CONFIRMED' });

      // The identity check rejects session 1; the provider's own CONFIRMED cannot replace that.
      await p().redirectUris.register({ uri: 'https://lms.example.id/latih/return' });
      const check = async (decision: 'CONFIRMED' | 'FAILED') => {
        const { url } = await p().attendance.verificationLink({
          enrollmentId: id,
          sequence: 1,
          redirectUri: 'https://lms.example.id/latih/return',
          state: 'st4te-abc-123',
        });
        await answerIdentityCheck(
          h.db,
          tokenOf(url),
          decision === 'FAILED'
            ? { decision, reason: 'FACE_MISMATCH', ip: null }
            : { decision, reason: null, ip: null },
          new Date(h.services.now()),
        );
      };
      await check('FAILED');
      expect(await refusal(p().attendance.record(mark(1, 'MANUAL')))).toBe('ATTENDANCE_IDENTITY_CHECKED');
      expect(await row(1)).toMatchObject({
        method: 'FACE_MATCH',
        status: 'REJECTED',
        voidReason: 'FACE_MISMATCH',
      });
      // A new check is the way: it may confirm.
      await check('CONFIRMED');
      expect(await row(1)).toMatchObject({ method: 'FACE_MATCH', status: 'CONFIRMED' });
    } finally {
      h.clock.reset();
    }
  });
});

describe.runIf(postgresAvailable())('credential races on real PostgreSQL', () => {
  const h = useHarness('postgres', { poolSize: 16 });

  it('an identity-check link answered 30 times at once is used exactly once', async () => {
    try {
      const { ids } = await enrolled(h, 1);
      const id = ids[0] ?? '';
      await h.caller('providerA').provider.redirectUris.register({ uri: 'https://lms.example.id/return' });
      const { url } = await h.caller('providerA').provider.attendance.verificationLink({
        enrollmentId: id,
        sequence: 1,
        redirectUri: 'https://lms.example.id/return',
        state: 'race-state-1',
      });
      const now = new Date(h.services.now());
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          answerIdentityCheck(
            h.db,
            tokenOf(url),
            i % 2
              ? { decision: 'CONFIRMED', reason: null, ip: null }
              : { decision: 'FAILED', reason: 'NOT_ME', ip: null },
            now,
          ),
        ),
      );
      expect(answers.filter((a) => a.kind === 'REDIRECT')).toHaveLength(1);
      expect(answers.filter((a) => a.kind === 'USED')).toHaveLength(29);
      const recorded = await h.db
        .select()
        .from(schema.attendance)
        .where(eq(schema.attendance.enrollmentId, id));
      expect(recorded).toHaveLength(1);
      const events = (await eventsOf(h, 'attendance.recorded')).filter((e) => e.entityId === id);
      expect(events).toHaveLength(1);
    } finally {
      h.clock.reset();
    }
  });

  it("a provider's record racing the identity check's answer never replaces it (12 sessions at once)", async () => {
    try {
      const { ids } = await enrolled(h, 12);
      const p = () => h.caller('providerA').provider;
      await p().redirectUris.register({ uri: 'https://lms.example.id/return' });
      const links: { url: string }[] = [];
      for (const id of ids)
        links.push(
          await p().attendance.verificationLink({
            enrollmentId: id,
            sequence: 1,
            redirectUri: 'https://lms.example.id/return',
            state: 'race-state-2',
          }),
        );
      const now = new Date(h.services.now());
      const raced = await Promise.all(
        ids.flatMap((id, i) => [
          answerIdentityCheck(
            h.db,
            tokenOf(links[i]?.url ?? ''),
            { decision: 'FAILED', reason: 'NOT_ME', ip: null },
            now,
          ).then((a) => a.kind),
          refusal(
            p().attendance.record({ enrollmentId: id, sequence: 1, status: 'CONFIRMED', method: 'MANUAL' }),
          ),
        ]),
      );
      const provider = raced.filter((_, i) => i % 2 === 1);
      expect(raced.filter((_, i) => i % 2 === 0)).toEqual(ids.map(() => 'REDIRECT'));
      expect(
        provider.every((r) => r === 'OK' || r === 'ATTENDANCE_IDENTITY_CHECKED'),
        provider.join(),
      ).toBe(true);
      // Whichever committed first, the session ends as the identity check decided.
      const rows = await h.db
        .select()
        .from(schema.attendance)
        .where(inArray(schema.attendance.enrollmentId, ids));
      expect(rows).toHaveLength(12);
      for (const r of rows)
        expect(r).toMatchObject({ sequence: 1, method: 'FACE_MATCH', status: 'REJECTED' });
    } finally {
      h.clock.reset();
    }
  });

  it('20 concurrent reviews of one enrollment: one review, one count in the rating', async () => {
    try {
      const { ids, course } = await enrolled(h, 1);
      const id = ids[0] ?? '';
      await complete(h, id);
      const [e] = await h.db.select().from(schema.enrollments).where(eq(schema.enrollments.id, id));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          refusal(
            h.caller('platformA').platform.reviews.submit({
              voucherId: e?.voucherId ?? '',
              rating: (i % 5) + 1,
              text: `ulasan ${i}`,
            }),
          ),
        ),
      );
      expect(results.filter((r) => r === 'OK')).toHaveLength(1);
      expect(results.filter((r) => r === 'REVIEW_ALREADY_SUBMITTED')).toHaveLength(19);
      const [c] = await h.db.select().from(schema.courses).where(eq(schema.courses.id, course.id));
      expect(c?.ratingCount).toBe(1);
    } finally {
      h.clock.reset();
    }
  });
});
