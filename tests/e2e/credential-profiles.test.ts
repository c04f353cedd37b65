import { createLatihClient } from '@latih/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway';

/*
 * A certificate's issuer.id and credentialSubject.achievement.id resolve: the provider's Open Badges
 * Profile and the course as an Achievement, as JSON-LD for machines and a page for people.
 */
describe("a certificate's issuer and achievement ids resolve to public documents", () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  const shift = { ms: 0 };
  let number = '';
  beforeAll(async () => {
    gw = await startTestGateway({ now: () => Date.now() + shift.ms });
    const client = (key: 'platform-a' | 'provider-a') =>
      createLatihClient({
        baseUrl: gw.url,
        clientId: gw.demo[key].clientId,
        clientSecret: gw.demo[key].clientSecret,
      });
    const platform = client('platform-a');
    const offer = (await platform.platform.catalog.list.query({ mode: 'WEBINAR' })).items[0];
    const run = offer?.runs[0];
    if (!offer || !run) throw new Error('the demo webinar is not on sale');
    const checkout = await platform.platform.checkout.create.mutate({
      cardNumber: '5101000000000001',
      courseId: offer.id,
      runId: run.id,
    });
    const { code } = (await (await fetch(`${gw.url}/dev/otp/${checkout.id}`)).json()) as { code: string };
    const bought = await platform.platform.checkout.confirm.mutate({ id: checkout.id, code });
    shift.ms = Date.parse(run.startsAt) - 5 * 60_000 - Date.now();
    const p = client('provider-a').provider;
    const enrollment = await p.vouchers.redeem.mutate({
      code: bought.code,
      courseId: offer.id,
      runId: run.id,
    });
    const sessions = (await p.runs.get.query({ id: run.id })).sessions;
    // Attendance is recorded once sessions have opened: five minutes into the last one.
    shift.ms = Date.parse(sessions.at(-1)?.startsAt ?? '') + 5 * 60_000 - Date.now();
    await p.attendance.recordBulk.mutate({
      items: sessions.map((s) => ({
        enrollmentId: enrollment.id,
        sequence: s.sequence,
        status: 'CONFIRMED',
        method: 'MANUAL',
      })),
    });
    await p.assignments.submit.mutate({
      enrollmentId: enrollment.id,
      url: 'https://drive.example.id/t.mp4',
      contentHash: `sha256:${'b'.repeat(64)}`,
    });
    await p.postTests.record.mutate({ enrollmentId: enrollment.id, score: 90 });
    number =
      (await p.completions.report.mutate({ enrollmentId: enrollment.id, outcome: 'COMPLETED' }))
        .certificateNumber ?? '';
  });
  afterAll(async () => {
    await gw?.close();
  });

  type Credential = {
    issuer: { id: string; name: string; type: string[] };
    credentialSubject: {
      achievement: { id: string; name: string; humanCode: string } & Record<string, unknown>;
    };
  };
  const credentialOf = async () => {
    const provider = createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo['provider-a'].clientId,
      clientSecret: gw.demo['provider-a'].clientSecret,
    });
    return (await provider.provider.certificates.get.query({ number })).credential as unknown as Credential;
  };

  it('issuer.id answers the provider Profile as JSON-LD, and a page for a browser', async () => {
    const { issuer } = await credentialOf();
    expect(issuer.id).toMatch(new RegExp(`^${gw.url}/v1/public/organisations/org_`));
    for (const accept of ['application/ld+json', '*/*', 'application/json']) {
      const res = await fetch(issuer.id, { headers: { accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(
        accept === 'application/json' ? 'application/json' : 'application/ld+json',
      );
      expect(res.headers.get('vary')).toContain('Accept');
      expect(await res.json()).toEqual({
        '@context': [
          'https://www.w3.org/ns/credentials/v2',
          'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
        ],
        ...issuer,
      });
    }
    const json = await fetch(`${issuer.id}.json`, { headers: { accept: 'text/html' } });
    expect(json.headers.get('content-type')).toContain('application/ld+json');
    expect(((await json.json()) as { id: string }).id).toBe(issuer.id);
    const page = await fetch(issuer.id, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain(`<h1>${issuer.name}</h1>`);
    expect(html).toContain('<script type="application/ld+json">');
  });

  it('achievement.id answers the course as an Achievement (what the certificate embeds, without its number)', async () => {
    const { issuer, credentialSubject } = await credentialOf();
    const { humanCode, ...achievement } = credentialSubject.achievement;
    expect(humanCode).toBe(number);
    expect(achievement.id).toMatch(new RegExp(`^${gw.url}/v1/public/courses/crs_`));
    const res = await fetch(achievement.id, { headers: { accept: 'application/ld+json' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      '@context': [
        'https://www.w3.org/ns/credentials/v2',
        'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
      ],
      ...achievement,
      creator: issuer,
    });
    const html = await (await fetch(achievement.id, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('Fotografi Produk untuk Pemula');
    expect(html).toContain(`href="${issuer.id}"`);
  });

  it('answers 404 for what is not public: a draft course, unknown ids, a platform, the program office', async () => {
    const provider = createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo['provider-a'].clientId,
      clientSecret: gw.demo['provider-a'].clientSecret,
    });
    const draft = await provider.provider.courses.create.mutate({
      title: 'Kursus Draf',
      summary: 'Belum diajukan untuk ditinjau',
      category: 'photography',
      mode: 'WEBINAR',
      hours: 16,
      price: 900_000,
    });
    for (const path of [
      `/v1/public/courses/${draft.id}`,
      '/v1/public/courses/crs_01jw0000000000000000000000',
      '/v1/public/organisations/org_01jw0000000000000000000000',
      `/v1/public/organisations/${gw.demo['platform-a'].id}`,
      `/v1/public/organisations/${gw.demo.pmo.id}`,
    ]) {
      const res = await fetch(`${gw.url}${path}`, { headers: { accept: 'application/ld+json' } });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({
        code: 'NOT_FOUND',
        field: 'id',
        requestId: expect.any(String),
      });
      const page = await fetch(`${gw.url}${path}`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).not.toContain('<script');
    }
  });
});
