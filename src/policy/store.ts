// The policy in force, reloaded when its file changes. A broken edit keeps
// the last good policy and says why; the broker never runs without one. An
// injected validator (location.ts policyLocationProblems, against the
// writable roots of the sessions at that moment) can refuse a reload: a
// policy file the sandbox could have written is never adopted.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { builtinPolicy, loadPolicyFile } from './load.js';
import type { Policy } from './types.js';

export type ReloadEvent =
  | { ok: true; policy: Policy }
  | { ok: false; error: string };

/** Problems with where the policy lives (empty: none). Called with the file
 * about to be read and the "always" target. */
export type LocationValidator = (paths: { policyFile: string | null; writePath: string }) => string[];

export interface StoreOptions {
  /** Refuses start and reloads when the policy's location is unsafe. */
  validate?: LocationValidator;
  /** The policy used when there is no file (default builtinPolicy()). */
  builtin?: () => Policy;
}

export class PolicyStore {
  private policy: Policy;
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private lastText = '';
  private validate: LocationValidator;

  /** `path` null: the built-in policy, nothing to watch. `writePath` is where
   * "always" answers append rules (the same file, or the user's file). */
  constructor(
    private file: string | null,
    readonly writePath: string,
    private readonly onReloadCb: (e: ReloadEvent) => void = () => {},
    opts: StoreOptions = {},
  ) {
    this.validate = opts.validate ?? (() => []);
    const problems = this.validate({ policyFile: file, writePath });
    if (problems.length > 0) throw new PolicyLocationError(problems);
    this.policy = file ? loadPolicyFile(file) : (opts.builtin ?? builtinPolicy)();
    this.lastText = file ? readText(file) : '';
  }

  get current(): Policy {
    return this.policy;
  }

  /** From now on, refuses reloads whose location `validate` objects to (the
   * broker's sessions come after the store: their roots are checked then). */
  checkLocationWith(validate: LocationValidator): void {
    this.validate = validate;
  }

  /** The problems `validate` finds with where the policy lives now. */
  locationProblems(): string[] {
    return this.validate({ policyFile: this.file, writePath: this.writePath });
  }

  private readonly listeners = new Set<(e: ReloadEvent) => void>();

  /** Also tells `listener` of every reload (the broker's run tables follow
   * the policy). Returns the way to stop. */
  onReload(listener: (e: ReloadEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The file the policy comes from, or null for the built-in policy. */
  get path(): string | null {
    return this.file;
  }

  /** Starts using writePath (after a first rule was written to it). */
  adoptWritePath(): ReloadEvent {
    if (this.file !== this.writePath) {
      this.close();
      this.file = this.writePath;
      this.watch();
    }
    return this.reload();
  }

  /** Re-reads the file now; returns what happened (also sent to onReload). */
  reload(): ReloadEvent {
    if (!this.file) return { ok: true, policy: this.policy };
    this.lastText = readText(this.file);
    let event: ReloadEvent;
    const problems = this.validate({ policyFile: this.file, writePath: this.writePath });
    if (problems.length > 0) {
      event = { ok: false, error: new PolicyLocationError(problems).message };
    } else {
      try {
        this.policy = loadPolicyFile(this.file);
        event = { ok: true, policy: this.policy };
      } catch (err) {
        event = { ok: false, error: (err as Error).message };
      }
    }
    this.onReloadCb(event);
    for (const l of this.listeners) l(event);
    return event;
  }

  /** Watches the file's directory (editors replace files by renaming). */
  watch(): void {
    if (!this.file || this.watcher) return;
    const name = basename(this.file);
    this.watcher = watch(dirname(this.file), { persistent: false }, (_type, file) => {
      if (file !== null && file !== name) return;
      if (this.debounce) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => this.reloadIfChanged(), 50);
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.debounce) clearTimeout(this.debounce);
  }

  // fs.watch fires for any change in the directory and often twice: only a
  // real change of the file's text reloads (and logs).
  private reloadIfChanged(): void {
    const text = readText(this.file!);
    if (text === this.lastText) return;
    this.lastText = text;
    this.reload();
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The policy's location lets the sandbox change it: refuse it. */
export class PolicyLocationError extends Error {
  override name = 'PolicyLocationError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}
