#include "closefds.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A getdents64 record (the kernel's struct linux_dirent64). */
struct dirent64_rec {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

static int in_range(long fd, int from, int to)
{
    return fd >= from && (to < 0 || fd <= to);
}

/* The fds /proc/self/fd lists, closed as they are read; the directory's own
 * fd spared until the end. 0: done; -1: no /proc. */
static int close_listed(int from, int to)
{
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -1;
    /* Closing while listing can make the kernel skip entries: list again
     * until a pass closes nothing. */
    for (int closed = 1; closed;) {
        closed = 0;
        if (lseek(dir, 0, SEEK_SET) < 0)
            break;
        char buf[4096] __attribute__((aligned(8)));
        long n;
        while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
            for (long pos = 0; pos < n;) {
                const struct dirent64_rec *e = (const struct dirent64_rec *)(void *)(buf + pos);
                pos += e->reclen;
                long fd = 0;
                const char *p = e->name;
                if (*p < '0' || *p > '9')
                    continue;
                for (; *p >= '0' && *p <= '9' && fd < INT_MAX / 10; p++)
                    fd = fd * 10 + (*p - '0');
                if (fd != dir && in_range(fd, from, to) && close((int)fd) == 0)
                    closed = 1;
            }
        }
    }
    close(dir);
    return 0;
}

void eg_close_fds(int from, int to)
{
    if (from < 0 || (to >= 0 && to < from))
        return;
#if defined(SYS_close_range) && !defined(EG_CLOSEFDS_NO_CLOSE_RANGE) /* (the test of the others) */
    if (syscall(SYS_close_range, (unsigned)from, to < 0 ? ~0U : (unsigned)to, 0) == 0)
        return;
#endif
    if (close_listed(from, to) == 0)
        return;
    long last = sysconf(_SC_OPEN_MAX) - 1;
    if (to >= 0 && to < last)
        last = to;
    for (long fd = from; fd <= last; fd++)
        close((int)fd);
}
