import { describe, expect, it } from 'vitest';
import { createRegistryClient, RegistryError } from './client';
import { createRegistryMock, normaliseName } from './mock';

const BASE = 'https://registry.mock.latih.invalid';

function setup(o: Partial<Parameters<typeof createRegistryMock>[0]> = {}, timeoutMs = 1_000) {
  const mock = createRegistryMock({ baseUrl: BASE, apiKey: 'rk_test', latencyMs: [0, 2], ...o });
  const client = createRegistryClient({
    baseUrl: BASE,
    apiKey: 'rk_test',
    fetch: mock.fetch,
    timeoutMs,
    sleep: async () => undefined,
  });
  return { mock, client };
}

const person = { nik: '3273011708950001', name: 'Budi Santoso', birthDate: '1995-08-17' };

describe('the population registry client against its double', () => {
  it('answers per field, comparing names without case, accents or spacing, and sends only what is checked', async () => {
    const { mock, client } = setup();
    mock.state.people.set(person.nik, { name: 'BUDI  SANTOSO', birthDate: '1995-08-17' });
    const ok = await client.verify({ ...person, name: 'budi santoso' });
    expect(ok).toMatchObject({ nik: 'FOUND', name: 'MATCH', birthDate: 'MATCH', deceased: false });
    expect(ok.id).toMatch(/^ver_/);
    const off = await client.verify({ ...person, name: 'Budi Susanto', birthDate: '1995-08-18' });
    expect(off).toMatchObject({ nik: 'FOUND', name: 'MISMATCH', birthDate: 'MISMATCH' });
    expect(mock.state.requests.map((r) => Object.keys(r.body as object).sort())).toEqual([
      ['birthDate', 'name', 'nik'],
      ['birthDate', 'name', 'nik'],
    ]);
    expect(normaliseName("Ni Luh Putu Ayu D'Aryani")).toBe('NI LUH PUTU AYU D ARYANI');
    expect(normaliseName('Siti Nurhaliza')).toBe(normaliseName('SITI  NURHALIZA.'));
  });

  it('has reserved serials for a NIK not found, a name or birth date that differs, and a deceased person', async () => {
    const { client } = setup();
    const at = (serial: string) => client.verify({ ...person, nik: `327301170895${serial}` });
    expect(await at('9990')).toMatchObject({ nik: 'NOT_FOUND', name: null, birthDate: null });
    expect(await at('9991')).toMatchObject({ nik: 'FOUND', name: 'MISMATCH', birthDate: 'MATCH' });
    expect(await at('9992')).toMatchObject({ nik: 'FOUND', name: 'MATCH', birthDate: 'MISMATCH' });
    expect(await at('9993')).toMatchObject({ nik: 'FOUND', name: 'MATCH', deceased: true });
    // 9991's record holds one name: with it, the name matches.
    expect(
      await client.verify({ ...person, nik: '3273011708959991', name: 'NAMA SESUAI KTP' }),
    ).toMatchObject({ name: 'MATCH' });
  });

  it('9994 is unavailable the first three times a NIK is asked about (one import: a try and two retries), then a match', async () => {
    const { client, mock } = setup();
    const nik = '3273011708959994';
    expect(await client.verify({ ...person, nik }).catch((e) => e)).toMatchObject({
      status: 503,
      retryable: true,
    });
    expect(mock.state.asksOf.get(nik)).toBe(3);
    expect(await client.verify({ ...person, nik })).toMatchObject({ nik: 'FOUND', name: 'MATCH' });
  });

  it('an outage is a retryable error after the retries, a timeout too; a refused key is not retried', async () => {
    const { mock, client } = setup();
    mock.faults.down = true;
    const down = await client.verify(person).catch((e) => e);
    expect(down).toBeInstanceOf(RegistryError);
    expect(down).toMatchObject({ status: 503, code: 'service_unavailable', retryable: true });
    expect(mock.state.requests).toHaveLength(0);

    const slow = setup({ timeoutRate: 1 }, 50);
    const timedOut = await slow.client.verify(person).catch((e) => e);
    expect(timedOut).toMatchObject({ status: null, code: 'timeout', retryable: true });

    const stranger = createRegistryClient({ baseUrl: BASE, apiKey: 'rk_wrong', fetch: mock.fetch });
    mock.faults.down = false;
    expect(await stranger.verify(person).catch((e) => e)).toMatchObject({ status: 401, retryable: false });
  });

  it('an outage that ends within the retries gives the verdict', async () => {
    const mock = createRegistryMock({ baseUrl: BASE, apiKey: 'rk_test', latencyMs: [0, 1] });
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      mock.faults.down = calls < 3;
      return mock.fetch(input, init);
    };
    const client = createRegistryClient({
      baseUrl: BASE,
      apiKey: 'rk_test',
      fetch: flaky,
      sleep: async () => undefined,
    });
    expect(await client.verify(person)).toMatchObject({ nik: 'FOUND', name: 'MATCH' });
    expect(calls).toBe(3);
  });
});
