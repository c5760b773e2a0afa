// Each session maps sandbox paths to host paths: a bind of host /a/b at
// sandbox /work is { sandbox: '/work', host: '/a/b' }. Without a sandbox the
// map is the identity. A path under no mapped root has no host meaning.
import { posix } from 'node:path';

export interface PathMapping {
  sandbox: string;
  host: string;
  /** The sandbox can write here (the project, --bind); read-only binds and
   * the host's top-level entries cannot. */
  writable: boolean;
}

export class PathMap {
  private readonly entries: PathMapping[];

  constructor(entries: PathMapping[]) {
    // Longest sandbox prefix first, so nested binds win over their parents.
    this.entries = entries
      .map((e) => ({ sandbox: posix.normalize(e.sandbox), host: posix.normalize(e.host), writable: e.writable }))
      .sort((a, b) => b.sandbox.length - a.sandbox.length);
  }

  /** Without a sandbox: every path is itself, and writable, because
   * nothing is contained. */
  static identity(): PathMap {
    return new PathMap([{ sandbox: '/', host: '/', writable: true }]);
  }

  /** The host path for an absolute sandbox path, or null if unmapped. */
  toHost(sandboxPath: string): string | null {
    if (!sandboxPath.startsWith('/')) return null;
    const p = posix.normalize(sandboxPath);
    for (const { sandbox, host } of this.entries) {
      if (p === sandbox) return host;
      const prefix = sandbox.endsWith('/') ? sandbox : `${sandbox}/`;
      if (p.startsWith(prefix)) return posix.join(host, p.slice(prefix.length));
    }
    return null;
  }

  /** Does a host path lie inside some mapped root (is it something the
   * sandbox was given at all)? */
  coversHost(hostPath: string): boolean {
    const p = posix.normalize(hostPath);
    return this.entries.some(({ host }) => p === host || p.startsWith(host.endsWith('/') ? host : `${host}/`));
  }

  roots(): PathMapping[] {
    return [...this.entries];
  }

  /** Host paths under which the sandbox may write (some paths below them,
   * such as a protected .git, may still be read-only). */
  writableRoots(): string[] {
    return [...new Set(this.entries.filter((e) => e.writable).map((e) => e.host))];
  }
}
