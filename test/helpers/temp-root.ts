// Runs once before the suite: every temporary directory the tests make (and
// whatever the programs they start put in $TMPDIR) goes under one directory,
// removed when the suite ends. Tests make thousands of directories (a
// broker's, a project, an XDG_RUNTIME_DIR...) and a process they started may
// still hold one when the test ends; removing the one root at the end keeps
// repeated runs from filling /tmp without each test tracking its own.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OWNER = 'EXECGATE_TEST_TMP_OWNER';

export default function setup(): (() => void) | undefined {
  // Each project lists this setup; the first one makes the root for all.
  if (process.env[OWNER]) return undefined;
  const root = mkdtempSync(join(tmpdir(), 'eg-test-'));
  // As /tmp is: the tests' other users (test/adversarial/sandbox-users.ts)
  // make their own directories here.
  chmodSync(root, 0o1777);
  process.env[OWNER] = String(process.pid);
  process.env.TMPDIR = root;
  return () => {
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
