import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DEMO_PARTICIPANTS, DEMO_STAFF_PASSWORD } from '@latih/core';
import { advanceSandboxClock, createLatihClient, type LatihClient } from '@latih/sdk';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockPayments } from '../../apps/gateway/src/payments';
import { startTestGateway } from '../support/gateway';

/**
 * The provider console in Chromium (issue 20): a provider's whole day on the demo data, each step
 * by the staff member whose role it is, in the console, with the server enforcing the roles. The
 * platform (which has no console) sells through the SDK, and time moves with the sandbox clock as
 * a newcomer's `npm start` sandbox moves it. Screenshots go to test-results/screenshots/.
 */
const CHROMIUM = '/usr/bin/chromium';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const shots = join(new URL('../..', import.meta.url).pathname, 'test-results/screenshots');
const WIB = 7 * 3_600_000;

describe.runIf(existsSync(CHROMIUM))('the provider console in Chromium: a provider’s whole day', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let payments: ReturnType<typeof mockPayments>;
  let browser: Browser;
  let pmo: LatihClient;
  let platform: LatihClient;
  const pages: Record<'admin' | 'instructor' | 'finance' | 'reviewer', Page> = {} as never;
  const day = { courseId: '', runId: '', code: '', participant: '', enrollmentId: '', certificate: '' };
  const title = 'Tata Boga: Kue Tradisional Nusantara';

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    payments = mockPayments({ tickMs: 50, settleMs: { pending: 100, inTransit: 100 } });
    gw = await startTestGateway({ sandbox: {}, payments });
    const client = (key: 'pmo' | 'platform-a') =>
      createLatihClient({
        baseUrl: gw.url,
        clientId: gw.demo[key].clientId,
        clientSecret: gw.demo[key].clientSecret,
      });
    pmo = client('pmo');
    platform = client('platform-a');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    for (const [who, email] of [
      ['admin', 'admin@cakap.latih.test'],
      ['instructor', 'instruktur@cakap.latih.test'],
      ['finance', 'keuangan@cakap.latih.test'],
      ['reviewer', 'reviewer@latih.test'],
    ] as const) {
      // Each staff member in a browser of their own (their own cookie), Bahasa Indonesia as sent.
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'id-ID' });
      const page = await context.newPage();
      await page.goto(`${gw.url}/console/`);
      await page.getByLabel('Surel').fill(email);
      await page.getByLabel('Kata sandi').fill(DEMO_STAFF_PASSWORD);
      await page.getByRole('button', { name: 'Masuk' }).click();
      await page.getByRole('button', { name: 'Keluar' }).waitFor();
      pages[who] = page;
    }
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    payments?.close();
  });

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const clockNow = async () => Date.parse((await pmo.sandbox.clock.get.query()).now);

  it('each role sees its own pages, and the server refuses the rest whatever the page shows', async () => {
    const nav = async (p: Page) =>
      (await p.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).join(', ');
    expect(await nav(pages.admin)).toBe(
      'Kursus, Kelas, Penukaran di pintu, Kinerja, Penyelesaian dana, Webhook, Kredensial API, Staf',
    );
    expect(await nav(pages.instructor)).toBe('Kursus, Kelas, Penukaran di pintu, Kinerja');
    expect(await nav(pages.finance)).toBe('Kursus, Kinerja, Penyelesaian dana');
    // The server, not the page: the instructor's own cookie asking for money, finance for a roster.
    const status = (p: Page, path: string) =>
      p.evaluate(async (u) => (await fetch(u)).status, `${gw.url}/v1${path}`);
    expect(await status(pages.instructor, '/provider/settlements')).toBe(403);
    expect(await status(pages.finance, '/provider/enrollments')).toBe(403);
    await pages.finance.goto(`${gw.url}/console/#/classes`);
    await pages.finance.getByText('Peran Anda tidak dapat membuka halaman ini.').waitFor();
  });

  const asProvider = () =>
    createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo['provider-a'].clientId,
      clientSecret: gw.demo['provider-a'].clientSecret,
    });
  const pmoRun = () => asProvider().provider.runs.get.query({ id: day.runId });

  it('the admin creates a course, sets its completion rule, schedules a class and submits it, reading the indicators the reviewer will see', async () => {
    const p = pages.admin;
    await p.goto(`${gw.url}/console/#/courses`);
    await p.getByRole('heading', { name: 'Kursus', level: 1 }).waitFor();
    await p.getByLabel('Judul').fill(title);
    await p.getByLabel('Ringkasan').fill('Membuat kue lapis, klepon dan lemper yang layak jual');
    await p
      .getByLabel('Deskripsi')
      .fill('Dari bahan, teknik kukus dan panggang, hingga kemasan dan harga pokok.');
    await p.getByLabel('Kategori').selectOption('food-processing');
    await p.getByLabel('Moda').selectOption('LURING');
    await p.getByLabel('Jam').fill('16');
    await p.getByLabel('Harga (Rp)').fill('1500000');
    await p
      .getByLabel('Hasil belajar (satu per baris)')
      .fill('Memilih bahan kue tradisional\nMengukus dan memanggang dengan aman\nMenghitung harga pokok');
    await p.getByRole('button', { name: 'Buat draf kursus' }).click();
    await p.getByRole('heading', { name: title, level: 1 }).waitFor();
    day.courseId = decodeURIComponent(new URL(p.url()).hash.split('/')[2] ?? '');
    expect(day.courseId).toMatch(/^crs_/);

    // The completion rule: every session, the skills task and a post-test of 70.
    await p.getByLabel('Kode unit kompetensi SKKNI (satu per baris)').fill('C.107900.001.01');
    await p.getByLabel('Kehadiran minimum (%)').fill('100');
    await p.getByLabel('Nilai lulus post-test (kosong: tanpa post-test)').fill('70');
    await p.getByLabel('Tugas unjuk keterampilan wajib').check();
    await p.getByLabel('Nama sertifikat').fill('Sertifikat Tata Boga Kue Tradisional');
    await p.getByLabel('Nama penanda tangan').fill('Sari Wulandari');
    await p.getByLabel('Jabatan penanda tangan').fill('Direktur Lembaga');
    await p.getByRole('button', { name: 'Simpan perubahan' }).click();
    await p.getByText('Perubahan disimpan.').waitFor();

    // Two 8-hour sessions in Bandung, the day after tomorrow and the day after (WIB).
    const wibDay = (days: number, hour: number) => {
      const d = new Date(Date.now() + WIB);
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + days, hour) - WIB);
    };
    const local = (d: Date) => new Date(d.getTime() + WIB).toISOString().slice(0, 16);
    await p.getByLabel('Kapasitas').fill('20');
    await p.getByLabel('Provinsi tempat').selectOption('32');
    await p.getByLabel('Kabupaten/kota').selectOption('32.73');
    await p.getByLabel('Mulai sesi 1').fill(local(wibDay(2, 8)));
    await p.getByLabel('Selesai sesi 1').fill(local(wibDay(2, 16)));
    await p.getByRole('button', { name: 'Tambah sesi' }).click();
    await p.getByLabel('Mulai sesi 2').fill(local(wibDay(3, 8)));
    await p.getByLabel('Selesai sesi 2').fill(local(wibDay(3, 16)));
    await p.getByLabel('Nama tempat').fill('Dapur Pelatihan Cakap');
    await p.getByLabel('Alamat').fill('Jl. Braga No. 10, Bandung');
    await p.getByLabel('Lintang').fill('-6.9175');
    await p.getByLabel('Bujur').fill('107.6191');
    await p.getByLabel('Aksesibilitas').fill('Lantai dasar, tanpa tangga; toilet ramah kursi roda');
    await p.getByRole('button', { name: 'Jadwalkan kelas' }).click();
    await p.getByText('Jadwal kelas dibuat.').waitFor();
    // The reviewer's indicators, from the server: all met for this course.
    const indicators = p.locator('#h-readiness + ul li');
    await expect.poll(() => indicators.count()).toBe(12);
    await expect
      .poll(async () => (await indicators.allTextContents()).filter((t) => t.includes('✘')))
      .toEqual([]);
    await shot(p, 'provider-01-course');
    await p.getByRole('button', { name: 'Ajukan untuk kurasi' }).click();
    await p.getByText('Kursus telah diajukan untuk kurasi.').waitFor();
    const runs = await asProvider().provider.runs.list.query({ courseId: day.courseId });
    day.runId = runs.items[0]?.id ?? '';
    expect(runs.items[0]?.sessions.map((x) => x.startsAt)).toEqual([
      wibDay(2, 8).toISOString(),
      wibDay(3, 8).toISOString(),
    ]);
  });

  it('the PMO’s reviewer approves it in the PMO console', async () => {
    const p = pages.reviewer;
    // Signed in before the course was submitted: a fresh load reads the queue as it is now.
    await p.goto(`${gw.url}/console/#/curation`);
    await p.reload();
    await p.getByRole('link', { name: title }).click();
    await p.getByLabel('Catatan (Setujui)').fill('Lengkap, sesuai skema');
    await p.getByRole('button', { name: 'Setujui' }).click();
    await p.getByRole('status').filter({ hasText: 'Disetujui' }).waitFor();
  });

  it('the admin opens the class for sale once the course is published', async () => {
    const p = pages.admin;
    await p.reload();
    await p.getByRole('heading', { name: title, level: 1 }).waitFor();
    await p.getByRole('button', { name: 'Buka pendaftaran' }).click();
    await p.getByText('Pendaftaran kelas dibuka.').waitFor();
    expect((await pmoRun()).status).toBe('OPEN');
  });

  it('the demo platform sells it to a demo participant; an hour before class the instructor checks her in at the door, by keyboard alone', async () => {
    const buyer = DEMO_PARTICIPANTS[0];
    const checkout = await platform.platform.checkout.create.mutate({
      cardNumber: buyer.cardNumber,
      courseId: day.courseId,
      runId: day.runId,
    });
    const { code } = (await (await fetch(`${gw.url}/dev/otp/${checkout.id}`)).json()) as { code: string };
    day.code = (await platform.platform.checkout.confirm.mutate({ id: checkout.id, code })).code;
    day.participant = buyer.name;
    const run = await pmoRun();
    await advanceSandboxClock(pmo, {
      to: new Date(Date.parse(run.sessions[0]?.startsAt ?? '') - 20 * 60_000),
    });

    const p = pages.instructor;
    await p.goto(`${gw.url}/console/#/classes`);
    await p.getByRole('heading', { name: 'Kelas', level: 1 }).waitFor();
    await p.getByRole('link', { name: `Penukaran di pintu ${title}` }).click();
    const field = p.getByLabel('Kode voucher', { exact: true });
    await field.waitFor();
    // The door's one field has the focus: a scanner (keyboard mode) types the code and Enter.
    expect(await field.evaluate((el) => el === document.activeElement)).toBe(true);
    await p.keyboard.type('K7QM-3XTA-9WHD-2RPX');
    await p.keyboard.press('Enter');
    await p
      .getByText(/CODE_MALFORMED|VOUCHER_NOT_FOUND/)
      .first()
      .waitFor();
    expect(await field.inputValue()).toBe('');
    expect(await field.evaluate((el) => el === document.activeElement)).toBe(true);
    await p.keyboard.type(day.code.toLowerCase());
    await p.keyboard.press('Enter');
    await p.getByText(`Terdaftar: ${day.participant}`).first().waitFor();
    expect(await field.evaluate((el) => el === document.activeElement)).toBe(true);
    await shot(p, 'provider-03-door');
    // The same code again: refused, and said why.
    await p.keyboard.type(day.code);
    await p.keyboard.press('Enter');
    await p
      .getByText(/VOUCHER_ALREADY_REDEEMED/)
      .first()
      .waitFor();
    // Many codes at once, by keyboard alone: Tab past the button to the list, a code per line,
    // Tab to "Tukarkan semua", Enter. Each code is answered on its own.
    await p.keyboard.press('Tab');
    await p.keyboard.press('Tab');
    const list = p.getByLabel('Kode voucher, satu per baris (maks. 100)');
    expect(await list.evaluate((el) => el === document.activeElement)).toBe(true);
    await p.keyboard.type(day.code);
    await p.keyboard.press('Enter');
    await p.keyboard.type('BUKAN-KODE');
    await p.keyboard.press('Tab');
    await p.keyboard.press('Enter');
    await p.getByRole('status').filter({ hasText: 'Ditukar 0, ditolak 2' }).waitFor();
    const roster = await asProvider().provider.enrollments.list.query({ runId: day.runId });
    expect(roster.items.map((e) => `${e.participant.name}:${e.status}`)).toEqual([
      `${day.participant}:IN_TRAINING`,
    ]);
    day.enrollmentId = roster.items[0]?.enrollmentId ?? '';
  });

  it('the instructor takes attendance: session 1 on the register, session 2 through the program’s identity check', async () => {
    const p = pages.instructor;
    await p.goto(`${gw.url}/console/#/classes/${day.runId}`);
    await p.getByRole('heading', { name: `Kelas: ${title}`, level: 1 }).waitFor();
    await p.getByLabel(`Hadir: ${day.participant}`).check();
    await p.getByRole('button', { name: 'Simpan absensi' }).click();
    await p.getByRole('status').filter({ hasText: 'Absensi tersimpan: 1' }).waitFor();

    const run = await pmoRun();
    await advanceSandboxClock(pmo, {
      to: new Date(Date.parse(run.sessions[1]?.startsAt ?? '') - 10 * 60_000),
    });
    // The provider's LMS registered where participants come back to (an integration's setting).
    await asProvider().provider.redirectUris.register.mutate({ uri: 'https://lms.example.id/latih/kembali' });
    await p.reload();
    await p.getByLabel('Sesi', { exact: true }).selectOption('2');
    await p.getByRole('button', { name: `Kirim ke verifikasi identitas: ${day.participant}` }).click();
    const link = (await p.getByRole('status').getByRole('link').getAttribute('href')) ?? '';
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    // The participant's own browser: the identity check page, "Ya, ini saya".
    const participant = await browser.newPage();
    await participant.route('https://lms.example.id/**', (r) => r.fulfill({ status: 200, body: 'LMS' }));
    await participant.goto(link);
    await participant.getByRole('button', { name: /Ya, ini saya/ }).click();
    await participant.waitForURL(/lms\.example\.id.*result=CONFIRMED/);
    await participant.close();
    await p.reload();
    await p.getByLabel('Sesi', { exact: true }).selectOption('2');
    await p.getByText('CONFIRMED · Verifikasi wajah program').waitFor();
    await shot(p, 'provider-04-attendance');
  });

  it('the instructor records the task, gives feedback, records the post-test and reports the completion', async () => {
    const p = pages.instructor;
    await p.getByRole('button', { name: `Rincian: ${day.participant}` }).click();
    await p.getByRole('heading', { name: `Peserta: ${day.participant}` }).waitFor();
    await p.getByLabel('Alamat tugas (https)').fill('https://drive.example.id/tugas/kue-lapis.jpg');
    await p.getByLabel('Berkas tugas (untuk sidik SHA-256)').setInputFiles({
      name: 'kue-lapis.jpg',
      mimeType: 'image/jpeg',
      buffer: Buffer.from('foto kue lapis legit, lapisan ke-18'),
    });
    await p.getByRole('button', { name: 'Simpan tugas' }).click();
    await p.getByRole('status').filter({ hasText: 'Tugas tercatat' }).waitFor();
    await p.getByLabel('Catatan umpan balik (TPM 1)').fill('Lapisan rata dan matang; kurangi gula.');
    await p.getByRole('button', { name: 'Kirim umpan balik' }).click();
    await p.getByRole('status').filter({ hasText: 'Umpan balik terkirim' }).waitFor();
    await p.getByLabel('Nilai post-test').fill('88');
    await p.getByRole('button', { name: 'Simpan nilai' }).click();
    await p.getByRole('status').filter({ hasText: 'Nilai tercatat' }).waitFor();
    const detail = await asProvider().provider.enrollments.get.query({ id: day.enrollmentId });
    expect(detail.assignments[0]).toMatchObject({
      status: 'ACCEPTED',
      feedback: { notes: 'Lapisan rata dan matang; kurangi gula.' },
    });
    expect(detail.missing).toEqual([]);

    // Nothing missing: she is ticked for the report already.
    const pick = p.getByLabel(`Pilih: ${day.participant}`);
    await expect.poll(() => pick.isChecked()).toBe(true);
    await p.getByRole('button', { name: 'Laporkan lulus' }).click();
    await p.getByRole('status').filter({ hasText: 'Dilaporkan: 1' }).waitFor();
    const done = await asProvider().provider.enrollments.get.query({ id: day.enrollmentId });
    expect(done.status).toBe('COMPLETED');
    day.certificate = done.certificate?.number ?? '';
    expect(day.certificate).toMatch(/^LTH-/);
    await p.getByText(day.certificate).waitFor();
    await shot(p, 'provider-05-participant');
  });

  it('the certificate is verified on the public page', async () => {
    const p = await browser.newPage();
    await p.goto(`${gw.url}/verify/${day.certificate}`);
    await p.getByRole('heading', { name: /Sertifikat sah/ }).waitFor();
    expect(await p.getByText(title).count()).toBe(1);
    await p.close();
  });

  it('finance sets the payout account; overnight the batch settles the day and pays it; finance reads the statement', async () => {
    const p = pages.finance;
    await p.goto(`${gw.url}/console/#/money`);
    await p.getByRole('heading', { name: 'Penyelesaian dana', level: 1 }).waitFor();
    await p.getByLabel('Kode bank (3 angka)').fill('014');
    await p.getByLabel('Nomor rekening').fill('8800123456');
    await p.getByLabel('Nama pemilik rekening').fill('Lembaga Pelatihan Nusantara Cakap');
    await p.getByRole('button', { name: 'Simpan rekening' }).click();
    await p.getByText('Rekening pencairan disimpan.').waitFor();

    const now = await clockNow();
    const wib = new Date(now + WIB);
    const next = Date.UTC(wib.getUTCFullYear(), wib.getUTCMonth(), wib.getUTCDate() + 1, 1, 30) - WIB;
    expect((await advanceSandboxClock(pmo, { to: new Date(next) })).status).toBe('READY');
    let settlement = (await asProvider().provider.settlements.list.query({})).items[0];
    for (let i = 0; i < 100 && settlement?.status !== 'PAID'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      settlement = (await asProvider().provider.settlements.list.query({})).items[0];
    }
    expect(settlement, JSON.stringify(settlement)).toMatchObject({ status: 'PAID', amount: 1_350_000 });
    await p.reload();
    await p.getByRole('heading', { name: 'Penyelesaian dana', level: 1 }).waitFor();
    await p.getByText('Rp1.350.000').first().waitFor();
    await shot(p, 'provider-06-settlements');
    // The statement: one line, the course's price less the platform's commission.
    await p.getByRole('link', { name: settlement?.batchDate ?? '' }).click();
    await p
      .getByRole('heading', { name: `Laporan penyelesaian dana ${settlement?.batchDate}`, level: 1 })
      .waitFor();
    await p.getByText('Rp1.500.000').first().waitFor();
    await p.getByText('Rp150.000').first().waitFor();
    await shot(p, 'provider-07-statement');
  });
  it('every provider page passes axe-core’s WCAG 2 A and AA rules, colour contrast included, in both languages', async () => {
    const p = pages.admin;
    const settlement = (await asProvider().provider.settlements.list.query({})).items[0];
    const routes: [string, string | RegExp][] = [
      ['courses', 'Kursus'],
      [`courses/${day.courseId}`, title],
      ['classes', 'Kelas'],
      [`classes/${day.runId}`, `Kelas: ${title}`],
      ['door', 'Penukaran di pintu'],
      ['figures', 'Kinerja'],
      ['money', 'Penyelesaian dana'],
      [`money/${settlement?.id}`, /^Laporan penyelesaian dana/],
      ['webhooks', 'Webhook'],
      ['credentials', 'Kredensial API'],
      ['staff', 'Staf'],
    ];
    const failures: string[] = [];
    for (const [route, heading] of routes) {
      await p.goto(`${gw.url}/console/#/${route}`);
      await p.reload();
      await p.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await p.waitForLoadState('networkidle');
      if (route.startsWith('classes/')) {
        // With a participant's file open: attendance, tasks and feedback, certificate.
        await p.getByRole('button', { name: `Rincian: ${day.participant}` }).click();
        await p.getByRole('heading', { name: `Peserta: ${day.participant}` }).waitFor();
      }
      if (route === 'figures') {
        // The sandbox's days (its clock is ahead of the browser's): the day's sale and completion.
        const today = new Date((await clockNow()) + WIB).toISOString().slice(0, 10);
        const weekAgo = new Date((await clockNow()) + WIB - 7 * 86_400_000).toISOString().slice(0, 10);
        await p.getByLabel('Dari tanggal').fill(weekAgo);
        await p.getByLabel('Sampai tanggal').fill(today);
        await p.getByRole('figure').waitFor();
        // The figures the PMO sees for this provider: the sale, the redemption and the completion.
        const summary = (await p.locator('dl').first().textContent()) ?? '';
        expect(summary).toMatch(/Terjual\s*1(?!\d)/);
        expect(summary).toMatch(/Ditukar\s*1(?!\d)/);
        expect(summary).toMatch(/Lulus\s*1(?!\d)/);
      }
      failures.push(...(await axe(p)).map((v) => `${route}: ${v}`));
      const name = route.replace(/\/.*$/, '-detail').replace(/[^a-z-]/g, '');
      if (['figures', 'credentials', 'staff', 'webhooks', 'courses'].includes(route))
        await shot(p, `provider-page-${name}`);
    }
    // English, switched in the header: the same pages, other words.
    await p.getByLabel('Bahasa').selectOption('en');
    await p.goto(`${gw.url}/console/#/door/${day.runId}`);
    await p.getByRole('heading', { name: 'Door check-in', level: 1 }).waitFor();
    failures.push(...(await axe(p)).map((v) => `door (en): ${v}`));
    await p.getByLabel('Language').selectOption('id');
    await p.getByRole('heading', { name: 'Penukaran di pintu', level: 1 }).waitFor();
    expect(failures).toEqual([]);
  });

  it('last, the admin revokes the certificate from the participant’s file; the public page says so', async () => {
    const p = pages.admin;
    await p.goto(`${gw.url}/console/#/classes/${day.runId}`);
    await p.reload();
    await p.getByRole('button', { name: `Rincian: ${day.participant}` }).click();
    await p.getByLabel('Alasan pencabutan sertifikat').fill('Tugas ternyata dikerjakan orang lain');
    await p.getByRole('button', { name: 'Cabut sertifikat' }).click();
    await p.getByRole('status').filter({ hasText: 'Sertifikat dicabut' }).waitFor();
    const page = await browser.newPage();
    await page.goto(`${gw.url}/verify/${day.certificate}`);
    await page.getByRole('heading', { name: /Sertifikat dicabut/ }).waitFor();
    await page.getByText('Tugas ternyata dikerjakan orang lain').waitFor();
    await page.close();
  });
});

/** axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is; each violation as "rule: targets". */
export async function axe(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const a = (window as unknown as { axe: { run: (o: unknown) => Promise<AxeResult> } }).axe;
    const r = await a.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 5)
          .join(' | ')}`,
    );
  });
}

type AxeResult = { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
