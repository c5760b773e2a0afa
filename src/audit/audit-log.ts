// The audit log: one JSON object per line, mode 0600, appended. Writes are
// buffered by a stream (the Run path must not wait on the disk) and flushed
// on close, so nothing is lost when the broker ends normally.
//
// A line goes to the stream at once when none went in the last
// AUDIT_BATCH_MS; when they come faster, they go in batches, one every
// AUDIT_BATCH_MS (or at AUDIT_BATCH_BYTES): each hand-over is a write on
// Node's thread pool, a round trip of two threads, which cost the broker more
// than the record itself when every exec sends one (--audit: ~60 µs of the
// ~100 µs the broker spent per fast-path record, measured; docs/benchmark.md).
import { closeSync, createWriteStream, fchmodSync, openSync, type WriteStream } from 'node:fs';
import { AUDIT_BATCH_BYTES, AUDIT_BATCH_MS } from '../protocol/limits.js';
import { monotonicMs } from '../runtime/clock.js';

export interface AuditRecord {
  event: 'session-start' | 'session-end' | 'decision' | 'completion' | 'protocol-error' | 'notify' | 'records-dropped' | 'backstop' | 'shims-stale';
  [field: string]: unknown;
}

export interface Audit {
  /** False when nothing is logged: callers skip building records. */
  readonly enabled: boolean;
  /** Bytes written but not yet on disk. */
  readonly backlogBytes: number;
  write(record: AuditRecord): void;
  close(): Promise<void>;
}

export class AuditLog implements Audit {
  readonly enabled = true;
  private readonly stream: WriteStream;
  /** Lines not handed to the stream yet, and their length. */
  private batch: string[] = [];
  private batchBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  /** When lines last went to the stream (monotonicMs()). */
  private lastFlush = -Infinity;

  private constructor(fd: number) {
    this.stream = createWriteStream('', { fd, autoClose: true });
  }

  static open(path: string): AuditLog {
    const fd = openSync(path, 'a', 0o600);
    try {
      // An existing file keeps its mode on open: make it private either way.
      fchmodSync(fd, 0o600);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return new AuditLog(fd);
  }

  get backlogBytes(): number {
    return this.stream.writableLength + this.batchBytes;
  }

  write(record: AuditRecord): void {
    const line = `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`;
    this.batch.push(line);
    this.batchBytes += line.length;
    if (this.timer) {
      if (this.batchBytes >= AUDIT_BATCH_BYTES) this.flush();
      return;
    }
    const since = monotonicMs() - this.lastFlush;
    if (since >= AUDIT_BATCH_MS || this.batchBytes >= AUDIT_BATCH_BYTES) this.flush();
    else this.timer = setTimeout(() => this.flush(), AUDIT_BATCH_MS - since);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.batch.length === 0) return;
    this.lastFlush = monotonicMs();
    this.stream.write(this.batch.join(''));
    this.batch = [];
    this.batchBytes = 0;
  }

  close(): Promise<void> {
    this.flush();
    return new Promise((resolve, reject) => {
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }
}

/** Used when no --audit file was given. */
export const noAudit: Audit = {
  enabled: false,
  backlogBytes: 0,
  write() {},
  close: () => Promise.resolve(),
};
