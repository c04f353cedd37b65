import { createInterface } from 'node:readline/promises';
import { clientFor } from '../client';
import {
  configFile,
  loadProfile,
  type Profile,
  readProfiles,
  removeProfile,
  saveProfile,
  updateState,
} from '../config';
import { cliEnv } from '../env';
import { CliError, type Output } from '../output';

export type LoginOptions = { url?: string; clientId?: string; clientSecret?: string };

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

function checkUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError('INVALID_ARGUMENT', `--url: "${value}" is not a URL (e.g. http://localhost:3000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError('INVALID_ARGUMENT', `--url: ${value} is neither http nor https`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/**
 * Asks for what is not given (the secret also from LATIH_CLIENT_SECRET, so it stays out of the
 * shell history and `ps`), gets a token and asks the gateway who it belongs to, and only then saves.
 */
export async function login(profileName: string, opts: LoginOptions, out: Output): Promise<void> {
  const env = cliEnv();
  const url = checkUrl(opts.url ?? env.url ?? (await ask('Gateway URL: ')));
  const clientId = opts.clientId ?? env.clientId ?? (await ask('Client id: '));
  const clientSecret = opts.clientSecret ?? env.clientSecret ?? (await ask('Client secret: '));
  if (!clientId || !clientSecret)
    throw new CliError('INVALID_ARGUMENT', 'A client id and a client secret are needed.');
  // Throws LatihError CLIENT_AUTH_FAILED for wrong credentials, NETWORK_ERROR for a wrong URL.
  const me = await clientFor({ url, clientId, clientSecret }).auth.whoami.query();
  const previous = readProfiles()[profileName];
  const profile: Profile = {
    url,
    clientId,
    clientSecret,
    organisationId: me.organisationId,
    organisationName: me.organisationName,
    role: me.role,
    savedAt: new Date().toISOString(),
  };
  saveProfile(profileName, profile);
  // A cursor belongs to one client on one gateway: forget it when the profile now names another.
  if (previous && (previous.url !== url || previous.clientId !== clientId))
    updateState(profileName, () => ({}));
  out.result({ profile: profileName, url, ...me, file: configFile() });
  out.text(`Logged in to ${url} as ${me.organisationName} (${me.role}, client ${clientId}).`);
  out.text(`Profile "${profileName}" saved in ${configFile()} (mode 0600).`);
}

export async function logout(profileName: string, out: Output): Promise<void> {
  const removed = removeProfile(profileName);
  out.result({ profile: profileName, removed });
  out.text(removed ? `Profile "${profileName}" removed.` : `There was no profile "${profileName}".`);
}

export async function whoami(profileName: string, out: Output): Promise<void> {
  const profile = loadProfile(profileName);
  const me = await clientFor(profile).auth.whoami.query();
  out.result({ profile: profileName, url: profile.url, ...me });
  out.text(`${me.organisationName} (${me.role}) on ${profile.url}`);
  out.text(`  organisation ${me.organisationId}, client ${me.clientId}, profile "${profileName}"`);
  out.text(`  scopes: ${me.scopes.join(' ')}`);
}
