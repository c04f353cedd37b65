import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_STAFF_PASSWORD } from '@latih/core';
import { schema } from '@latih/db';
import { createLatihClient } from '@latih/sdk';
import { eq } from 'drizzle-orm';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullCourse, sessions } from '../support/catalog-fixtures';
import { startTestGateway } from '../support/gateway';
import type { Harness } from '../support/harness';
import { minutes, plantAttendance, plantEnrollment } from '../support/oversight-fixtures';

/**
 * The console in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
 * browser), against a gateway this test starts on a random port. Screenshots of each main page go
 * to test-results/screenshots/.
 */
const CHROMIUM = '/usr/bin/chromium';
const shots = join(new URL('../..', import.meta.url).pathname, 'test-results/screenshots');

describe.runIf(existsSync(CHROMIUM))('the console in Chromium', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let browser: Browser;
  let page: Page;
  const courses: Record<'approve' | 'reject', string> = { approve: '', reject: '' };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    gw = await startTestGateway();
    const provider = createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo['provider-a'].clientId,
      clientSecret: gw.demo['provider-a'].clientSecret,
    });
    for (const key of ['approve', 'reject'] as const) {
      const course = await provider.provider.courses.create.mutate({
        ...fullCourse,
        title: key === 'approve' ? 'Barista Kopi Nusantara untuk Pemula' : 'Kursus Kilat Kaya Mendadak',
      });
      await provider.provider.runs.create.mutate({
        courseId: course.id,
        capacity: 20,
        sessions: sessions(4, 4),
      });
      await provider.provider.courses.submit.mutate({ id: course.id });
      courses[key] = course.id;
    }
    // A planted pattern for the signals page: one phone confirming five participants.
    const h = {
      db: gw.database.db,
      orgs: { platformA: { organisationId: gw.demo['platform-a'].id } },
    } as unknown as Harness;
    const seeded = await provider.provider.courses.list.query({ limit: 1 });
    const courseId = seeded.items[0]?.id ?? courses.approve;
    const t = new Date(Date.now() - 3_600_000);
    for (let i = 0; i < 5; i++) {
      const e = await plantEnrollment(h, { providerId: gw.demo['provider-a'].id, courseId, redeemedAt: t });
      await plantAttendance(h, e.enrollmentId, { deviceId: 'hp-operator-7', at: minutes(t, i) });
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
      locale: 'id-ID',
    });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  it('a wrong password shows an error; the right one signs in (Bahasa Indonesia by default)', async () => {
    await page.goto(`${gw.url}/console/`);
    await page.getByLabel('Surel').fill('reviewer@latih.test');
    await page.getByLabel('Kata sandi').fill('bukan-ini');
    await page.getByRole('button', { name: 'Masuk' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Surel atau kata sandi salah.');
    await shot('01-sign-in-error');
    await page.getByLabel('Kata sandi').fill(DEMO_STAFF_PASSWORD);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.getByRole('heading', { name: 'Kurasi' }).waitFor();
    expect(await page.getByText('Peninjau Demo (reviewer)').count()).toBe(1);
  });

  it('approves a course from the queue, and the platform catalog feed then carries it', async () => {
    await page.getByRole('link', { name: 'Barista Kopi Nusantara untuk Pemula' }).click();
    await page.getByRole('heading', { name: 'Barista Kopi Nusantara untuk Pemula' }).waitFor();
    expect(await page.getByText('Rp1.500.000').count()).toBeGreaterThan(0);
    expect(await page.getByText(/WIB$/).count()).toBeGreaterThan(0);
    await shot('02-course-review');
    await page.getByLabel('Catatan (Setujui)').fill('Lengkap dan sesuai skema');
    await page.getByRole('button', { name: 'Setujui' }).click();
    await page.getByRole('status').filter({ hasText: 'Disetujui' }).waitFor();

    const platform = createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo['platform-a'].clientId,
      clientSecret: gw.demo['platform-a'].clientSecret,
    });
    const seen: string[] = [];
    for await (const batch of platform.catalog.sync())
      for (const c of batch.changes) seen.push(`${c.type}:${c.courseId}`);
    expect(seen).toContain(`UPSERT:${courses.approve}`);
  });

  it('rejects a course with reasons and a note', async () => {
    await page.goto(`${gw.url}/console/#/curation`);
    await page.getByRole('link', { name: 'Kursus Kilat Kaya Mendadak' }).click();
    await page.getByLabel('MISLEADING_CONTENT').check();
    await page.getByLabel('QUALITY').check();
    await page.getByLabel('Catatan (Tolak)').fill('Judul menjanjikan hal yang tidak diajarkan');
    await page.getByRole('button', { name: 'Tolak' }).click();
    await page.getByRole('status').filter({ hasText: 'Ditolak' }).waitFor();
    const admin = createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo.pmo.clientId,
      clientSecret: gw.demo.pmo.clientSecret,
    });
    const review = await admin.pmo.curation.get.query({ id: courses.reject });
    expect(review.course).toMatchObject({
      status: 'REJECTED',
      rejection: {
        reasons: ['MISLEADING_CONTENT', 'QUALITY'],
        note: 'Judul menjanjikan hal yang tidak diajarkan',
      },
    });
  });

  it('runs the detectors, reads a signal’s evidence and opens a case from it', async () => {
    await page.getByRole('link', { name: 'Sinyal kecurangan' }).click();
    await page.getByRole('button', { name: 'Jalankan deteksi' }).click();
    const summary = page.getByRole('button', { name: /hp-operator-7/ });
    await summary.waitFor();
    await summary.click();
    await page.getByRole('heading', { name: /SHARED_DEVICE/ }).waitFor();
    expect(await page.locator('article tbody tr').count()).toBe(5);
    await shot('03-signals');
    await page.getByRole('button', { name: 'Buka kasus' }).click();
    await page.getByRole('heading', { name: /^Kasus:/ }).waitFor();
    expect(await page.getByText(/control_case\.opened/).count()).toBe(1);
    await shot('04-case');
  });

  it('shows statistics as a chart and a table, and switches to English', async () => {
    await page.getByRole('link', { name: 'Statistik' }).click();
    await page.locator('.recharts-surface').first().waitFor();
    expect(await page.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    await shot('05-statistics');
    await page.getByLabel('Bahasa').selectOption('en');
    await page.getByRole('heading', { name: 'Statistics' }).waitFor();
    await page.getByLabel('Language').selectOption('id');
  });

  it('shows a provider: scorecard, its figures week by week as a chart, its courses and cases', async () => {
    const pmo = createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo.pmo.clientId,
      clientSecret: gw.demo.pmo.clientSecret,
    });
    await pmo.pmo.reports.rebuild.mutate({});
    await page.getByRole('link', { name: 'Laporan' }).click();
    await page.getByRole('link', { name: gw.demo['provider-a'].name }).click();
    await page.getByRole('heading', { name: gw.demo['provider-a'].name }).waitFor();
    await page.locator('.recharts-line').first().waitFor({ state: 'attached' });
    expect(await page.locator('.recharts-line-dot, .recharts-line-curve').count()).toBeGreaterThan(0);
    expect(await page.locator('section li a[href^="#/cases/"]').count()).toBe(1);
    await shot('07-provider');
  });

  it('roles hold in the console too: a reviewer is not offered a failed settlement’s retry, finance retries it', async () => {
    await gw.database.db.insert(schema.settlements).values({
      id: 'stl_01m8000000000000000000fa11',
      organisationId: gw.demo['provider-a'].id,
      role: 'PROVIDER',
      batchDate: '2026-11-20',
      amount: 1_350_000,
      itemCount: 1,
      status: 'FAILED',
      failureCode: 'account_closed',
      failureMessage: 'The destination bank account is closed.',
      nextAttemptAt: new Date(),
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await page.getByRole('link', { name: 'Pembayaran' }).click();
    await page.getByText('account_closed: The destination bank account is closed.').waitFor();
    expect(await page.getByText('Rp1.350.000').count()).toBe(1);
    await shot('08-payouts');
    // A reviewer is not offered the retry (and the server would refuse it: tests/e2e/console-auth).
    expect(await page.getByRole('button', { name: 'Coba lagi' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Keluar' }).click();
    await page.getByLabel('Surel').fill('finance@latih.test');
    await page.getByLabel('Kata sandi').fill(DEMO_STAFF_PASSWORD);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.getByRole('link', { name: 'Pembayaran' }).click();
    await page.getByRole('button', { name: 'Coba lagi' }).click();
    await expect
      .poll(
        async () =>
          (
            await gw.database.db
              .select()
              .from(schema.settlements)
              .where(eq(schema.settlements.id, 'stl_01m8000000000000000000fa11'))
          )[0]?.status,
      )
      .toBe('PENDING');
  });

  it('lists every partner’s webhook deliveries', async () => {
    await page.getByRole('link', { name: 'Pengiriman webhook' }).click();
    await page.getByRole('heading', { name: 'Pengiriman webhook' }).waitFor();
    await shot('09-webhooks');
  });

  it('downloads the audit log as CSV', async () => {
    await page.getByRole('link', { name: 'Log audit' }).click();
    await page.getByRole('heading', { name: 'Log audit' }).waitFor();
    await shot('06-audit');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Unduh CSV' }).click(),
    ]);
    const file = await download.path();
    const text = readFileSync(file, 'utf8');
    expect(text.split('\r\n')[0]).toBe(
      'id,occurredAt,actorOrganisationId,actorClientId,action,entityType,entityId,fromState,toState,requestId,data',
    );
    expect(text).toContain('course.approved');
    expect(text).toContain('settlement.pending,settlement,stl_01m8000000000000000000fa11,FAILED,PENDING');
    expect(download.suggestedFilename()).toBe('latih-audit.csv');
  });
});
