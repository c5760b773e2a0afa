// A program that runs another with seccomp(2) refused (EPERM), as a
// container's seccomp profile may: the way tests make "no backstop" real.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './execgate.js';

const NO_SECCOMP_C = `/* Runs a program with seccomp(2) refused (EPERM). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_seccomp, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
    if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
        perror("no-seccomp");
        return 125;
    }
    execvp(argv[1], argv + 1);
    perror(argv[1]);
    return 127;
}
`;

/** Compiles it once per test file; returns its path. */
export function buildNoSeccomp(): string {
  const dir = tempDir('eg-noseccomp-');
  writeFileSync(join(dir, 'no-seccomp.c'), NO_SECCOMP_C);
  const out = join(dir, 'no-seccomp');
  const cc = spawnSync('cc', ['-O2', '-o', out, join(dir, 'no-seccomp.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc: ${cc.stderr}`);
  return out;
}
