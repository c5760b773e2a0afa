// FdWatcher: the native Watcher tied to an Fd, so that the fd cannot be closed
// while it is being polled (libuv would then deliver its events to whatever
// reuses the number, or abort): closing or releasing the Fd closes its
// watchers first.
import { loadAddon, type WatchEvent, type Watcher } from './addon.js';
import type { Fd } from './fd.js';

export type { WatchEvent } from './addon.js';
export type FdWatchCallback = (this: FdWatcher, event: WatchEvent) => void;

export class FdWatcher {
  readonly #fd: Fd;
  readonly #watcher: Watcher;

  /** Watches fd (at most one watcher per fd); start() begins. */
  constructor(fd: Fd, onEvent: FdWatchCallback) {
    const { Watcher } = loadAddon();
    this.#watcher = new Watcher(fd.fd, (event) => onEvent.call(this, event));
    this.#fd = fd;
    fd.attach(this);
  }

  /** See Watcher.start: level-triggered; start(false, false) = hangup only. */
  start(readable: boolean, writable: boolean): void {
    this.#watcher.start(readable, writable);
  }

  /** Polling no longer keeps the process alive (Watcher.unref). */
  unref(): void {
    this.#watcher.unref();
  }

  /** Polling keeps the process alive again (Watcher.ref). */
  ref(): void {
    this.#watcher.ref();
  }

  stop(): void {
    this.#watcher.stop();
  }

  /** Stops for good; never closes the fd. Idempotent, safe in the callback. */
  close(): void {
    this.#fd.detach(this);
    this.#watcher.close();
  }


  get active(): boolean {
    return this.#watcher.active;
  }

  get closed(): boolean {
    return this.#watcher.closed;
  }
}
