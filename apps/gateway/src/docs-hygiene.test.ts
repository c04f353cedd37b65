import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * What a newcomer reads must work from a clone of this repository alone, on a default Debian with Node:
 *   - every relative link, image and anchor resolves to a file (and heading) inside the repository, and
 *     no relative mention of a Markdown file (`../somewhere/FILE.md`, in code or not) points outside it;
 *   - external links go only to the few hosts listed in EXTERNAL_HOSTS (each says why), and the
 *     sandbox's own http://localhost:3000 addresses;
 *   - every shell example calls only commands a default Debian + Node machine has (SHELL_COMMANDS).
 * Markdown is scanned by hand (fences, code spans, links and headings: the subset these docs use) rather
 * than through a Markdown library, so that the check adds no dependency.
 */

const root = resolve(new URL('../../..', import.meta.url).pathname);

/** README.md, docs/**, packages/*\/README.md. */
function docFiles(): string[] {
  const out = ['README.md'];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const path = join(dir, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith('.md')) out.push(path);
    }
  };
  walk('docs');
  for (const pkg of readdirSync(join(root, 'packages')).sort()) {
    if (existsSync(join(root, 'packages', pkg, 'README.md'))) out.push(join('packages', pkg, 'README.md'));
  }
  return out;
}

type Fence = { lang: string; code: string; line: number };

/** The text outside fenced code blocks (fences blanked, so line numbers hold), and the blocks. */
function splitFences(text: string): { prose: string; fences: Fence[] } {
  const lines = text.split('\n');
  const fences: Fence[] = [];
  let open: { marker: string; lang: string; line: number; body: string[] } | null = null;
  const proseLines = lines.map((line, i) => {
    const m = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (open) {
      if (m?.[1] && m[1][0] === open.marker[0] && m[1].length >= open.marker.length && !m[2]) {
        fences.push({ lang: open.lang, code: open.body.join('\n'), line: open.line });
        open = null;
      } else open.body.push(line);
      return '';
    }
    if (m?.[1]) {
      open = { marker: m[1], lang: m[2] ?? '', line: i + 1, body: [] };
      return '';
    }
    return line;
  });
  return { prose: proseLines.join('\n'), fences };
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of splitFences(text).prose.split('\n')) {
    const explicit = line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g);
    for (const m of explicit) if (m[1]) anchors.add(m[1]);
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h?.[1]) continue;
    const plain = h[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(plain) ?? 0;
    seen.set(plain, n + 1);
    anchors.add(n === 0 ? plain : `${plain}-${n}`);
  }
  return anchors;
}

type Link = { file: string; line: number; target: string };

/** Inline links and images `[x](target)` and autolinks `<https://…>`, outside code. */
function linksOf(file: string, text: string): Link[] {
  const out: Link[] = [];
  splitFences(text)
    .prose.split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/(`+)[^`]*?\1/g, '');
      for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
        if (m[1]) out.push({ file, line: i + 1, target: m[1] });
      for (const m of line.matchAll(/<((?:https?|mailto):[^>\s]+)>/g))
        if (m[1]) out.push({ file, line: i + 1, target: m[1] });
    });
  return out;
}

/**
 * External hosts a doc may link to, each for a reason; anything else is better said in the repository.
 * Links to the sandbox (http://localhost:3000/…) are allowed too: they are what `npm start` serves.
 */
const EXTERNAL_HOSTS: Record<string, string> = {
  'github.com/VictorCazanave/svg-maps': 'the source of the console map, credited under CC BY 4.0',
  'www.w3.org/TR':
    'the W3C standards the certificates and the skills passport implement (verifiable credentials, status lists)',
};

function isAllowedExternal(url: URL): boolean {
  if (url.protocol === 'http:' && url.hostname === 'localhost' && url.port === '3000') return true;
  if (url.protocol !== 'https:') return false;
  const at = `${url.hostname}${url.pathname}`;
  return Object.keys(EXTERNAL_HOSTS).some((prefix) => at === prefix || at.startsWith(`${prefix}/`));
}

const inside = (path: string) => {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !rel.includes(`${sep}..${sep}`);
};

/** What is wrong with one link, or null. */
function brokenLink(link: Link): string | null {
  const { target } = link;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return 'not a URL';
    }
    return isAllowedExternal(url) ? null : 'external link to a host not in EXTERNAL_HOSTS';
  }
  const [pathPart = '', anchor] = target.split('#', 2);
  const path = pathPart
    ? resolve(root, dirname(link.file), decodeURIComponent(pathPart))
    : join(root, link.file);
  if (!inside(path)) return 'leaves the repository';
  if (!existsSync(path)) return `no such file ${relative(root, path)}`;
  if (anchor !== undefined && anchor !== '') {
    if (!path.endsWith('.md')) return 'an anchor into a file that is not Markdown';
    if (!anchorsOf(readFileSync(path, 'utf8')).has(anchor))
      return `no heading #${anchor} in ${relative(root, path)}`;
  }
  return null;
}

/** Relative mentions of Markdown files anywhere in the text (`../x/Y.md`, in code spans too). */
function mentionedFiles(file: string, text: string): Link[] {
  const out: Link[] = [];
  splitFences(text)
    .prose.split('\n')
    .forEach((line, i) => {
      for (const m of line.matchAll(/(?:^|[\s`'"(])((?:\.\.?\/)+[\w./-]*\.md)\b/g))
        if (m[1]) out.push({ file, line: i + 1, target: m[1] });
    });
  return out;
}

describe('links in README.md, docs/** and packages/*/README.md', () => {
  const files = docFiles();

  it('finds the docs to check', () => {
    expect(files).toContain('README.md');
    expect(files).toContain(join('docs', 'architecture.md'));
    expect(files).toContain(join('packages', 'sdk', 'README.md'));
  });

  it('every link resolves inside the repository (file and anchor), or goes to an allowed host', () => {
    const broken = files.flatMap((file) =>
      linksOf(file, readFileSync(join(root, file), 'utf8')).flatMap((link) => {
        const why = brokenLink(link);
        return why ? [`${link.file}:${link.line} ${link.target}: ${why}`] : [];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('no relative mention of a Markdown file points outside the repository or to a missing file', () => {
    const broken = files.flatMap((file) =>
      mentionedFiles(file, readFileSync(join(root, file), 'utf8')).flatMap((m) => {
        const path = resolve(root, dirname(m.file), m.target);
        if (!inside(path)) return [`${m.file}:${m.line} ${m.target}: leaves the repository`];
        return existsSync(path) ? [] : [`${m.file}:${m.line} ${m.target}: no such file`];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('the checker itself refuses what it should', () => {
    const at = (target: string, file = join('docs', 'architecture.md')) =>
      brokenLink({ file, line: 1, target });
    expect(at('../README.md#links')).toBeNull();
    expect(at('guides/getting-started.md#time-in-the-sandbox')).toBeNull();
    expect(at('guides/getting-started.md#how-long-idempotency_in_progress-can-last')).toBeNull();
    expect(at('../../shared/DESIGN.md')).toBe('leaves the repository');
    expect(at('../README.md#no-such-heading')).toMatch(/^no heading/);
    expect(at('nowhere.md')).toMatch(/^no such file/);
    expect(at('https://example.com/')).toMatch(/^external link/);
    expect(at('http://github.com/VictorCazanave/svg-maps')).toMatch(/^external link/);
    expect(at('https://github.com/VictorCazanave/svg-maps')).toBeNull();
    expect(at('https://github.com/VictorCazanave/svg-maps-fork')).toMatch(/^external link/);
    expect(at('http://localhost:3000/docs')).toBeNull();
    expect(linksOf('x.md', 'see `[a](nowhere.md)` and\n```\n[b](nowhere.md)\n```\n[c](here.md)')).toEqual([
      { file: 'x.md', line: 5, target: 'here.md' },
    ]);
    expect(mentionedFiles('docs/architecture.md', 'The map is `../shared/DESIGN.md`.')).toHaveLength(1);
  });
});

/*
 * Commands a shell example may call: bash's own, coreutils and the other tools of every Debian
 * install (essential and required packages), Node and npm, and the two the guides are written with.
 * Not here, so not allowed: uuidgen (uuid-runtime), jq, python3 packages, xxd (vim), nc, httpie…
 */
const SHELL_COMMANDS: Record<string, string> = {
  ...Object.fromEntries(
    `export echo printf cd read local set unset shift source . exit return trap wait kill true false test [ [[
     eval exec command type declare readonly let time sleep cat head tail cut tr sort uniq wc tee mktemp rm
     mkdir cp mv ls date env basename dirname seq printenv grep sed awk xargs find gzip`
      .split(/\s+/)
      .filter(Boolean)
      .map((c) => [c, 'bash builtin or in every Debian install']),
  ),
  node: 'Node.js, which Latih needs (≥ 20.19)',
  npm: 'ships with Node.js',
  npx: 'ships with Node.js',
  curl: 'the HTTP client the guides are written with (Debian standard, and in every node image)',
  openssl: 'HMAC in the webhook guide (Debian standard: ca-certificates depends on it)',
  latih: "this repository's own CLI (packages/cli), which its README says how to install",
};

/**
 * Commands one file alone may use. Operators' procedures run elsewhere than a partner's machine:
 * docs/operations.md's restore drill runs on the database server, as its OS user, with PostgreSQL's
 * server tools (Debian's postgresql package). The any-language guide's second example is Python.
 */
const OPERATOR_COMMANDS: Record<string, Record<string, string>> = {
  [join('docs', 'operations.md')]: {
    pg_ctl: 'PostgreSQL server tools, on the database host',
    pg_controldata: 'PostgreSQL server tools, on the database host',
    pg_resetwal: 'PostgreSQL server tools, on the database host',
    pg_dump: "PostgreSQL client tools (Debian postgresql-client): archiving a detached month's table",
    pg_restore: 'PostgreSQL client tools (Debian postgresql-client): checking that archive',
    psql: 'PostgreSQL client tools (Debian postgresql-client): dropping the archived table',
  },
  // The issue asks for the flow in Python with its standard library only; the guide says to
  // `apt-get install python3` where a bare Debian lacks it. No other guide may need Python.
  [join('docs', 'guides', 'any-language.md')]: {
    python3: 'the Python example, which is the point of that guide (Debian package python3)',
  },
};

const SHELL_KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'while',
  'until',
  '!',
  'time',
]);

/**
 * The commands a bash script calls: the first word of each simple command, in command substitutions
 * too (inside double quotes as well), minus the functions the script defines. Quoted text, variable
 * expansions, arrays and the word lists of `for` and `case` are data. Heredoc bodies are data too.
 */
function commandsOf(script: string): string[] {
  const commands = new Set<string>();
  const defined = new Set<string>();
  let i = 0;
  // Heredoc bodies are data: dropped before scanning (the `<<EOF` itself reads as a redirection).
  const kept: string[] = [];
  let heredoc: { tag: string; dash: boolean } | null = null;
  for (const line of script.split('\n')) {
    if (heredoc) {
      if ((heredoc.dash ? line.trim() : line) === heredoc.tag) heredoc = null;
      continue;
    }
    kept.push(line);
    const m = /(?<!<)<<(?!<)(-?)\s*(['"]?)([\w-]+)\2/.exec(line);
    if (m?.[3]) heredoc = { tag: m[3], dash: m[1] === '-' };
  }
  const s = kept.join('\n');
  /** Skips a balanced `${…}` or `$((…))` or `(…)` starting at s[i] (the opener), quotes respected. */
  const skipBalanced = (open: string, close: string) => {
    let depth = 0;
    while (i < s.length) {
      const c = s[i] ?? '';
      if (c === '\\') i++;
      else if (c === "'") i = s.indexOf("'", i + 1) < 0 ? s.length : s.indexOf("'", i + 1);
      else if (c === open) depth++;
      else if (c === close && --depth === 0) {
        i++;
        return;
      }
      i++;
    }
  };
  /** Reads commands until `until` (a closing character for this level) or the end. */
  const readCommands = (until: string | null): void => {
    let expect = true; // the next word is in command position
    let skipWords = false; // the words of `for x in …` or `case … in`, up to the separator
    let word = '';
    let wordIsPlain = true; // no quotes or expansions in it
    const endWord = () => {
      if (!word) return;
      const w = word;
      const plain = wordIsPlain;
      word = '';
      wordIsPlain = true;
      if (skipWords) return;
      if (!expect) return;
      if (w === 'for' || w === 'case' || w === 'select') {
        skipWords = true;
        return;
      }
      if (SHELL_KEYWORDS.has(w) || /^[A-Za-z_]\w*(\[[^\]]*\])?\+?=/.test(w)) return;
      let j = i;
      while (s[j] === ' ') j++;
      if (s[j] === '(' && /^\(\s*\)/.test(s.slice(j))) {
        defined.add(w);
        i = j + s.slice(j).indexOf(')') + 1;
        return;
      }
      if (plain) commands.add(w);
      expect = false;
    };
    const separator = () => {
      endWord();
      expect = true;
      skipWords = false;
    };
    while (i < s.length) {
      const c = s[i] ?? '';
      if (until && c === until) {
        endWord();
        i++;
        return;
      }
      if (c === '\\') {
        if (s[i + 1] === '\n') i += 2;
        else {
          word += s[i + 1] ?? '';
          i += 2;
        }
        continue;
      }
      if (c === '#' && word === '') {
        while (i < s.length && s[i] !== '\n') i++;
        continue;
      }
      if (c === "'") {
        const close = s.indexOf("'", i + 1);
        word += 'q';
        wordIsPlain = false;
        i = close < 0 ? s.length : close + 1;
        continue;
      }
      if (c === '"') {
        i++;
        wordIsPlain = false;
        word += 'q';
        readDoubleQuoted();
        continue;
      }
      if (c === '$' && s[i + 1] === '(' && s[i + 2] === '(') {
        i++;
        skipBalanced('(', ')');
        word += 'n';
        wordIsPlain = false;
        continue;
      }
      if (c === '$' && s[i + 1] === '(') {
        i += 2;
        word += 'x';
        wordIsPlain = false;
        readCommands(')');
        continue;
      }
      if (c === '$' && s[i + 1] === '{') {
        i++;
        skipBalanced('{', '}');
        word += 'v';
        wordIsPlain = false;
        continue;
      }
      if (c === '$') {
        word += 'v';
        wordIsPlain = false;
        i++;
        continue;
      }
      if (c === '`') {
        i++;
        readCommands('`');
        word += 'x';
        wordIsPlain = false;
        continue;
      }
      if (c === '(' && word.endsWith('=')) {
        // An array assignment: its elements are data (command substitutions in them still run).
        i++;
        const savedExpect: boolean = expect;
        expect = false;
        readArray();
        expect = savedExpect;
        word = '';
        wordIsPlain = true;
        continue;
      }
      if (c === '<' || c === '>') {
        // A redirection: its target is a file name, not a command.
        const wasExpecting: boolean = expect;
        endWord();
        while (s[i] === '<' || s[i] === '>' || s[i] === '&') i++;
        while (s[i] === ' ') i++;
        while (i < s.length && !/[\s;|&()<>]/.test(s[i] ?? '')) i++;
        expect = wasExpecting;
        continue;
      }
      if (c === ' ' || c === '\t') {
        endWord();
        i++;
        continue;
      }
      if ('\n;|&(){}'.includes(c)) {
        separator();
        i++;
        continue;
      }
      word += c;
      i++;
    }
    endWord();
  };
  const readDoubleQuoted = () => {
    while (i < s.length) {
      const c = s[i] ?? '';
      if (c === '\\') i += 2;
      else if (c === '"') {
        i++;
        return;
      } else if (c === '$' && s[i + 1] === '(' && s[i + 2] !== '(') {
        i += 2;
        readCommands(')');
      } else if (c === '`') {
        i++;
        readCommands('`');
      } else i++;
    }
  };
  const readArray = () => {
    while (i < s.length) {
      const c = s[i] ?? '';
      if (c === ')') {
        i++;
        return;
      }
      if (c === '\\') i += 2;
      else if (c === "'") {
        const close = s.indexOf("'", i + 1);
        i = close < 0 ? s.length : close + 1;
      } else if (c === '"') {
        i++;
        readDoubleQuoted();
      } else if (c === '$' && s[i + 1] === '(') {
        i += 2;
        readCommands(')');
      } else i++;
    }
  };
  readCommands(null);
  return [...commands].filter((c) => !defined.has(c)).sort();
}

describe('shell examples use only what a default Debian with Node has', () => {
  const blocks = docFiles().flatMap((file) =>
    splitFences(readFileSync(join(root, file), 'utf8'))
      .fences.filter((f) => ['sh', 'bash', 'shell', 'console'].includes(f.lang))
      .map((f) => ({ file, where: `${file}:${f.line}`, code: f.code })),
  );

  it('finds the shell examples', () => {
    expect(blocks.length).toBeGreaterThan(15);
  });

  it('calls no command outside the allow-list', () => {
    const foreign = blocks.flatMap((b) =>
      commandsOf(b.code)
        .filter((c) => !(c in SHELL_COMMANDS) && !(c in (OPERATOR_COMMANDS[b.file] ?? {})))
        .map((c) => `${b.where}: ${c}`),
    );
    expect(foreign).toEqual([]);
  });

  it('reads commands as bash runs them', () => {
    expect(commandsOf('curl -H "Idempotency-Key: $(uuidgen)" x')).toEqual(['curl', 'uuidgen']);
    expect(commandsOf("json() { node -pe 'x'; }\nA=1 json | jq .id")).toEqual(['jq', 'node']);
    expect(commandsOf('for i in 1 2; do\n  [ "$i" -lt 4 ] && echo "$i"\ndone')).toEqual(['[', 'echo']);
    // getting-started.md before it was fixed: the key went missing where uuidgen is not installed.
    expect(
      commandsOf(`curl -s http://localhost:3000/v1/provider/courses \\
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
  -H "Idempotency-Key: $(uuidgen)" \\
  -d '{"title":"Pengolahan Keripik Pisang"}'`).filter((c) => !(c in SHELL_COMMANDS)),
    ).toEqual(['uuidgen']);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's array expansion, not a template
    const arrays = 'AUTH=(-H "Authorization: Bearer $TOKEN" -H \'x: y\')\ncurl "${AUTH[@]}" > out.json';
    expect(commandsOf(arrays)).toEqual(['curl']);
    expect(commandsOf('cat > a.json <<\'EOF\'\n[{ "x": 1 }]\nEOF\nnode a.js < a.json')).toEqual([
      'cat',
      'node',
    ]);
    expect(commandsOf('cat <<-END\n\tjq . \n\tEND\necho done')).toEqual(['cat', 'echo']);
    expect(commandsOf('# uuidgen in a comment\necho "uuidgen in a string"')).toEqual(['echo']);
    expect(commandsOf('until [ "$(clock | json .status)" = READY ]; do sleep 1; done')).toEqual([
      '[',
      'clock',
      'json',
      'sleep',
    ]);
  });
});

describe('the SDK version the docs name', () => {
  it('is the version the gateway serves (packages/sdk/package.json), wherever a tarball URL is written', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'packages/sdk/package.json'), 'utf8')) as {
      version: string;
    };
    const stale: string[] = [];
    for (const file of docFiles()) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(/latih-sdk-(\d+\.\d+\.\d+[\w.-]*)\.tgz/g))
        if (m[1] !== version) stale.push(`${file}: latih-sdk-${m[1]}.tgz`);
    }
    // CHANGELOG entries name the version they were written for: history, not instructions.
    expect(stale.filter((s) => !s.startsWith(join('packages', 'sdk', 'CHANGELOG.md')))).toEqual([]);
  });
});
