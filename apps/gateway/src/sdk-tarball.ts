import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';

/**
 * The SDK is not on the npm registry: the gateway serves the tarball of its own SDK version, the
 * one `npm run build -w @latih/sdk` packs into packages/sdk/dist (tsup, then `npm pack`). The path
 * is the same from apps/gateway/src (npm start) and apps/gateway/dist (the compiled gateway).
 */
const sdkDir = fileURLToPath(new URL('../../../packages/sdk/', import.meta.url));

/** The SDK version this gateway ships: packages/sdk/package.json's. */
export function sdkVersion(): string {
  return (JSON.parse(readFileSync(`${sdkDir}package.json`, 'utf8')) as { version: string }).version;
}

/** The stable path of the tarball: `/sdk/latih-sdk-<version>.tgz`, and `latest` for the current one. */
export function sdkTarballPath(version = sdkVersion()): string {
  return `/sdk/latih-sdk-${version}.tgz`;
}

/**
 * GET /sdk/latih-sdk-<version>.tgz (immutable) and /sdk/latih-sdk-latest.tgz (the same bytes, never
 * cached): `npm i <url>` installs it. `notFound` answers any other version, or a tarball not built.
 */
export function sdkTarballRoute(notFound: (res: Response, message: string) => void) {
  const version = sdkVersion();
  const file = `${sdkDir}dist/latih-sdk-${version}.tgz`;
  return (req: Request, res: Response): void => {
    const asked = /^latih-sdk-(.+)\.tgz$/.exec(String(req.params.file))?.[1];
    if (asked !== version && asked !== 'latest') {
      notFound(res, `This gateway serves @latih/sdk ${version} only: ${sdkTarballPath(version)}.`);
      return;
    }
    if (!existsSync(file)) {
      notFound(res, 'The SDK tarball is not built on this gateway (npm run build).');
      return;
    }
    res.setHeader('Cache-Control', asked === 'latest' ? 'no-cache' : 'public, max-age=31536000, immutable');
    res.type('application/gzip');
    res.sendFile(file, { cacheControl: false, lastModified: false });
  };
}
