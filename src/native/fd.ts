// One owner per fd: an Fd closes its number exactly once, and after that
// never hands it out again, so a number the kernel reuses is never closed or
// used by mistake. Pass an Fd around, not the number; release() transfers the
// number out (to another owner, or to a child's stdio).
import { loadAddon } from './addon.js';

/** Something that uses the fd and must be closed before it (a watcher). */
export interface FdDependent {
  close(): void;
}

function invalidState(message: string): Error {
  return Object.assign(new Error(`Invalid state: ${message}`), { code: 'ERR_INVALID_STATE' });
}

export class Fd {
  #fd: number;
  #dependents: Set<FdDependent> | undefined;

  /** Takes ownership of fd. */
  constructor(fd: number) {
    if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
      throw Object.assign(new TypeError(`The argument 'fd' must be an integer >= 0. Received ${String(fd)}`), {
        code: 'ERR_INVALID_ARG_VALUE',
      });
    }
    this.#fd = fd;
  }

  /** The number; throws once closed or released. */
  get fd(): number {
    if (this.#fd < 0) throw invalidState('the fd is closed');
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes dependents (watchers), then the fd: exactly one close(2), however
   * often it is called. A close(2) error is thrown once; the fd counts as
   * closed anyway (retrying could close a number someone else now owns). */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    try {
      this.#closeDependents();
    } finally {
      loadAddon().close(fd);
    }
  }

  /** Gives up ownership without closing: returns the number, which the caller
   * now owns. Dependents are closed (they belonged to this owner). */
  release(): number {
    const fd = this.fd;
    this.#fd = -1;
    this.#closeDependents();
    return fd;
  }

  /** Registers something to close before the fd (FdWatcher does this). */
  attach(dependent: FdDependent): void {
    if (this.#fd < 0) throw invalidState('the fd is closed');
    (this.#dependents ??= new Set()).add(dependent);
  }

  detach(dependent: FdDependent): void {
    this.#dependents?.delete(dependent);
  }

  #closeDependents(): void {
    const dependents = this.#dependents;
    this.#dependents = undefined;
    if (!dependents) return;
    let failed: { error: unknown } | undefined;
    for (const d of dependents) {
      try {
        d.close();
      } catch (error) {
        failed ??= { error };
      }
    }
    if (failed) throw failed.error;
  }

  toString(): string {
    return this.#fd < 0 ? 'Fd(closed)' : `Fd(${this.#fd})`;
  }
}
