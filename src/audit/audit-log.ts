// The audit log: one JSON object per line, mode 0600, appended. Writes are
// buffered by a stream (the Run path must not wait on the disk) and flushed
// on close, so nothing is lost when the broker ends normally.
import { closeSync, createWriteStream, fchmodSync, openSync, type WriteStream } from 'node:fs';

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
    return this.stream.writableLength;
  }

  write(record: AuditRecord): void {
    this.stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  }

  close(): Promise<void> {
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
