/**
 * Every environment variable the CLI reads, in one place (DESIGN §9): the profile's defaults for
 * `latih login` and where profiles live.
 */
export type CliEnv = {
  url: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  xdgConfigHome: string | undefined;
};

export function cliEnv(source: NodeJS.ProcessEnv = process.env): CliEnv {
  const set = (v: string | undefined) => (v?.trim() ? v : undefined);
  return {
    url: set(source.LATIH_URL),
    clientId: set(source.LATIH_CLIENT_ID),
    clientSecret: set(source.LATIH_CLIENT_SECRET),
    xdgConfigHome: set(source.XDG_CONFIG_HOME),
  };
}
