import { STATUS_LIST_SIZE } from '@latih/contracts';
import { issueCertificate, signCredential } from '@latih/core';
import { certificatePublicKeys, schema } from '@latih/db';
import {
  checkCertificate,
  fetchPassportMaterial,
  type Jwks,
  verifyCertificate,
  verifyPassport,
} from '@latih/sdk';
import { and, eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { publishedCourse } from '../support/catalog-fixtures';
import { engines } from '../support/db';
import { codeOf, type Harness, ISSUER, useHarness } from '../support/harness';
import { plantEnrollment } from '../support/oversight-fixtures';

/*
 * The skills passport (issue 22, must-show 4): platform.passport.create gathers a participant's
 * certificates into a presentation the program signs; public.credentials.status serves the signed
 * revocation status lists; the SDK's verifyPassport checks both offline.
 */

type Json = Record<string, unknown>;
const at = new Date('2026-06-01T03:00:00Z');

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

async function jwksOf(h: Harness): Promise<Jwks> {
  const certKeys = (await certificatePublicKeys(h.db)).map((k) => k.publicJwk);
  return { keys: [...(h.tokens.jwks().keys as Jwks['keys']), ...certKeys] };
}

/** A completed training (planted) and its certificate, issued as completion issues it. */
async function certified(
  h: Harness,
  o: {
    title: string;
    platform: 'platformA' | 'platformB';
    participantId?: string;
    completed?: boolean;
    nikLast4?: string;
  },
) {
  const { course } = await publishedCourse(h, 'providerA', { title: o.title });
  const planted = await plantEnrollment(h, {
    providerId: h.orgs.providerA.organisationId,
    courseId: course.id,
    redeemedAt: at,
    ...(o.completed === false ? {} : { completedAt: at }),
    platformId: h.orgs[o.platform].organisationId,
    ...(o.participantId ? { participantId: o.participantId } : {}),
    ...(o.nikLast4 ? { nikLast4: o.nikLast4 } : {}),
  });
  if (o.completed === false) return { ...planted, number: null };
  const cert = await issueFor(h, planted.enrollmentId);
  return { ...planted, number: cert.number };
}

/** Provider A issues the certificate of a planted, completed enrollment. */
async function issueFor(h: Harness, enrollmentId: string) {
  const [enrollment] = await h.db
    .select()
    .from(schema.enrollments)
    .where(eq(schema.enrollments.id, enrollmentId));
  if (!enrollment) throw new Error('no enrollment');
  return h.db.transaction((tx) =>
    issueCertificate(tx, {
      enrollment,
      signer: h.tokens.credentialSigner(),
      actor: { ...h.orgs.providerA, role: 'provider', scopes: [] },
      requestId: null,
      now: at,
    }),
  );
}

/** A certificate as issued before status lists: no credentialStatus in what was signed. */
async function legacyCertified(h: Harness, participantId: string) {
  const { course } = await publishedCourse(h, 'providerA', { title: 'Kursus Lama' });
  const planted = await plantEnrollment(h, {
    providerId: h.orgs.providerA.organisationId,
    courseId: course.id,
    redeemedAt: at,
    completedAt: at,
    platformId: h.orgs.platformA.organisationId,
    participantId,
  });
  const issued = await issueFor(h, planted.enrollmentId);
  // Re-signed without credentialStatus: what certificates issued before migration 0039 hold.
  const { proof: _proof, credentialStatus: _status, ...unsigned } = issued.credential;
  const credential = signCredential(unsigned, h.tokens.credentialSigner(), at);
  await h.db.update(schema.certificates).set({ credential }).where(eq(schema.certificates.id, issued.id));
  return { ...planted, number: issued.number, credential };
}

const statusListOf = (h: Harness, credential: Json) => {
  const url = (credential.credentialStatus as { statusListCredential: string }).statusListCredential;
  return h.caller(null).public.credentials.status({ list: Number(url.split('/').at(-1)) });
};

describe.each(engines())('skills passport on %s', (engine) => {
  const h = useHarness(engine);
  afterEach(() => vi.unstubAllGlobals());

  it('gathers a participant’s certificates sold through the platform into one signed presentation, verifiable offline, revocation respected', async () => {
    // Their NIK's last four digits chosen, not the planting serial: that serial is also in the name
    // printed on the certificates ("Peserta Tanam 1234"), and with isolate: false it carries on from
    // the files the worker ran before.
    const nikLast4 = '7391';
    const first = await certified(h, { title: 'Pemasaran Digital', platform: 'platformA', nikLast4 });
    const person = first.participantId;
    const second = await certified(h, {
      title: 'Keripik Pisang',
      platform: 'platformA',
      participantId: person,
    });
    const elsewhere = await certified(h, {
      title: 'Di Platform Lain',
      platform: 'platformB',
      participantId: person,
    });
    const inTraining = await certified(h, {
      title: 'Sedang Diikuti',
      platform: 'platformA',
      participantId: person,
      completed: false,
    });
    const old = await legacyCertified(h, person);

    // Any voucher platform A sold the participant names them, even one still in training.
    const passport = await h
      .caller('platformA')
      .platform.passport.create({ voucherId: inTraining.voucherId });
    expect(passport.id).toMatch(/^psp_/);
    expect(passport.certificates.map((c) => c.number)).toEqual([first.number, second.number, old.number]);
    const vp = passport.presentation as Json & { verifiableCredential: Json[]; proof: Json };
    expect(vp.type).toEqual(['VerifiablePresentation', 'LatihSkillsPassport']);
    expect(vp.id).toBe(`urn:latih:passport:${passport.id}`);
    expect(vp.proof).toMatchObject({ cryptosuite: 'ecdsa-jcs-2019', proofPurpose: 'assertionMethod' });
    // Each certificate exactly as issued (and stored); platform B's sale is not in it.
    const stored = await h.db
      .select()
      .from(schema.certificates)
      .where(eq(schema.certificates.participantId, person));
    const byNumber = new Map(stored.map((c) => [c.number, c]));
    expect(vp.verifiableCredential).toEqual(
      [first.number, second.number, old.number].map((n) => byNumber.get(n ?? '')?.credential),
    );
    expect(JSON.stringify(vp)).not.toContain(elsewhere.number ?? '');
    // New certificates carry their bit in what was signed; the old one's travels in the presentation.
    const [c1, c2, c3] = vp.verifiableCredential as [Json, Json, Json];
    expect(c1.credentialStatus).toMatchObject({
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListCredential: `${ISSUER}/v1/public/credentials/status/1`,
      statusListIndex: String(byNumber.get(first.number ?? '')?.statusIndex),
    });
    expect(c3.credentialStatus).toBeUndefined();
    expect(vp.legacyCredentialStatus).toEqual([
      expect.objectContaining({
        credential: c3.id,
        statusListIndex: String(byNumber.get(old.number ?? '')?.statusIndex),
      }),
    ]);
    // No NIK, card number or participant id anywhere in it.
    const [participant] = await h.db
      .select()
      .from(schema.participants)
      .where(eq(schema.participants.id, person));
    const text = JSON.stringify(vp);
    expect(participant?.nikLast4).toBe(nikLast4);
    for (const secret of [person, participant?.nikHash, participant?.cardNumber])
      expect(text).not.toContain(secret);
    // Four digits turn up by chance inside the random identifiers a presentation is full of (the
    // test key's id is key_0000000000 and 16 random base32 characters: "0006" was in it one run in
    // 32); a leak shows them as a number of their own ("7391", "****7391", "NIK …7391").
    expect(text).not.toMatch(new RegExp(`(?<![0-9A-Za-z])${nikLast4}(?![0-9A-Za-z])`));

    // The status list: public, signed, a day long, all clear.
    const list = await statusListOf(h, c1);
    const jwks = await jwksOf(h);
    expect(list).toMatchObject({
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      credentialSubject: { type: 'BitstringStatusList', statusPurpose: 'revocation' },
    });
    expect(await verifyCertificate(list, jwks)).toBe(true);
    const validFrom = Date.parse(list.validFrom as string);
    expect(Date.parse(list.validUntil as string) - validFrom).toBe(86_400_000);
    const now = new Date(validFrom + 60_000);

    // Offline: no network at all.
    vi.stubGlobal('fetch', () => Promise.reject(new Error('offline')));
    const ok = await verifyPassport(vp, { jwks, statusLists: [list], now });
    expect(ok).toMatchObject({ valid: true, presentation: 'VALID' });
    expect(ok.certificates.map((c) => [c.number, c.status])).toEqual([
      [first.number, 'VALID'],
      [second.number, 'VALID'],
      [old.number, 'VALID'],
    ]);
    expect(ok.certificates[0]?.statusList).toEqual({
      id: list.id,
      validFrom: list.validFrom,
      validUntil: list.validUntil,
    });
    vi.unstubAllGlobals();

    // Revoked: the copy fetched before still says VALID (that is what its validFrom tells);
    // the list fetched after says REVOKED, for a new certificate and for the old one.
    await h.caller('providerA').provider.certificates.revoke({
      number: second.number ?? '',
      reason: 'Kehadiran terbukti dipalsukan',
    });
    await h.caller('pmo').pmo.certificates.revoke({
      number: old.number ?? '',
      reason: 'Penerbitan lama yang keliru',
    });
    expect((await verifyPassport(vp, { jwks, statusLists: [list], now })).valid).toBe(true);
    const refreshed = await statusListOf(h, c1);
    const later = new Date(Date.parse(refreshed.validFrom as string) + 60_000);
    // Given both copies: a bit set in either is revoked (revocation is never undone).
    const after = await verifyPassport(vp, { jwks, statusLists: [list, refreshed], now: later });
    expect(after).toMatchObject({ valid: false, presentation: 'VALID' });
    expect(after.certificates.map((c) => c.status)).toEqual(['VALID', 'REVOKED', 'REVOKED']);
    expect((await checkCertificate(c2, { jwks, statusLists: [refreshed], now: later })).status).toBe(
      'REVOKED',
    );
    // Alone, the old certificate has no entry to check.
    expect((await checkCertificate(c3, { jwks, statusLists: [refreshed], now: later })).status).toBe(
      'STATUS_UNKNOWN',
    );

    // Too old: past validUntil, or older than the verifier accepts; a revocation still shows.
    const dayLater = new Date(Date.parse(refreshed.validUntil as string) + 1000);
    const stale = await verifyPassport(vp, { jwks, statusLists: [refreshed], now: dayLater });
    expect(stale.certificates.map((c) => c.status)).toEqual(['STATUS_LIST_EXPIRED', 'REVOKED', 'REVOKED']);
    const strict = await verifyPassport(vp, {
      jwks,
      statusLists: [refreshed],
      now: new Date(Date.parse(refreshed.validFrom as string) + 3_600_000),
      maxStatusAgeMs: 600_000,
    });
    expect(strict.certificates[0]?.status).toBe('STATUS_LIST_EXPIRED');
    // Judged before the list was made (a clock behind the program's, as against the sandbox's):
    // not yet valid, not expired; a revocation still shows; a minute's skew is tolerated.
    const early = await verifyPassport(vp, {
      jwks,
      statusLists: [refreshed],
      now: new Date(Date.parse(refreshed.validFrom as string) - 3_600_000),
    });
    expect(early.certificates.map((c) => c.status)).toEqual([
      'STATUS_LIST_NOT_YET_VALID',
      'REVOKED',
      'REVOKED',
    ]);
    const skewed = await verifyPassport(vp, {
      jwks,
      statusLists: [refreshed],
      now: new Date(Date.parse(refreshed.validFrom as string) - 30_000),
    });
    expect(skewed.certificates[0]?.status).toBe('VALID');
    // No list for it: unknown, never valid.
    expect((await verifyPassport(vp, { jwks, statusLists: [], now })).certificates[0]?.status).toBe(
      'STATUS_UNKNOWN',
    );

    // A new passport leaves the revoked ones out.
    const again = await h.caller('platformA').platform.passport.create({ voucherId: first.voucherId });
    expect(again.certificates.map((c) => c.number)).toEqual([first.number]);
    expect(
      (await verifyPassport(again.presentation, { jwks, statusLists: [refreshed], now: later })).valid,
    ).toBe(true);

    // Audited: who asked, for which voucher, which certificates were attested.
    const audit = await h.db
      .select()
      .from(schema.auditLog)
      .where(and(eq(schema.auditLog.entityType, 'passport'), eq(schema.auditLog.entityId, passport.id)));
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'passport.created',
        actorOrganisationId: h.orgs.platformA.organisationId,
        data: expect.objectContaining({
          voucherId: inTraining.voucherId,
          certificateIds: passport.certificates.map((c) => c.id),
        }),
      }),
    ]);
  });

  it('a tampered passport, certificate or status list fails; unknown keys fail', async () => {
    const one = await certified(h, { title: 'Fotografi Produk', platform: 'platformA' });
    await certified(h, { title: 'Desain Kemasan', platform: 'platformA', participantId: one.participantId });
    const { presentation } = await h
      .caller('platformA')
      .platform.passport.create({ voucherId: one.voucherId });
    const vp = presentation as Json & { verifiableCredential: (Json & { name: string })[] };
    const list = await statusListOf(h, vp.verifiableCredential[0] ?? {});
    const jwks = await jwksOf(h);
    const now = new Date(Date.parse(list.validFrom as string) + 1000);
    const opts = { jwks, statusLists: [list], now };
    expect((await verifyPassport(vp, opts)).valid).toBe(true);

    // A certificate edited: its own proof and the presentation's fail.
    const edited = structuredClone(vp);
    (edited.verifiableCredential[1] as { name: string }).name = 'Sertifikat Palsu';
    const r1 = await verifyPassport(edited, opts);
    expect(r1).toMatchObject({ valid: false, presentation: 'BAD_SIGNATURE' });
    expect(r1.certificates.map((c) => c.status)).toEqual(['VALID', 'BAD_SIGNATURE']);
    // A certificate dropped, or another one slipped in: each certificate is fine, the set is not.
    const dropped = { ...vp, verifiableCredential: vp.verifiableCredential.slice(0, 1) };
    expect(await verifyPassport(dropped, opts)).toMatchObject({
      valid: false,
      presentation: 'BAD_SIGNATURE',
    });
    const other = await certified(h, { title: 'Orang Lain', platform: 'platformA' });
    const [otherCert] = await h.db
      .select()
      .from(schema.certificates)
      .where(eq(schema.certificates.number, other.number ?? ''));
    const added = { ...vp, verifiableCredential: [...vp.verifiableCredential, otherCert?.credential] };
    const r2 = await verifyPassport(added, opts);
    expect(r2.presentation).toBe('BAD_SIGNATURE');
    expect(r2.certificates.every((c) => c.status === 'VALID')).toBe(true);
    // A status list with a bit cleared by hand: its proof fails, so it is not used.
    const forgedList = structuredClone(list) as Json & { credentialSubject: Json };
    forgedList.credentialSubject.encodedList = (
      (await statusListOf(h, vp.verifiableCredential[0] ?? {})) as { credentialSubject: Json }
    ).credentialSubject.encodedList;
    forgedList.validUntil = '2099-01-01T00:00:00Z';
    expect(
      (await verifyPassport(vp, { ...opts, statusLists: [forgedList] })).certificates.map((c) => c.status),
    ).toEqual(['STATUS_UNKNOWN', 'STATUS_UNKNOWN']);
    // Keys the verifier does not trust.
    expect(await verifyPassport(vp, { ...opts, jwks: { keys: [] } })).toMatchObject({
      valid: false,
      presentation: 'BAD_SIGNATURE',
      certificates: [{ status: 'BAD_SIGNATURE' }, { status: 'BAD_SIGNATURE' }],
    });
    expect(await verifyPassport({ type: ['VerifiablePresentation'] }, opts)).toMatchObject({
      valid: false,
      presentation: 'MALFORMED',
    });
  });

  it('fetchPassportMaterial fetches the JWKS and the lists once, from the gateway only; verification then needs no network', async () => {
    const one = await certified(h, { title: 'Barista', platform: 'platformA' });
    const { presentation } = await h
      .caller('platformA')
      .platform.passport.create({ voucherId: one.voucherId });
    const jwks = await jwksOf(h);
    const asked: string[] = [];
    // The gateway, played by a fetch that answers the two public documents.
    const gateway: typeof fetch = async (input) => {
      const url = String(input);
      asked.push(url);
      if (url === `${ISSUER}/.well-known/jwks.json`) return Response.json(jwks);
      const m = /\/v1\/public\/credentials\/status\/(\d+)$/.exec(url);
      if (url.startsWith(ISSUER) && m)
        return Response.json(await h.caller(null).public.credentials.status({ list: Number(m[1]) }));
      return new Response('{}', { status: 404 });
    };
    // A passport whose legacy entry points elsewhere: that URL is not fetched.
    const elsewhere = {
      ...presentation,
      legacyCredentialStatus: [{ statusListCredential: 'https://evil.example/status/1' }],
    };
    const material = await fetchPassportMaterial({
      baseUrl: `${ISSUER}/`,
      documents: [presentation, elsewhere],
      fetch: gateway,
    });
    expect(asked).toEqual([`${ISSUER}/.well-known/jwks.json`, `${ISSUER}/v1/public/credentials/status/1`]);
    expect(material.statusLists).toHaveLength(1);
    const offline: typeof fetch = () => Promise.reject(new Error('offline'));
    vi.stubGlobal('fetch', offline);
    expect((await verifyPassport(presentation, material)).valid).toBe(true);
  });

  it('refuses what is not the platform’s, an empty passport and unknown lists, writing nothing', async () => {
    const sold = await certified(h, { title: 'Tata Boga', platform: 'platformA' });
    const auditCount = async () =>
      (await h.db.select().from(schema.auditLog).where(eq(schema.auditLog.entityType, 'passport'))).length;
    const before = await auditCount();
    // Another platform's voucher, and an unknown one: the same NOT_FOUND.
    expect(await refusal(h.caller('platformB').platform.passport.create({ voucherId: sold.voucherId }))).toBe(
      'NOT_FOUND',
    );
    expect(
      await refusal(
        h.caller('platformA').platform.passport.create({ voucherId: 'vch_01jw0000000000000000000000' }),
      ),
    ).toBe('NOT_FOUND');
    expect(await refusal(h.caller('platformA').platform.passport.create({ voucherId: 'nope' }))).toBe(
      'VALIDATION_FAILED',
    );
    // Nothing completed yet, or only revoked certificates.
    const waiting = await certified(h, { title: 'Belum Selesai', platform: 'platformA', completed: false });
    expect(
      await refusal(h.caller('platformA').platform.passport.create({ voucherId: waiting.voucherId })),
    ).toBe('PASSPORT_EMPTY');
    await h.caller('providerA').provider.certificates.revoke({
      number: sold.number ?? '',
      reason: 'Dicabut untuk pengujian',
    });
    expect(await refusal(h.caller('platformA').platform.passport.create({ voucherId: sold.voucherId }))).toBe(
      'PASSPORT_EMPTY',
    );
    // Nor is their consent asked: a code could only lead to PASSPORT_EMPTY. Nothing is sent, and
    // nothing counts toward the hourly limit (four refusals, then still no consent row).
    const consentsOf = async (participantId: string) =>
      (
        await h.db
          .select()
          .from(schema.passportConsents)
          .where(eq(schema.passportConsents.participantId, participantId))
      ).length;
    const asks: (string | undefined)[] = [];
    for (const voucherId of [
      waiting.voucherId,
      waiting.voucherId,
      sold.voucherId,
      sold.voucherId,
      sold.voucherId,
    ])
      asks.push(await refusal(h.caller('platformA').platform.passport.requestConsent({ voucherId })));
    expect(asks).toEqual(Array(5).fill('PASSPORT_EMPTY'));
    expect(await consentsOf(waiting.participantId)).toBe(0);
    expect(await consentsOf(sold.participantId)).toBe(0);
    // Providers and the PMO make no passports; no token, no passport.
    expect(
      await refusal(
        (h.caller('providerA') as never as ReturnType<Harness['caller']>).platform.passport.create({
          voucherId: sold.voucherId,
        }),
      ),
    ).toBe('FORBIDDEN_ROLE');
    expect(await refusal(h.caller(null).platform.passport.create({ voucherId: sold.voucherId }))).toBe(
      'TOKEN_MISSING',
    );
    expect(await auditCount()).toBe(before);

    // Status lists: numbered from 1; a list no certificate is in is not found.
    expect(await refusal(h.caller(null).public.credentials.status({ list: 0 }))).toBe('VALIDATION_FAILED');
    expect(await refusal(h.caller(null).public.credentials.status({ list: 2 }))).toBe(
      'STATUS_LIST_NOT_FOUND',
    );
    const [row] = await h.db
      .select()
      .from(schema.certificates)
      .where(eq(schema.certificates.number, sold.number ?? ''));
    // Its bit is set in list 1.
    const list = await h.caller(null).public.credentials.status({ list: 1 });
    expect(row?.statusIndex).toBeLessThan(STATUS_LIST_SIZE);
    const check = await checkCertificate(row?.credential ?? {}, {
      jwks: await jwksOf(h),
      statusLists: [list],
      now: new Date(Date.parse(list.validFrom as string)),
    });
    expect(check.status).toBe('REVOKED');
  });

  it('a certificate past a list’s 131 072 bits goes to the next list, and its bit is its own', async () => {
    // Move the sequence to the last bit of list 1 (a test's database is its own).
    await h.db.execute(sql`select setval('certificate_status_index_seq', ${STATUS_LIST_SIZE - 2})`);
    const last = await certified(h, { title: 'Bit Terakhir', platform: 'platformA' });
    const next = await certified(h, { title: 'Daftar Kedua', platform: 'platformA' });
    const rows = await h.db.select().from(schema.certificates);
    const of = (n: string | null) => rows.find((r) => r.number === n);
    expect(of(last.number)?.statusIndex).toBe(STATUS_LIST_SIZE - 1);
    expect(of(next.number)?.statusIndex).toBe(STATUS_LIST_SIZE);
    expect(of(last.number)?.credential.credentialStatus).toMatchObject({
      statusListIndex: String(STATUS_LIST_SIZE - 1),
      statusListCredential: `${ISSUER}/v1/public/credentials/status/1`,
    });
    expect(of(next.number)?.credential.credentialStatus).toMatchObject({
      statusListIndex: '0',
      statusListCredential: `${ISSUER}/v1/public/credentials/status/2`,
    });
    await h.caller('providerA').provider.certificates.revoke({
      number: next.number ?? '',
      reason: 'Hanya yang kedua dicabut',
    });
    const lists = [
      await h.caller(null).public.credentials.status({ list: 1 }),
      await h.caller(null).public.credentials.status({ list: 2 }),
    ];
    const opts = {
      jwks: await jwksOf(h),
      statusLists: lists,
      now: new Date(Date.parse(lists[1]?.validFrom as string)),
    };
    expect((await checkCertificate(of(last.number)?.credential ?? {}, opts)).status).toBe('VALID');
    expect((await checkCertificate(of(next.number)?.credential ?? {}, opts)).status).toBe('REVOKED');
    expect(await refusal(h.caller(null).public.credentials.status({ list: 3 }))).toBe(
      'STATUS_LIST_NOT_FOUND',
    );
  });

  it('with the participant’s consent (a one-time code) a passport holds all their certificates, other platforms’ too; codes count, expire and are spent once', async () => {
    const mine = await certified(h, { title: 'Lewat Platform A', platform: 'platformA' });
    const person = mine.participantId;
    const theirs = await certified(h, {
      title: 'Lewat Platform B',
      platform: 'platformB',
      participantId: person,
    });
    const platformA = h.caller('platformA').platform.passport;
    const consentCount = async () =>
      (
        await h.db
          .select()
          .from(schema.passportConsents)
          .where(eq(schema.passportConsents.participantId, person))
      ).length;

    // Asked through a voucher platform A sold; platform B cannot ask through A's voucher.
    expect(
      await refusal(h.caller('platformB').platform.passport.requestConsent({ voucherId: mine.voucherId })),
    ).toBe('NOT_FOUND');
    const consent = await platformA.requestConsent({ voucherId: mine.voucherId });
    expect(consent.id).toMatch(/^psc_/);
    const code = h.otp.read(consent.id) ?? '';
    expect(code).toMatch(/^\d{6}$/);
    const wrong = code === '000000' ? '000001' : '000000';

    // A wrong code counts and is refused; the count survives the refusal.
    expect(
      await refusal(
        platformA.create({ voucherId: mine.voucherId, consent: { id: consent.id, code: wrong } }),
      ),
    ).toBe('OTP_INVALID');
    const [afterWrong] = await h.db
      .select()
      .from(schema.passportConsents)
      .where(eq(schema.passportConsents.id, consent.id));
    expect(afterWrong).toMatchObject({ attempts: 1, status: 'PENDING' });
    // Another platform cannot use it, nor can it be used for another participant.
    const stranger = await certified(h, { title: 'Orang Lain', platform: 'platformA' });
    expect(
      await refusal(platformA.create({ voucherId: stranger.voucherId, consent: { id: consent.id, code } })),
    ).toBe('NOT_FOUND');

    const all = await platformA.create({ voucherId: mine.voucherId, consent: { id: consent.id, code } });
    expect(all.scope).toBe('ALL');
    expect(all.certificates.map((c) => c.number)).toEqual([mine.number, theirs.number]);
    const jwks = await jwksOf(h);
    // (Earlier tests moved the sequence: the lists are the ones the certificates name.)
    const lists = await Promise.all(
      (all.presentation.verifiableCredential as Json[]).map((c) => statusListOf(h, c)),
    );
    const judged = await verifyPassport(all.presentation, {
      jwks,
      statusLists: lists,
      now: new Date(Date.parse(lists[0]?.validFrom as string)),
    });
    expect(judged.certificates.map((c) => c.status)).toEqual(['VALID', 'VALID']);
    expect(judged.valid).toBe(true);
    // Without consent: only what platform A sold.
    const own = await platformA.create({ voucherId: mine.voucherId });
    expect(own.scope).toBe('OWN_SALES');
    expect(own.certificates.map((c) => c.number)).toEqual([mine.number]);
    // Spent: once only.
    expect(
      await refusal(platformA.create({ voucherId: mine.voucherId, consent: { id: consent.id, code } })),
    ).toBe('INVALID_STATE');

    // Five wrong codes lock a consent; an old code has expired.
    const locked = await platformA.requestConsent({ voucherId: mine.voucherId });
    const lockedCode = h.otp.read(locked.id) ?? '';
    const bad = lockedCode === '000000' ? '000001' : '000000';
    const answers: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++)
      answers.push(
        await refusal(platformA.create({ voucherId: mine.voucherId, consent: { id: locked.id, code: bad } })),
      );
    expect(answers).toEqual(['OTP_INVALID', 'OTP_INVALID', 'OTP_INVALID', 'OTP_INVALID', 'OTP_LOCKED']);
    expect(
      await refusal(
        platformA.create({ voucherId: mine.voucherId, consent: { id: locked.id, code: lockedCode } }),
      ),
    ).toBe('OTP_LOCKED');
    const old = await platformA.requestConsent({ voucherId: mine.voucherId });
    h.clock.set(new Date(Date.now() + 11 * 60_000));
    try {
      expect(
        await refusal(
          platformA.create({
            voucherId: mine.voucherId,
            consent: { id: old.id, code: h.otp.read(old.id) ?? '' },
          }),
        ),
      ).toBe('OTP_EXPIRED');
      // Three asked in the hour: a fourth is refused, and sends nothing; Retry-After says when the
      // first of the three (asked some 11 minutes before this clock) leaves the hour.
      expect(await consentCount()).toBe(3);
      const [first] = await h.db
        .select()
        .from(schema.passportConsents)
        .where(eq(schema.passportConsents.participantId, person))
        .orderBy(schema.passportConsents.createdAt);
      const fourth = h.session('platformA');
      expect(await refusal(fourth.api.platform.passport.requestConsent({ voucherId: mine.voucherId }))).toBe(
        'PASSPORT_CONSENTS_TOO_MANY',
      );
      const frees = Math.floor(((first?.createdAt.getTime() ?? 0) + 3_600_000 - h.services.now()) / 1000) + 1;
      expect(frees).toBeGreaterThan(45 * 60);
      expect(fourth.headers.get('retry-after')).toBe(String(frees));
      expect(await consentCount()).toBe(3);
      // The refusal is not stored under an idempotency key: after Retry-After, the same key asks again.
      const keyed = () =>
        h
          .caller('platformA', { idempotencyKey: `consent-${person}` })
          .platform.passport.requestConsent({ voucherId: mine.voucherId });
      expect(await refusal(keyed())).toBe('PASSPORT_CONSENTS_TOO_MANY');
      h.clock.set(new Date(h.services.now() + frees * 1000));
      expect((await keyed()).id).toMatch(/^psc_/);
      expect(await consentCount()).toBe(4);
    } finally {
      h.clock.reset();
    }
    const [expired] = await h.db
      .select()
      .from(schema.passportConsents)
      .where(eq(schema.passportConsents.id, old.id));
    expect(expired?.status).toBe('EXPIRED');
    // Audited: each consent asked, and the passport made with it.
    const audit = await h.db
      .select()
      .from(schema.auditLog)
      .where(and(eq(schema.auditLog.entityType, 'passport'), eq(schema.auditLog.entityId, all.id)));
    expect(audit[0]?.data).toMatchObject({ scope: 'ALL', consentId: consent.id });
    const asked = await h.db
      .select()
      .from(schema.auditLog)
      .where(eq(schema.auditLog.entityType, 'passport_consent'));
    expect(asked.filter((a) => a.action === 'passport_consent.requested').length).toBeGreaterThanOrEqual(3);
  });

  it('a retry with the same idempotency key answers the same passport, made once', async () => {
    const one = await certified(h, { title: 'Ulang Kunci', platform: 'platformA' });
    const key = `passport-${one.voucherId}`;
    const first = await h
      .caller('platformA', { idempotencyKey: key })
      .platform.passport.create({ voucherId: one.voucherId });
    const again = await h
      .caller('platformA', { idempotencyKey: key })
      .platform.passport.create({ voucherId: one.voucherId });
    expect(again).toEqual(first);
    const audit = await h.db
      .select()
      .from(schema.auditLog)
      .where(and(eq(schema.auditLog.entityType, 'passport'), eq(schema.auditLog.entityId, first.id)));
    expect(audit).toHaveLength(1);
    // Another voucher with the same key is another request: refused, not replayed.
    const other = await certified(h, { title: 'Kunci Lain', platform: 'platformA' });
    expect(
      await refusal(
        h
          .caller('platformA', { idempotencyKey: key })
          .platform.passport.create({ voucherId: other.voucherId }),
      ),
    ).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});
