// Asking a running `execgate serve` for a session (the Launch protocol, from
// the launching side): one Launch out, one Launched back with the session's
// socket as its only fd. `execgate shell --broker` and `execgate mcp
// --broker` both start their shells this way.
import type { Fd } from '../native/fd.js';
import { decodeLaunched, encodeLaunch } from '../protocol/messages.js';
import type { LaunchRequest } from '../runtime/launch.js';
import type { ControlConnection } from './client.js';

export interface AttachedShell {
  sessionId: string;
  /** How to start the shell: the program, its argv, its environment. */
  file: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** The session's socket, the caller's to pass and close. */
  fd: Fd;
}

/** Throws with the broker's own words when it refuses the launch. */
export async function requestLaunch(conn: ControlConnection, req: LaunchRequest): Promise<AttachedShell> {
  const b = (s: string) => Buffer.from(s);
  const { payload, fds } = await conn.launch(
    encodeLaunch({
      label: req.label,
      sandbox: req.sandbox,
      cwd: b(req.cwd),
      project: b(req.project ?? ''),
      bind: req.binds.map(b),
      roBind: req.roBinds.map(b),
      noNetwork: !req.network,
      passEnv: req.passEnv.map(b),
      env: Object.entries(req.env).map(([k, v]) => b(`${k}=${v ?? ''}`)),
    }),
  );
  const reply = decodeLaunched(payload);
  if (reply.error || fds.length !== 1) {
    fds.forEach((f) => f.close());
    throw new Error(reply.error || 'the broker did not hand over a session socket');
  }
  // The launcher's own environment, less what the broker says the shell
  // must not see, plus what it must.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of reply.unsetEnv) delete env[name.toString()];
  for (const kv of reply.setEnv) {
    const s = kv.toString();
    env[s.slice(0, s.indexOf('='))] = s.slice(s.indexOf('=') + 1);
  }
  return { sessionId: reply.sessionId, file: reply.file.toString(), argv: reply.argv.map(String), env, fd: fds[0]! };
}
