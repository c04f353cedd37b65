import { createRegistryClient, createRegistryMock } from '@latih/registry';
import { advanceSandboxClock, createLatihClient, isLatihError } from '@latih/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway';

/**
 * The population-registry check in a running gateway: an import during a registry outage leaves
 * the participant PENDING (checkout answers 409 over REST), and the gateway's own schedule
 * (registry.retry, run by the sandbox clock's advance as by its timer) clears them once the
 * registry answers again. The registry double is the test's, so the test decides the outage.
 */
describe('registry.retry in a running gateway', () => {
  const registry = createRegistryMock({
    baseUrl: 'https://registry.e2e.latih.invalid',
    apiKey: 'rk_test_e2e',
    latencyMs: [1, 5],
  });
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway({
      sandbox: {},
      registry: createRegistryClient({
        baseUrl: registry.baseUrl,
        apiKey: registry.apiKey,
        fetch: registry.fetch,
        maxRetries: 0,
      }),
    });
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

  it('an outage leaves the participant PENDING and unable to buy; the schedule checks them when it ends', async () => {
    const pmo = client('pmo');
    registry.faults.down = true;
    const imported = await pmo.pmo.participants.import.mutate({
      cohort: 3,
      items: [
        {
          nik: '3273011708950077',
          cardNumber: '7300000000000077',
          name: 'Dewi Lestari',
          gender: 'M',
          birthDate: '1995-08-17',
          regencyCode: '32.73',
        },
      ],
    });
    expect(imported.summary).toMatchObject({ created: 1, pending: 1 });
    const participantId = imported.results[0]?.participantId ?? '';

    // Over REST, as any platform sees it: 409 with the code, never which field or why.
    const platform = client('platform-a');
    const course = (await platform.platform.catalog.list.query()).items.find(
      (c) => c.runs[0]?.status === 'OPEN',
    );
    const token = await gw.token('platform-a');
    const refused = await fetch(`${gw.url}/v1/platform/checkouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        cardNumber: '7300000000000077',
        courseId: course?.id,
        runId: course?.runs[0]?.id,
      }),
    });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: 'PARTICIPANT_REGISTRY_PENDING', field: 'cardNumber' });

    // While the registry is down, the schedule's tries are deferred; the participant stays PENDING.
    await advanceSandboxClock(pmo, { seconds: 60 }, { pollIntervalMs: 100 });
    const waiting = await pmo.pmo.participants.registry.get.query({ participantId });
    expect(waiting.status).toBe('PENDING');
    expect(waiting.queued?.attempts).toBeGreaterThanOrEqual(1);

    // The registry is back: the next run of the gateway's registry.retry gives the verdict.
    registry.faults.down = false;
    await advanceSandboxClock(pmo, { seconds: 3_600 }, { pollIntervalMs: 100 });
    const cleared = await pmo.pmo.participants.registry.get.query({ participantId });
    expect(cleared).toMatchObject({ status: 'VERIFIED', queued: null });
    expect(cleared.checks.map((c) => c.trigger)).toEqual(expect.arrayContaining(['IMPORT', 'RETRY']));
    expect(cleared.checks.at(-1)).toMatchObject({ trigger: 'RETRY', outcome: 'VERIFIED', by: null });

    // REST errors keep the API's shape.
    const pmoToken = await gw.token('pmo');
    const override = await fetch(`${gw.url}/v1/pmo/participants/${participantId}/registry/override`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pmoToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'nothing to override here' }),
    });
    expect(override.status).toBe(409);
    expect(await override.json()).toMatchObject({ code: 'REGISTRY_NOT_OPEN' });
    await expect(
      pmo.pmo.participants.registry.recheck.mutate({ participantId, nik: '3273011708950078' }),
    ).rejects.toSatisfy((e) => isLatihError(e) && e.code === 'REGISTRY_NIK_MISMATCH');
  });
});
