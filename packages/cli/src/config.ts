import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { type CliEnv, cliEnv } from './env';
import { CliError } from './output';

/** A named profile: where the gateway is and the client credentials to get tokens with. */
export type Profile = {
  url: string;
  clientId: string;
  clientSecret: string;
  /** As the gateway answered at login (auth.whoami), for display only. */
  organisationId: string;
  organisationName: string;
  role: string;
  savedAt: string;
};

/** What commands remember between runs, per profile: the listen cursor and signing secret. */
export type ProfileState = {
  listen?: { cursor?: string; secret?: string };
};

type ConfigFile = { profiles: Record<string, Profile> };
type StateFile = { profiles: Record<string, ProfileState> };

/** `$XDG_CONFIG_HOME/latih`, else `~/.config/latih`. */
export function configDir(env: CliEnv = cliEnv()): string {
  const base = env.xdgConfigHome ?? join(homedir(), '.config');
  return join(base, 'latih');
}

export const configFile = () => join(configDir(), 'profiles.json');
export const stateFile = () => join(configDir(), 'state.json');

/**
 * Reads a file that holds secrets. Like ssh with a private key, refuses one that others may read
 * or write (any group or other permission bit): fix it with `chmod 600`.
 */
function readPrivateJson<T>(file: string, empty: T): T {
  if (!existsSync(file)) return empty;
  const mode = statSync(file).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new CliError(
      'PROFILE_FILE_PERMISSIONS',
      `${file} has mode ${mode.toString(8).padStart(4, '0')}: others may read it, so it is not used. ` +
        `It holds client secrets: run chmod 600 ${file}, and replace the secrets if others may have read them.`,
    );
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new CliError('PROFILE_FILE_INVALID', `${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Writes atomically, the folder 0700 and the file 0600 (whatever the umask). */
function writePrivateJson(file: string, value: unknown): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function readProfiles(): Record<string, Profile> {
  return readPrivateJson<ConfigFile>(configFile(), { profiles: {} }).profiles;
}

export function loadProfile(name: string): Profile {
  const profile = readProfiles()[name];
  if (!profile) {
    throw new CliError(
      'PROFILE_NOT_FOUND',
      `No profile "${name}" in ${configFile()}: run latih login${name === 'default' ? '' : ` --profile ${name}`} first.`,
    );
  }
  return profile;
}

export function saveProfile(name: string, profile: Profile): void {
  const profiles = readProfiles();
  profiles[name] = profile;
  writePrivateJson(configFile(), { profiles } satisfies ConfigFile);
}

/** Removes the profile and what was remembered for it; false when there was none. */
export function removeProfile(name: string): boolean {
  const profiles = readProfiles();
  if (!profiles[name]) return false;
  delete profiles[name];
  writePrivateJson(configFile(), { profiles } satisfies ConfigFile);
  const state = readPrivateJson<StateFile>(stateFile(), { profiles: {} });
  if (state.profiles[name]) {
    delete state.profiles[name];
    writePrivateJson(stateFile(), state);
  }
  return true;
}

export function readState(name: string): ProfileState {
  return readPrivateJson<StateFile>(stateFile(), { profiles: {} }).profiles[name] ?? {};
}

export function updateState(name: string, change: (s: ProfileState) => ProfileState): void {
  const state = readPrivateJson<StateFile>(stateFile(), { profiles: {} });
  state.profiles[name] = change(state.profiles[name] ?? {});
  writePrivateJson(stateFile(), state);
}
