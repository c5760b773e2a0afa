// One line on stderr without process.stderr: touching that stream makes
// Node load net and stream (it is a socket to Node whether a terminal or a
// pipe), a few ms of every `execgate shell` that only wants to say a line.
// fd 2 as inherited is usually blocking, and the write is then whole; if
// it is non-blocking and full, the rest goes through process.stderr, which
// waits for room.
import { writeSync } from 'node:fs';

export function writeStderr(text: string): void {
  let rest = Buffer.from(text);
  try {
    while (rest.length > 0) rest = rest.subarray(writeSync(2, rest));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') process.stderr.write(rest);
    // Anything else (EPIPE, EBADF: nobody reads it): the line is lost, as a
    // write to a closed stderr is anywhere.
  }
}
