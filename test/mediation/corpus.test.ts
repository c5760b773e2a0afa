// The exec paths that bypass the shell (issue 16), each under --sandbox
// bwrap with a rule escalating printenv and a rule denying id: the broker
// decides every one of them (the audit shows whether a program shim or the
// seccomp backstop asked), escalations run on the host (printenv shows a
// variable only the host has), denials fail with the wrapper's message.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/execgate.js';
import { buildStaticExec, decidedVia, HOST_ONLY, HOST_VALUE, ID_DENIED, inSandbox, type Files, type SandboxRun } from './helpers.js';

const exe = (content: string) => ({ content, mode: 0o755 });

interface Case {
  name: string;
  /** Prints $HOST_ONLY through printenv, started the case's way. */
  printenv: string;
  /** Runs id, started the same way. */
  id: string;
  files?: Files;
}

let staticExec = '';
beforeAll(() => {
  staticExec = join(tempDir('eg-static-'), 'static-exec');
  buildStaticExec(staticExec);
});

const cases: Case[] = [
  {
    name: 'Python os.execv',
    printenv: `python3 -c 'import os; os.execv("/usr/bin/printenv", ["printenv", "${HOST_ONLY}"])'`,
    id: `python3 -c 'import os; os.execvp("id", ["id"])'`,
  },
  {
    name: 'Python subprocess.run with an argv list',
    printenv: `python3 -c 'import subprocess, sys; sys.exit(subprocess.run(["printenv", "${HOST_ONLY}"]).returncode)'`,
    id: `python3 -c 'import subprocess, sys; sys.exit(subprocess.run(["id"]).returncode)'`,
  },
  {
    name: 'Python subprocess with an empty environment (and every fd closed, as subprocess does)',
    printenv: `python3 -c 'import subprocess, sys; sys.exit(subprocess.run(["/usr/bin/printenv", "${HOST_ONLY}"], env={}).returncode)'`,
    id: `python3 -c 'import subprocess, sys; sys.exit(subprocess.run(["/usr/bin/id"], env={}).returncode)'`,
  },
  {
    name: 'Node spawn without a shell',
    printenv: `node -e 'process.exit(require("child_process").spawnSync("printenv", ["${HOST_ONLY}"], { stdio: "inherit" }).status)'`,
    id: `node -e 'process.exit(require("child_process").spawnSync("id", [], { stdio: "inherit" }).status)'`,
  },
  { name: 'env', printenv: `env printenv ${HOST_ONLY}`, id: 'env id' },
  { name: 'xargs', printenv: `echo ${HOST_ONLY} | xargs printenv`, id: 'echo -u | xargs id' },
  // `{} +`: find's own status then says whether the command failed
  { name: 'find -exec', printenv: `find . -maxdepth 0 -exec printenv ${HOST_ONLY} \\;`, id: 'find . -maxdepth 0 -exec id {} +' },
  {
    name: 'a make recipe without shell syntax (make execs it itself)',
    printenv: 'make -s show',
    id: 'make -s who',
    files: { Makefile: `show:\n\tprintenv ${HOST_ONLY}\nwho:\n\tid\n` },
  },
  {
    name: '#! interpreters (#!/usr/bin/env -S printenv ..., #!/usr/bin/id)',
    printenv: './show-host',
    id: './who',
    files: { 'show-host': exe(`#!/usr/bin/env -S printenv ${HOST_ONLY}\n`), who: exe('#!/usr/bin/id\n') },
  },
  {
    name: 'perl exec',
    printenv: `perl -e 'exec "printenv", "${HOST_ONLY}"'`,
    id: `perl -e 'exec "id"'`,
  },
  {
    name: 'a static binary calling execve directly',
    printenv: `./static-exec /usr/bin/printenv ${HOST_ONLY}`,
    id: './static-exec /usr/bin/id',
    files: { 'static-exec': { content: 'STATIC', mode: 0o755 } },
  },
];

function expectDecided(r: SandboxRun): void {
  const problems = r.audit.filter((a) => a.event === 'protocol-error');
  expect(problems, JSON.stringify(problems)).toEqual([]);
  // printenv ran on the host: it printed what only the host has
  expect(r.stdout.toString(), r.stderr).toContain(`${HOST_VALUE}\n`);
  const printenv = decidedVia(r, 'shim', '/usr/bin/printenv');
  expect(printenv.map((d) => [d.decision, d.decided_by]), JSON.stringify(r.decisions)).toContainEqual(['escalate', 'rule:printenv-host']);
  expect(r.audit.some((a) => a.event === 'completion' && a.request === printenv[0]!.request && a.exit_code !== null)).toBe(true);
  // id was refused, with the wrapper's message, and did not run
  expect(r.stderr).toMatch(ID_DENIED);
  expect(decidedVia(r, 'shim', '/usr/bin/id').map((d) => d.decision)).toEqual(['deny']);
  expect(r.stdout.toString()).not.toMatch(/uid=/);
  expect(r.stdout.toString()).toMatch(/^id-status=[1-9]\d*$/m);
}

describe('every exec path reaches the broker inside --sandbox bwrap', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const files = Object.fromEntries(Object.entries(c.files ?? {}).map(([k, v]) => [k, typeof v !== 'string' && v.content === 'STATIC' ? { content: readFileSync(staticExec), mode: 0o755 } : v]));
      const r = await inSandbox(`${c.printenv}; ${c.id}; echo "id-status=$?"`, { files });
      expectDecided(r);
    });
  }
});

describe('what the backstop decides by itself', () => {
  it('lets a program no rule names run in the sandbox, and the audit says the backstop let it', async () => {
    const r = await inSandbox(`python3 -c 'import subprocess; subprocess.run(["/usr/bin/true", "from-python"])'; echo "st=$?"`);
    expect(r.stdout.toString()).toBe('st=0\n');
    const runs = decidedVia(r, 'seccomp', '/usr/bin/true');
    expect(runs.map((d) => [d.decision, d.argv])).toEqual([['run', ['/usr/bin/true', 'from-python']]]);
  });

  it('denies a program a deny rule names where no shim can stand (in the writable project): EACCES, audited', async () => {
    const r = await inSandbox(`python3 -c 'import subprocess
try:
    subprocess.run(["./tool"])
except PermissionError as e:
    print("refused", e.errno)'; ./tool; echo "shell=$?"`, {
      files: { tool: exe('#!/bin/sh\necho tool ran\n') },
      extraPolicy: '[[rule]]\nid = "no-tool"\nprogram = "{project}/tool"\ndecision = "deny"\nreason = "not the tool"\n',
    });
    expect(r.stdout.toString()).toBe('refused 13\nshell=126\n');
    expect(r.stderr).toContain('execgate: denied: ./tool: not the tool\n');
    const seccomp = decidedVia(r, 'seccomp', `${r.project}/tool`);
    expect(seccomp.map((d) => [d.decision, d.decided_by])).toEqual([['deny', 'rule:no-tool']]);
  });

  it('refuses an escalation it would have to make (EACCES): only the wrapper and the shims escalate; from the shell it runs on the host', async () => {
    const r = await inSandbox(`python3 -c 'import subprocess
try:
    subprocess.run(["./hosttool"])
except PermissionError as e:
    print("refused", e.errno)'; ./hosttool`, {
      files: { hosttool: exe(`#!/bin/sh\necho "on the host: \${${HOST_ONLY}-no}"\n`) },
      extraPolicy: '[[rule]]\nid = "host-tool"\nprogram = "{project}/hosttool"\ndecision = "escalate"\n',
    });
    expect(r.stdout.toString()).toBe(`refused 13\non the host: ${HOST_VALUE}\n`);
    const [refused] = decidedVia(r, 'seccomp', `${r.project}/hosttool`);
    expect(refused).toMatchObject({ decision: 'deny', policy_decision: 'escalate', decided_by: 'rule:host-tool' });
    expect(String(refused!.reason)).toContain('a seccomp notification never escalates');
  });

  it('lets a copy of id run: the rule names the file /usr/bin/id, and a copy is another file (README, "Mediation beyond the shell")', async () => {
    const r = await inSandbox(`cp /.execgate/real/usr/bin/id ./id-copy && python3 -c 'import subprocess; subprocess.run(["./id-copy", "-u"])'; cp /usr/bin/id ./shim-copy; ./shim-copy; echo "st=$?"`);
    expect(r.stdout.toString()).toBe('1000\nst=126\n');
    expect(decidedVia(r, 'seccomp', `${r.project}/id-copy`).map((d) => [d.decision, d.decided_by])).toEqual([['run', 'default']]);
    // /usr/bin/id inside is the shim: a copy of it stands for nothing
    expect(r.stderr).toContain(`execgate: ${r.project}/shim-copy: a copy of execgate's program shim, not the program: copy the real one from /.execgate/real\n`);
  });
});

describe('a shimmed program the shell runs', () => {
  it('is asked about once: on Run the wrapper runs the real file, not the shim that would ask again', async () => {
    // uname is shimmed (a rule names it) but `uname -s` matches no rule: Run.
    const r = await inSandbox('uname -s; /bin/uname -s; echo "st=$?"', {
      extraPolicy: '[[rule]]\nid = "no-uname-all"\nprogram = "uname"\nargs = ["-a"]\ndecision = "deny"\n',
    });
    expect(r.stdout.toString()).toBe('Linux\nLinux\nst=0\n');
    const uname = r.decisions.filter((d) => String(d.program).endsWith('/uname'));
    // one decision each, by the shell's wrapper; none from the shim
    expect(uname.map((d) => [d.decision, d.via ?? 'wrapper', d.argv])).toEqual([
      ['run', 'wrapper', ['uname', '-s']],
      ['run', 'wrapper', ['/bin/uname', '-s']],
    ]);
  });
});
