/* What the wrapper's Run path handed on: wrapper_test runs this through the
 * wrapper and reads its report. One item a line:
 *   arg HEX        each argv entry (argv[0] included)
 *   sigign HEX     SigIgn from /proc/self/status
 *   sigblk HEX     SigBlk
 *   fd N           each open fd
 *   env ENTRY      each environment entry
 *   cwd PATH
 * to $PROBE_OUT if set (so that it works with stdout closed), else stdout.
 * Exits with $PROBE_EXIT (default 0). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    const char *path = getenv("PROBE_OUT");
    FILE *out = path ? fopen(path, "w") : stdout;
    if (!out)
        return 99;

    /* fds first, before stdio or opendir open any of their own */
    int fds[256], nfds = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 98;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d) && nfds < 256)
            fds[nfds++] = atoi(e->d_name);
    closedir(d);
    int own = path ? fileno(out) : -1;
    for (int i = 0; i < nfds; i++)
        if (fds[i] != own)
            fprintf(out, "fd %d\n", fds[i]);

    for (int i = 0; i < argc; i++) {
        fputs("arg ", out);
        for (const unsigned char *p = (const unsigned char *)argv[i]; *p; p++)
            fprintf(out, "%02x", *p);
        fputc('\n', out);
    }

    FILE *st = fopen("/proc/self/status", "r");
    char line[512];
    while (st && fgets(line, sizeof(line), st)) {
        if (!strncmp(line, "SigIgn:", 7))
            fprintf(out, "sigign %s", line + 8);
        if (!strncmp(line, "SigBlk:", 7))
            fprintf(out, "sigblk %s", line + 8);
    }
    if (st)
        fclose(st);

    for (char **v = environ; *v; v++)
        fprintf(out, "env %s\n", *v);
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)))
        fprintf(out, "cwd %s\n", cwd);
    fclose(out);
    const char *code = getenv("PROBE_EXIT");
    return code ? atoi(code) : 0;
}
