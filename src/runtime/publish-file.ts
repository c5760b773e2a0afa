// Files other programs poll for (serve's socket path, the web page's URL,
// a session's run table):
// a reader that sees the name must see the whole content. writeFileSync
// creates the name before it writes the bytes, so a poller could read an
// empty file; writing a private temporary name and renaming it into place
// makes the content appear at once, and with its final mode.
import { chmodSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export function publishFile(file: string, content: string | Buffer, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    unlinkSync(tmp);
  } catch {}
  // 'wx': never write through something planted at the temporary name
  writeFileSync(tmp, content, { mode, flag: 'wx' });
  chmodSync(tmp, mode); // the umask may have narrowed it
  renameSync(tmp, file);
}
