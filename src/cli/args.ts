// A small argument parser: flags first, then positionals; parsing stops at
// the first positional or at `--`, so `execgate shell -c 'ls -l' x` and
// `execgate policy explain -- git push --force` keep their arguments intact.

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  [flag: string]: 'boolean' | 'string' | 'strings';
}

export interface Parsed {
  flags: Record<string, string | boolean | string[] | undefined>;
  rest: string[];
}

export function parseArgs(argv: string[], spec: FlagSpec): Parsed {
  const flags: Parsed['flags'] = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option ${name}`);
    if (kind === 'boolean') {
      if (eq > 0) throw new UsageError(`${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`${name} needs a value`);
      value = argv[++i]!;
    }
    if (kind === 'strings') flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else flags[name] = value;
  }
  return { flags, rest: argv.slice(i) };
}

/** `--web-port N` (shell and serve): a TCP port, 0 for any free one. */
export function portFlag(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--web-port must be a port number, not ${String(v)}`);
  return n;
}
