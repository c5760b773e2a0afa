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
  #onEvent: FdWatchCallback;

  /** Watches fd (at most one watcher per fd); start() begins. */
  constructor(fd: Fd, onEvent: FdWatchCallback) {
    const { Watcher } = loadAddon();
    this.#onEvent = onEvent;
    this.#watcher = new Watcher(fd.fd, (event) => this.#onEvent.call(this, event));
    this.#fd = fd;
    fd.attach(this);
  }

  /** From now on events go to onEvent: a watcher made ahead of time (a
   * spare's channel, watched while it waits) passes to the fd's next owner,
   * which then needs no watcher of its own (making one costs system calls
   * at the moment it is needed). */
  handOver(onEvent: FdWatchCallback): void {
    this.#onEvent = onEvent;
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
