/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) by area: self time of every sampled function,
 * grouped by the package or file it comes from (tRPC, the OpenAPI adapter, Express, the pg driver,
 * zod, our own packages, Node's internals, GC). Native functions without a file (a socket write, a
 * hash) count for the area that called them, except JSON and GC, which have areas of their own.
 *
 * `window` (µs on the monotonic clock that `process.hrtime` and V8's profiler share) keeps only
 * the samples taken inside it, so a profile of a whole process can be read for one measured run.
 *
 * CLI: `node --import tsx bench/profile.ts <file.cpuprofile> [fromUs toUs] [cpuMsPerRequest]`.
 */
import { readFileSync } from 'node:fs';

type CallFrame = { functionName: string; url: string };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type Profile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};

const AREAS: Array<[RegExp, string]> = [
  [/node_modules\/trpc-to-openapi\//, 'OpenAPI adapter (trpc-to-openapi)'],
  [/node_modules\/@trpc\//, 'tRPC'],
  [
    /node_modules\/(express|router|body-parser|raw-body|path-to-regexp|finalhandler|send|serve-static|type-is|content-type|accepts|negotiator|mime-types|on-finished|qs|iconv-lite|cookie|vary|etag|fresh|depd|http-errors|statuses|parseurl|encodeurl|escape-html|proxy-addr|forwarded|media-typer)\//,
    'Express and its middleware',
  ],
  [/node_modules\/(pg|pg-protocol|pg-pool|pg-types|pg-connection-string|postgres-\w+|pgpass)\//, 'pg driver'],
  [/node_modules\/drizzle-orm\//, 'Drizzle ORM'],
  [/node_modules\/zod\//, 'zod'],
  [/node_modules\/(jsonwebtoken|jws|jwa|ecdsa-sig-formatter|ms|semver|lodash\.\w+)\//, 'JWT'],
  [/node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact)/, 'logging (pino)'],
  [/node_modules\/(prom-client|tdigest|bintrees)\//, 'metrics (prom-client)'],
  [/node_modules\/(tsx|esbuild|get-tsconfig)\//, 'tsx loader'],
  [/node_modules\//, 'other packages'],
  [/\/packages\/core\//, 'our code: core'],
  [/\/packages\/db\//, 'our code: db'],
  [/\/packages\/contracts\//, 'our code: contracts'],
  [/\/apps\/gateway\//, 'our code: gateway'],
  [
    /^node:(net|stream|internal\/streams|internal\/stream_base_commons|dns)|internal\/(net|streams|stream_base)/,
    'Node: sockets and streams',
  ],
  [/^node:(_http|http)|internal\/http|_http_/, 'Node: HTTP'],
  [/^node:(crypto|internal\/crypto)|internal\/crypto/, 'Node: crypto'],
  [/^node:|^internal\//, 'Node: other internals'],
];

function areaOf(frame: CallFrame): string | undefined {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'V8/native (program)';
  if (functionName === '(root)') return 'V8/native (program)';
  if (!url) {
    if (/^(stringify|parse)$/.test(functionName)) return 'JSON';
    return undefined; // a native function: the caller's area
  }
  for (const [re, name] of AREAS) if (re.test(url)) return name;
  return 'other';
}

export type ProfileSummary = {
  /** Non-idle sampled time in the window, ms. */
  busyMs: number;
  idleMs: number;
  areas: Array<{ area: string; ms: number; share: number }>;
};

export function summariseProfile(file: string, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areaCache = new Map<number, string>();
  const area = (id: number): string => {
    const cached = areaCache.get(id);
    if (cached) return cached;
    const node = byId.get(id);
    const own = node ? areaOf(node.callFrame) : 'other';
    const p = parent.get(id);
    const found = own ?? (p === undefined ? 'V8/native (program)' : area(p));
    areaCache.set(id, found);
    return found;
  };
  const totals = new Map<string, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    // A sample's time is the time until the next one; the last has none.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    t += profile.timeDeltas[i] ?? 0;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const a = area(profile.samples[i] as number);
    totals.set(a, (totals.get(a) ?? 0) + delta / 1000);
  }
  const idleMs = totals.get('idle') ?? 0;
  totals.delete('idle');
  const busyMs = [...totals.values()].reduce((s, v) => s + v, 0);
  const areas = [...totals.entries()]
    .map(([a, ms]) => ({ area: a, ms, share: ms / busyMs }))
    .sort((x, y) => y.ms - x.ms);
  return { busyMs, idleMs, areas };
}

/**
 * The summary as a markdown table. The profiler's sample intervals are wall-clock time (a sample
 * taken after the process waited for a core counts the wait too), so only the shares are read from
 * it: with `cpuMsPerRequest` (from /proc) each area also gets its share of that, in µs per request.
 */
export function profileTable(s: ProfileSummary, cpuMsPerRequest?: number): string {
  const per = (share: number) =>
    cpuMsPerRequest ? ` ${(share * cpuMsPerRequest * 1000).toFixed(0)} µs |` : '';
  const head = cpuMsPerRequest
    ? '| Area | Share of samples | CPU per request |\n| --- | --- | --- |'
    : '| Area | Share of samples |\n| --- | --- |';
  const rows = s.areas.map((a) => `| ${a.area} | ${(a.share * 100).toFixed(1)} % |${per(a.share)}`);
  return [head, ...rows, `| **all** | 100 % |${per(1)}`].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, from, to, cpuMs] = process.argv.slice(2);
  if (!file) throw new Error('usage: bench/profile.ts <file.cpuprofile> [fromUs toUs] [cpuMsPerRequest]');
  const window = from && to ? { fromUs: Number(from), toUs: Number(to) } : undefined;
  console.log(profileTable(summariseProfile(file, window), cpuMs ? Number(cpuMs) : undefined));
}
