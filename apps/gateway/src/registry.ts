import { randomBytes } from 'node:crypto';
import type { RegistryVerifier } from '@latih/core';
import { createRegistryClient, createRegistryMock, type RegistryMock } from '@latih/registry';

export const MOCK_REGISTRY_BASE_URL = 'https://registry.mock.latih.invalid';

/** The population registry's verification service, from REGISTRY_BASE_URL and REGISTRY_API_KEY. */
export function realRegistry(opts: { baseUrl: string; apiKey: string }): RegistryVerifier {
  return createRegistryClient({ baseUrl: opts.baseUrl, apiKey: opts.apiKey });
}

/**
 * The development default: the registry's double (msw handlers and an in-memory population) in
 * this process, reached through the same client over fetch. It answers every NIK as registered
 * with the data asked about, except its reserved serials (docs/guides/participants-registry.md).
 */
export function mockRegistry(opts: { latencyMs?: [number, number] } = {}): {
  client: RegistryVerifier;
  mock: RegistryMock;
} {
  const apiKey = `rk_test_${randomBytes(12).toString('hex')}`;
  const mock = createRegistryMock({
    baseUrl: MOCK_REGISTRY_BASE_URL,
    apiKey,
    ...(opts.latencyMs ? { latencyMs: opts.latencyMs } : {}),
  });
  return {
    client: createRegistryClient({ baseUrl: MOCK_REGISTRY_BASE_URL, apiKey, fetch: mock.fetch }),
    mock,
  };
}
