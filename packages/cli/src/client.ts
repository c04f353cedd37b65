import { createLatihClient, type LatihClient } from '@latih/sdk';
import type { Profile } from './config';

/** The SDK's client for a profile: every API call of the CLI goes through it. */
export function clientFor(profile: Pick<Profile, 'url' | 'clientId' | 'clientSecret'>): LatihClient {
  return createLatihClient({
    baseUrl: profile.url,
    clientId: profile.clientId,
    clientSecret: profile.clientSecret,
  });
}
