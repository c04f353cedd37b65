import { seedDemoCatalog } from '@latih/core';
import { createLatihClient } from '@latih/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway';

describe('demo data', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const client = (key: 'pmo' | 'platform-a') =>
    createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo[key].clientId,
      clientSecret: gw.demo[key].clientSecret,
    });

  it('puts realistic courses of every mode, in several provinces, on sale; one waits in review', async () => {
    const catalog = await client('platform-a').platform.catalog.list.query({ limit: 100 });
    expect(catalog.items.map((c) => c.mode).sort()).toEqual(['HYBRID', 'LURING', 'SELF_PACED', 'WEBINAR']);
    const provinces = new Set(
      catalog.items.flatMap((c) => c.runs.flatMap((r) => r.regencyCodes.map((code) => code.slice(0, 2)))),
    );
    expect([...provinces].sort()).toEqual(['18', '64']); // Lampung, East Kalimantan
    expect(catalog.items.find((c) => c.title.startsWith('K3 Migas'))?.runs[0]?.sessions[2]?.timeZone).toBe(
      'Asia/Makassar',
    );
    const queue = await client('pmo').pmo.curation.queue.query();
    expect(queue.items.map((i) => i.title)).toEqual(['Tata Rias Pengantin Bugis']);
  });

  it('seeding again changes nothing', async () => {
    expect(await seedDemoCatalog(gw.database.db)).toBe(0);
  });
});

describe('production mode', () => {
  it('mounts no development OTP inbox, and checkout answers OTP_CHANNEL_UNAVAILABLE', async () => {
    const { startGateway } = await import('../../apps/gateway/src/gateway');
    const { createLogger } = await import('../../apps/gateway/src/logger');
    const { freshDatabase } = await import('../support/db');
    const { generateStoredKey, loadKeySet } = await import('@latih/core');
    const database = await freshDatabase('pglite');
    const keys = loadKeySet({ keys: [generateStoredKey(new Date(0), new Date(0))] });
    const gateway = await startGateway({
      database,
      keys: () => keys,
      issuer: (port) => `http://127.0.0.1:${port}`,
      logger: createLogger('silent'),
      host: '127.0.0.1',
      port: 0,
      seedDemo: true,
      nikHashKey: Buffer.alloc(32, 3),
      otp: null,
    });
    try {
      expect((await fetch(`${gateway.url}/dev/otp/chk_01jw0000000000000000000000`)).status).toBe(404);
      const platform = createLatihClient({
        baseUrl: gateway.url,
        clientId: 'cli_01jw00000000000000000000b1',
        clientSecret: 'lts_demo_platform_a_secret_do_not_use_in_production',
      });
      const course = (await platform.platform.catalog.list.query()).items.find((c) => c.runs[0]);
      const err = await platform.platform.checkout.create
        .mutate({
          cardNumber: '5101000000000001',
          courseId: course?.id ?? '',
          runId: course?.runs[0]?.id ?? '',
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'OTP_CHANNEL_UNAVAILABLE', status: 503 });
    } finally {
      await gateway.close();
      await database.drop();
    }
  });
});
