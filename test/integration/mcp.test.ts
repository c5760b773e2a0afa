// `execgate mcp` (the compiled CLI) driven by the MCP SDK's own client over
// stdio: the tools, run / escalate / deny, the approval dialog (accepted,
// declined, answered elsewhere first), time-outs that end the host command
// too, cut and redacted output, state across calls, bad input, bwrap.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath, rule, tempDir } from '../helpers/execgate.js';
import { exitCodeOf, processAlive, runningWithArgv, section, startMcp, type LiveMcp } from '../helpers/mcp.js';
import { waitFor } from '../helpers/wait.js';

let live: LiveMcp | null = null;
afterEach(async () => {
  await live?.close();
  live = null;
});

describe('execgate mcp', () => {
  it('lists its tools with their input schemas', async () => {
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-') });
    const { tools } = await live.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['explain', 'process_read', 'process_start', 'process_stop', 'process_write', 'reset', 'shell']);
    const shell = tools.find((t) => t.name === 'shell')!;
    expect(Object.keys(shell.inputSchema.properties ?? {}).sort()).toEqual(['command', 'login', 'timeout_ms', 'workdir']);
    expect(shell.inputSchema.required).toEqual(['command']);
    expect(live.client.getServerVersion()?.name).toBe('execgate');
  });

  it('runs, escalates and denies as the policy says, and names the rule that denied', async () => {
    const project = tempDir('eg-mcp-proj-');
    const policy =
      rule('host-id', 'id', 'escalate', 'args = ["-u"]') + rule('no-rm', 'rm', 'deny', 'reason = "nothing is removed here"');
    live = await startMcp({ cwd: project, policy });
    const r = await live.shell({ command: 'echo in-sandbox; id -u; rm -f x; echo after' });
    expect(exitCodeOf(r.text)).toBe(0);
    expect(section(r.text, 'stdout')).toBe(`in-sandbox\n${process.getuid!()}\nafter`);
    expect(section(r.text, 'stderr')).toBe('execgate: denied: rm: nothing is removed here');
    const broker = section(r.text, 'execgate').split('\n');
    expect(broker[0]).toBe('ran on the host (rule "host-id"): id -u: exit code 0');
    expect(broker[1]).toMatch(/^denied: rm -f x: rule "no-rm" says: nothing is removed here\. Retrying the same command will be denied again/);
    // The audit log is written behind the results: wait for its lines.
    await waitFor(
      () => live!.audit().some((a) => a.event === 'completion' && a.decided_by === 'rule:host-id') && live!.audit().some((a) => a.event === 'decision' && a.decided_by === 'rule:no-rm'),
      { what: 'the audit of the escalation and of the denial' },
    );
    const audit = live.audit();
    expect(audit.find((a) => a.event === 'decision' && a.decided_by === 'rule:no-rm')).toMatchObject({ decision: 'deny', argv: ['rm', '-f', 'x'] });
    expect(audit.find((a) => a.event === 'completion' && a.decided_by === 'rule:host-id')).toMatchObject({ outcome: 'exited', exit_code: 0 });

    const failed = await live.shell({ command: 'echo oops >&2; exit 3' });
    expect(failed.isError).toBe(false);
    expect(exitCodeOf(failed.text)).toBe(3);
    expect(section(failed.text, 'execgate')).toBe('');
  });

  it('explains a command line or an argv as `execgate policy explain` does', async () => {
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-'), policy: rule('no-push', 'git', 'deny', 'args = ["push", "**"]\nreason = "pushes go through the human"') });
    const a = await live.tool('explain', { command: "git push origin 'main'" });
    expect(a.isError).toBe(false);
    expect(a.text).toMatch(/^decision: deny \(refused\)$/m);
    expect(a.text).toMatch(/^by: {7}rule "no-push" \(line \d+\)$/m);
    expect(a.text).toMatch(/^reason: {3}pushes go through the human$/m);
    const b = await live.tool('explain', { argv: ['git', 'status'] });
    expect(b.text).toMatch(/^decision: run /m);
    expect((await live.tool('explain', { command: 'git push | cat' })).isError).toBe(true);
    expect((await live.tool('explain', {})).text).toBe('give exactly one of `command` or `argv`');
  });

  describe('approvals in the client\'s dialog', () => {
    const policy = 'approval_timeout = "2m"\n' + rule('ask-ls', 'ls', 'prompt', 'args = ["/"]');

    it('an accepted dialog runs the command on the host, shown exactly what will run', async () => {
      const project = tempDir('eg-mcp-proj-');
      const asked: string[] = [];
      live = await startMcp({
        cwd: project,
        policy,
        elicit: async (req) => {
          asked.push(req.params.message);
          expect(req.params.mode ?? 'form').toBe('form');
          return { action: 'accept', content: { decision: 'once' } };
        },
      });
      const r = await live.shell({ command: 'ls / >/dev/null && echo listed' });
      expect(section(r.text, 'stdout')).toBe('listed');
      expect(section(r.text, 'execgate')).toBe('asked a human (rule "ask-ls"): ls /: approved by human:elicitation, exit code 0');
      expect(asked).toHaveLength(1);
      expect(asked[0]).toContain('  program  /usr/bin/ls');
      expect(asked[0]).toContain('  argv     ls /');
      expect(asked[0]).toContain(`  cwd      ${project}`);
      expect(asked[0]).toMatch(/rule {5}ask-ls/);
      await waitFor(() => live!.audit().some((a) => a.event === 'completion'), { what: 'the audit of the completion' });
      expect(live.audit().find((a) => a.event === 'completion')).toMatchObject({ decided_by: 'human:elicitation', outcome: 'exited', exit_code: 0 });
    });

    it('a declined dialog denies, and the agent reads why', async () => {
      live = await startMcp({ cwd: tempDir('eg-mcp-proj-'), policy, elicit: async () => ({ action: 'decline' }) });
      const r = await live.shell({ command: 'ls /' });
      expect(exitCodeOf(r.text)).toBe(126);
      expect(section(r.text, 'stderr')).toBe('execgate: denied: ls: declined in the approval dialog');
      expect(section(r.text, 'execgate')).toBe('asked a human (rule "ask-ls"): ls /: refused by human:elicitation: declined in the approval dialog');
    });

    it('a deny with a reason from the dialog reaches the agent', async () => {
      live = await startMcp({ cwd: tempDir('eg-mcp-proj-'), policy, elicit: async () => ({ action: 'accept', content: { decision: 'deny', reason: 'not the root listing, please' } }) });
      const r = await live.shell({ command: 'ls /' });
      expect(section(r.text, 'stderr')).toBe('execgate: denied: ls: not the root listing, please');
    });

    it('answered elsewhere first: the call completes and the dialog is withdrawn and told it lost', async () => {
      let withdrawn = false;
      live = await startMcp({
        cwd: tempDir('eg-mcp-proj-'),
        policy,
        // A human who never answers in the dialog.
        elicit: (_req, signal) =>
          new Promise((resolve) =>
            signal.addEventListener('abort', () => {
              withdrawn = true;
              resolve({ action: 'cancel' });
            }),
          ),
      });
      const call = live.shell({ command: 'ls / >/dev/null && echo listed' });
      const [pending] = await live.waitPending(1);
      expect(pending!.argv).toEqual(['ls', '/']);
      expect((await live.approve(['--answer', pending!.id, 'once'])).code).toBe(0);
      const r = await call;
      expect(section(r.text, 'stdout')).toBe('listed');
      expect(section(r.text, 'execgate')).toBe('asked a human (rule "ask-ls"): ls /: approved by human:terminal, exit code 0 (the approval dialog was withdrawn: human:terminal answered first)');
      await waitFor(() => withdrawn, { what: 'the dialog to be cancelled' });
    });

    it('a dialog dismissed without a choice decides nothing: the request waits for another channel', async () => {
      live = await startMcp({ cwd: tempDir('eg-mcp-proj-'), policy, elicit: async () => ({ action: 'cancel' }) });
      const call = live.shell({ command: 'ls / >/dev/null && echo listed' });
      const [pending] = await live.waitPending(1);
      expect((await live.approve(['--answer', pending!.id, 'once'])).code).toBe(0);
      const r = await call;
      expect(section(r.text, 'stdout')).toBe('listed');
      expect(section(r.text, 'execgate')).toBe('asked a human (rule "ask-ls"): ls /: approved by human:terminal, exit code 0 (the approval dialog was dismissed without an answer, so it waited for the other channels)');
    });

    it('without a dialog the result says a human was asked and how', async () => {
      live = await startMcp({ cwd: tempDir('eg-mcp-proj-'), policy });
      const call = live.shell({ command: 'ls / >/dev/null; echo $?' });
      const [pending] = await live.waitPending(1);
      await live.approve(['--answer', pending!.id, 'deny', '--reason', 'no']);
      const r = await call;
      expect(section(r.text, 'stdout')).toBe('126');
      expect(section(r.text, 'execgate')).toBe('asked a human (rule "ask-ls"): ls /: refused by human:terminal: no (no approval dialog in this client: asked through `execgate approve` in another terminal)');
      expect(live.stderr()).toContain('waiting for a human to approve running `ls /` on the host');
    });
  });

  it('timeout_ms kills the call, its background jobs and the host command it started', async () => {
    const project = tempDir('eg-mcp-proj-');
    const hostDir = tempDir('eg-mcp-host-');
    const script = join(hostDir, 'host-sleep');
    writeFileSync(script, '#!/bin/sh\necho $$ > "$1"\nexec sleep 120\n');
    chmodSync(script, 0o755);
    live = await startMcp({ cwd: project, policy: rule('host-sleep', script, 'escalate') });
    const hostMarker = join(hostDir, 'host.pid');
    const jobMarker = join(project, 'job.pid');
    const r = await live.shell({ command: `sleep 121 & echo $! > ${jobMarker}; ${script} ${hostMarker}; echo never`, timeout_ms: 4000 });
    expect(r.isError).toBe(true);
    expect(r.text.split('\n')[0]).toMatch(/^Timed out after 4000 ms · /);
    expect(r.text).toContain('it timed out after 4000 ms');
    expect(section(r.text, 'stdout')).not.toContain('never');
    expect(existsSync(hostMarker), 'the host command started before the time-out').toBe(true);
    const hostPid = Number(readFileSync(hostMarker, 'utf8'));
    const jobPid = Number(readFileSync(jobMarker, 'utf8'));
    await waitFor(() => !processAlive(hostPid) && !processAlive(jobPid), { what: `the host command ${hostPid} and the job ${jobPid} to be gone`, timeoutMs: 10_000 });
    // The shell goes on.
    expect(section((await live.shell({ command: 'echo still here' })).text, 'stdout')).toBe('still here');
  });

  it('cuts long output to its head and tail, saying how much was cut', async () => {
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-') });
    const r = await live.shell({ command: 'echo START; head -c 300000 /dev/zero | tr "\\0" a; echo; echo END' });
    const out = section(r.text, 'stdout');
    expect(out.startsWith('START\naaa')).toBe(true);
    expect(out.endsWith('aaa\nEND')).toBe(true);
    expect(r.text).toMatch(/--- stdout \(300011 bytes, cut\)/);
    expect(r.text).toMatch(/\[\.\.\. execgate cut 275435 bytes here: 300011 bytes in all, the first 8192 and the last 16384 are shown \.\.\.\]/);
    expect(r.text.length).toBeLessThan(26_000);
  });

  it('redacts secret-looking values and counts them, unless --no-redact', async () => {
    const cmd = 'echo GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123; echo "Authorization: Bearer abc" >&2; echo plain';
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-') });
    const r = await live.shell({ command: cmd });
    expect(section(r.text, 'stdout')).toBe('GITHUB_TOKEN=[redacted]\nplain');
    expect(section(r.text, 'stderr')).toBe('Authorization: [redacted]');
    expect(r.text).toContain('(execgate redacted 2 secret-looking values from this output)');
    await live.close();
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-'), flags: ['--no-redact'] });
    const raw = await live.shell({ command: cmd });
    expect(section(raw.text, 'stdout')).toBe('GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123\nplain');
    expect(raw.text).not.toContain('redacted');
  });

  it('carries the directory and exported variables to the next call, and reset starts afresh', async () => {
    const project = tempDir('eg-mcp-proj-');
    live = await startMcp({ cwd: project, env: { EG_GONE: 'here' } });
    const a = await live.shell({ command: 'mkdir -p sub/deep && cd sub && export FOO="a b" && unset EG_GONE && BAR=unexported' });
    expect(a.text).toContain(`working directory ${project}/sub`);
    const b = await live.shell({ command: 'pwd; echo "$FOO|${BAR-unset}|${EG_GONE-unset}"; cat; echo "$EXEC_WRAPPER" | grep -c execgate-wrapper' });
    expect(section(b.text, 'stdout')).toBe(`${project}/sub\na b|unset|unset\n1`);
    const c = await live.shell({ command: 'pwd', workdir: 'deep' });
    expect(section(c.text, 'stdout')).toBe(`${project}/sub/deep`);
    const d = await live.shell({ command: 'exit 7' });
    expect(exitCodeOf(d.text)).toBe(7);
    expect(d.text).toContain(`working directory ${project}/sub/deep`);
    expect((await live.tool('reset')).text).toBe(`A fresh shell; working directory ${project}`);
    const e = await live.shell({ command: 'pwd; echo "${FOO-unset}|${EG_GONE-unset}"' });
    expect(section(e.text, 'stdout')).toBe(`${project}\nunset|here`);
  });

  it('runs each call as `bash -c COMMAND` would, in a bash started ahead of it', async () => {
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-') });
    // What a fresh `bash -c` shows: its own pid and process group, $0 the
    // shell, the command in BASH_EXECUTION_STRING, lines counted from 1,
    // and nothing of execgate's own making among its variables.
    const cmd = 'read -r -a st </proc/$$/stat\necho "$0|${st[4]}|$$|$BASHPID|$LINENO|$-"\nprintf "%s|" "$BASH_EXECUTION_STRING" | wc -c\ncompgen -v __eg_; env | grep -c "^EXECGATE_MCP_"';
    const r = await live.shell({ command: cmd });
    const [first, size, leaked] = section(r.text, 'stdout').split('\n');
    const [zero, pgid, pid, bashpid, line, flags] = first!.split('|');
    expect(zero).toMatch(/\/bash$/);
    expect(pgid).toBe(pid);
    expect(bashpid).toBe(pid);
    expect(line).toBe('2');
    expect(flags).toContain('c');
    expect(Number(size)).toBe(Buffer.byteLength(cmd) + 1);
    expect(leaked).toBe('0');
    // Each call its own bash; `exit` ends only that call.
    expect(exitCodeOf((await live.shell({ command: 'exit 7' })).text)).toBe(7);
    const next = await live.shell({ command: 'echo $$' });
    expect(section(next.text, 'stdout')).not.toBe(pid);
    // A syntax error: status 2 and bash's message, nothing of the command run.
    const bad = await live.shell({ command: 'echo ran; if' });
    expect(exitCodeOf(bad.text)).toBe(2);
    expect(section(bad.text, 'stdout')).toBe('');
    expect(section(bad.text, 'stderr')).toMatch(/syntax error/);
    // Longer than the kernel lets one argument be (128 KiB): no argv to fit.
    const long = `x=${'y'.repeat(200 * 1024)}; echo \${#x}`;
    expect(section((await live.shell({ command: long })).text, 'stdout')).toBe(String(200 * 1024));
  });

  // Run in a call: the supervisor's other children, the spares waiting for
  // the next calls.
  const spares = 'for p in /proc/[0-9]*; do read -r -a s <$p/stat 2>/dev/null || continue; [[ ${s[3]} == $PPID && ${s[0]} != $$ ]] && echo ${s[0]}; done';
  // Run in a call: sets $found to the spares still waiting on a FIFO named
  // like `glob` (their stdin), once there is one. (A call's bash that has
  // ended, not yet reaped, is a child too, but no longer on a FIFO.)
  const waitingOn = (glob: string) =>
    `for i in {1..500}; do found=; for p in $(${spares}); do [[ $(readlink /proc/$p/fd/0) == ${glob} ]] && found+="$p "; done; [[ -n $found ]] && break; sleep 0.01; done`;

  it('a spare bash the agent kills is replaced, and a killed supervisor leaves none waiting', async () => {
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-') });
    const kill = await live.shell({ command: `${waitingOn('*.go[012]*')}; for p in $found; do kill -9 $p; done; echo "killed $found"` });
    expect(section(kill.text, 'stdout')).toMatch(/^killed \d+/);
    for (let i = 0; i < 3; i++) expect(section((await live.shell({ command: `echo call ${i}` })).text, 'stdout')).toBe(`call ${i}`);
    // The supervisor goes: its spares (listed by the call that kills it,
    // once the supervisor has started one) see the end of their FIFO, which
    // execgate closes once it has seen the supervisor end, and end too;
    // then the next call starts a new supervisor.
    const killer = await live.shell({ command: `${waitingOn('*.go[012]*')}; echo $found; kill -9 $PPID` });
    const waiting = section(killer.text, 'stdout').split(' ').map(Number);
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.every((p) => p > 0)).toBe(true);
    await waitFor(() => waiting.every((p) => !processAlive(p)), { what: 'the spares of a killed supervisor to end' });
    const after = await live.shell({ command: 'echo again' });
    expect(section(after.text, 'stdout')).toBe('again');
  });

  it('a spare that dies only after the supervisor gave it its call, with part of its line, is replaced', async () => {
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-') });
    // The boot call read go0 and this call go1: the next call's line goes to
    // go2. Its spare is stopped (alive, not reading); a background job takes
    // the line's first byte when it comes and then kills the spare: what a
    // spare that a SIGKILL reaches late, on a loaded machine, does.
    const setup = await live.shell({
      command: [
        waitingOn('*.go2*'),
        'next=${found% }',
        'kill -STOP "$next"',
        '{ read -r -n 1 _ </proc/$next/fd/0; kill -9 "$next"; } >/dev/null 2>&1 &',
        'echo "stopped $next"',
      ].join('\n'),
    });
    expect(section(setup.text, 'stdout')).toMatch(/^stopped \d+$/);
    const r = await live.shell({ command: 'echo ran' });
    expect(section(r.text, 'stdout')).toBe('ran');
    expect(exitCodeOf(r.text)).toBe(0);
    for (let i = 0; i < 3; i++) expect(section((await live.shell({ command: `echo next ${i}` })).text, 'stdout')).toBe(`next ${i}`);
  });

  it('a call whose bash is stopped has not ended: it goes on when continued', async () => {
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-') });
    // (With job control, bash's `wait` also returns when a job stops: the
    // call was reported "killed by signal 19" and left stopped.)
    const r = await live.shell({
      command: '( until read -r l </proc/$$/stat && l=${l##*) } && [[ $l == T* ]]; do sleep 0.01; done; kill -CONT $$ ) & kill -STOP $$; echo resumed',
    });
    expect(section(r.text, 'stdout')).toBe('resumed');
    expect(exitCodeOf(r.text)).toBe(0);
  });

  it('a call reaches its bash and reports its end without the supervisor: a stopped one holds nothing up', async () => {
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-') });
    await live.shell({ command: 'kill -STOP $PPID' });
    // execgate writes the call's line to the waiting bash itself, and the
    // call's EXIT trap says it ended: the stopped supervisor is not asked.
    const r = await live.shell({ command: 'echo ran; export LEFT=yes; kill -CONT $PPID' });
    expect(section(r.text, 'stdout')).toBe('ran');
    expect(exitCodeOf(r.text)).toBe(0);
    expect(section((await live.shell({ command: 'echo "$LEFT"' })).text, 'stdout')).toBe('yes');
  });

  it('answers bad arguments with errors, not a crash, and goes on', async () => {
    const project = tempDir('eg-mcp-proj-');
    live = await startMcp({ cwd: project });
    const wrongType = await live.client.callTool({ name: 'shell', arguments: { command: 42 } });
    expect(wrongType.isError).toBe(true);
    expect(JSON.stringify(wrongType.content)).toContain('Input validation error');
    const missing = await live.client.callTool({ name: 'shell', arguments: {} });
    expect(missing.isError).toBe(true);
    const nul = await live.shell({ command: 'echo a\0b' });
    expect(nul).toEqual({ isError: true, text: 'the command contains a NUL character, which no shell command can hold' });
    const outside = await live.shell({ command: 'pwd', workdir: '/etc' });
    expect(outside).toEqual({ isError: true, text: `workdir /etc is outside the project (${project}): use a directory inside it, or cd there in the command` });
    const nodir = await live.shell({ command: 'pwd', workdir: 'nope' });
    expect(nodir).toEqual({ isError: true, text: `workdir ${project}/nope is not a directory` });
    const unknown = await live.client.callTool({ name: 'nope', arguments: {} });
    expect(unknown.isError).toBe(true);
    expect(section((await live.shell({ command: 'echo fine' })).text, 'stdout')).toBe('fine');
  });

  it('writes nothing but JSON-RPC on stdout, and survives garbage on stdin', async () => {
    const project = tempDir('eg-mcp-proj-');
    const child = spawn(process.execPath, [cliPath, 'mcp'], { cwd: project, env: { ...process.env, XDG_RUNTIME_DIR: tempDir('eg-xdg-') }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const send = (m: unknown) => child.stdin.write(`${typeof m === 'string' ? m : JSON.stringify(m)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send('this is not json');
    send({ jsonrpc: '2.0', id: 2, method: 'no/such/method' });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'shell', arguments: { command: 'echo raw-ok' } } });
    await waitFor(() => out.includes('"id":3'), { what: 'the answer to the tools/call', timeoutMs: 30_000 });
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
    const messages = out.trim().split('\n').map((l) => JSON.parse(l) as { jsonrpc: string; id?: number; error?: { code: number }; result?: { content: { text: string }[] } });
    expect(messages.every((m) => m.jsonrpc === '2.0')).toBe(true);
    expect(messages.find((m) => m.id === 2)?.error?.code).toBe(-32601);
    expect(messages.find((m) => m.id === 3)?.result?.content[0]?.text).toContain('raw-ok');
  });

  it('runs a long-lived process: its output a piece at a time, its input written, its end and exit code', async () => {
    const project = tempDir('eg-mcp-proj-');
    live = await startMcp({ cwd: project });
    await live.shell({ command: 'export GREETING=hi; mkdir -p d && cd d' });
    const started = await live.tool('process_start', { command: 'echo "$GREETING from $PWD"; while IFS= read -r l; do echo "got:$l"; done; echo bye >&2; exit 4' });
    expect(started).toEqual({ isError: false, text: 'Started p1. Read its output with process_read {"id": "p1"}.' });
    const first = await live.tool('process_read', { id: 'p1', wait_ms: 10_000 });
    expect(first.text).toBe(`p1: running\n--- stdout (${`hi from ${project}/d\n`.length} new bytes)\nhi from ${project}/d`);
    expect((await live.tool('process_write', { id: 'p1', input: 'one\ntwo\n' })).text).toBe('Wrote 8 bytes.');
    let seen = '';
    await waitFor(async () => ((seen += (await live!.tool('process_read', { id: 'p1', wait_ms: 1000 })).text), seen.includes('got:two')), { what: 'the echoed lines' });
    expect(seen).toContain('got:one\ngot:two');
    await live.tool('process_write', { id: 'p1', input: '', eof: true });
    let last = '';
    await waitFor(async () => ((last = (await live!.tool('process_read', { id: 'p1', wait_ms: 1000 })).text), !last.startsWith('p1: running')), { what: 'p1 to end' });
    expect(last).toBe('p1: exited with code 4\n--- stderr (4 new bytes)\nbye');
    expect((await live.tool('process_read', { id: 'nope' })).isError).toBe(true);
  });

  it('a process on a terminal of its own, and process_stop ends its whole group', async () => {
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-') });
    const tag = String(5000 + Math.floor(Math.random() * 1000));
    await live.tool('process_start', { command: `tty; sleep ${tag} & sleep ${tag}`, tty: true });
    let out = '';
    await waitFor(async () => ((out += (await live!.tool('process_read', { id: 'p1', wait_ms: 1000 })).text), /\/dev\/pts\/\d+/.test(out)), { what: 'the terminal name' });
    const sleeping = () => runningWithArgv(['sleep', tag]);
    await waitFor(sleeping, { what: 'the sleeps' });
    expect((await live.tool('process_stop', { id: 'p1' })).text).toMatch(/^p1: /);
    await waitFor(() => !sleeping(), { what: 'the group to be gone' });
  });

  it('--sandbox bwrap: a host-only file is reached only through an escalation, and /tmp and state last across calls', async () => {
    const project = tempDir('eg-mcp-proj-');
    const hostDir = tempDir('eg-mcp-host-');
    writeFileSync(join(hostDir, 'host-only.txt'), 'host secret\n');
    live = await startMcp({ cwd: project, flags: ['--sandbox', 'bwrap'], policy: rule('host-cat', 'cat', 'escalate', `args = ["${hostDir}/host-only.txt"]`) });
    const a = await live.shell({ command: `cat ${hostDir}/host-only.txt; ls ${hostDir}` });
    expect(section(a.text, 'stdout')).toBe('host secret');
    expect(section(a.text, 'stderr')).toMatch(/^ls: cannot access '.*': No such file or directory$/);
    expect(section(a.text, 'execgate')).toBe(`ran on the host (rule "host-cat"): cat ${hostDir}/host-only.txt: exit code 0`);
    await live.shell({ command: 'echo kept > /tmp/note; cd /tmp; export N=1' });
    const b = await live.shell({ command: 'cat note; pwd; echo $N; id -un' });
    expect(section(b.text, 'stdout')).toBe(`kept\n/tmp\n1\n${process.getuid!() === 0 ? 'sandbox' : process.env.USER}`);
    // A time-out ends the call's process group inside the sandbox's own pid namespace too.
    const tag = String(4000 + Math.floor(Math.random() * 1000));
    const sleeping = () => runningWithArgv(['sleep', tag]);
    const c = live.shell({ command: `sleep ${tag} & sleep ${tag}`, timeout_ms: 60_000 });
    await waitFor(sleeping, { what: 'the sandboxed sleeps to start' });
    await live.close();
    live = null;
    await c.catch(() => {});
    await waitFor(() => !sleeping(), { what: 'the sandbox to end with the server' });
    live = await startMcp({ cwd: project, flags: ['--sandbox', 'bwrap'] });
    const d = live.shell({ command: `sleep ${tag} & sleep ${tag}`, timeout_ms: 3000 });
    await waitFor(sleeping, { what: 'the sandboxed sleeps to start' });
    expect((await d).text).toMatch(/^Timed out after 3000 ms/);
    await waitFor(() => !sleeping(), { what: 'the timed-out group to be killed inside the sandbox' });
  });
});

describe('execgate mcp --sandbox bwrap: the supervisor', () => {
  it('starts the calls\' bashes itself: the seccomp backstop asks the broker about none of them', async () => {
    // The spares are execgate's own doing, as init's exec of the shell is:
    // their execs carry the cookie. An exec of the agent's made without the
    // shell is still asked about.
    live = await startMcp({ cwd: tempDir('eg-mcp-proj-'), flags: ['--sandbox', 'bwrap'] });
    for (let i = 0; i < 4; i++) expect(section((await live.shell({ command: `echo call ${i}` })).text, 'stdout')).toBe(`call ${i}`);
    const r = await live.shell({ command: `python3 -c 'import os; os.execv("/usr/bin/true", ["true"])'; echo "st $?"` });
    expect(section(r.text, 'stdout')).toBe('st 0');
    // The backstop's records are written by the session's end at the latest.
    const audit = live.audit;
    await live.close();
    live = null;
    const viaSeccomp = audit().filter((a) => a.event === 'decision' && a.via === 'seccomp');
    expect(viaSeccomp.map((a) => a.program)).toEqual(['/usr/bin/true']);
  });
});

describe('execgate mcp --broker (attached to execgate serve)', () => {
  it('gets its session from serve, asks in the dialog through serve\'s queue, and lists what serve decided', async () => {
    const { serve } = await import('../helpers/serve.js');
    const served = await serve(
      'approval_timeout = "2m"\n' + rule('ask-ls', 'ls', 'prompt', 'args = ["/"]') + rule('no-rm', 'rm', 'deny', 'reason = "not here"') + rule('host-id', 'id', 'escalate', 'args = ["-u"]'),
      { flags: ['--no-prompt'] },
    );
    try {
      const project = tempDir('eg-mcp-proj-');
      live = await startMcp({ cwd: project, flags: ['--broker', served.socket, '--label', 'agent-7'], env: { XDG_RUNTIME_DIR: served.runtimeDir }, elicit: async () => ({ action: 'accept', content: { decision: 'once' } }) });
      const r = await live.shell({ command: 'ls / >/dev/null && echo listed; rm x; id -u; cd /tmp; export Z=1' });
      expect(section(r.text, 'stdout')).toBe(`listed\n${process.getuid!()}`);
      expect(section(r.text, 'stderr')).toBe('execgate: denied: rm: not here');
      // serve's own record of the call, in order: the prompt, the denial, the escalation
      const broker = section(r.text, 'execgate').split('\n');
      expect(broker[0]).toMatch(/^asked a human \(rule "ask-ls"\): ls \/: approved by human:elicitation, exit code 0/);
      expect(broker.find((l) => l.startsWith('denied: rm x'))).toMatch(/^denied: rm x: rule "no-rm" says: not here\./);
      expect(broker).toContain('ran on the host (rule "host-id"): id -u: exit code 0');
      expect(section((await live.shell({ command: 'pwd; echo $Z' })).text, 'stdout')).toBe('/tmp\n1');
      await waitFor(() => served.records().some((a) => a.event === 'completion' && a.decided_by === 'human:elicitation'), { what: "serve's audit of the dialog's answer" });
      expect(served.records().find((a) => a.event === 'session-start')).toMatchObject({ label: 'agent-7' });
    } finally {
      await live?.close();
      live = null;
      await served.stop();
    }
  });
});
