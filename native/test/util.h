/* Small helpers shared by the C tests. */
#ifndef EXECGATE_TEST_UTIL_H
#define EXECGATE_TEST_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The whole file in an exactly sized malloc'd buffer (so that ASan sees any
 * read past its end), plus a NUL not counted in *n. NULL if unreadable. */
static inline uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    uint8_t *exact = malloc(len + 1);
    if (len)
        memcpy(exact, buf, len);
    exact[len] = 0;
    free(buf);
    *n = len;
    return exact;
}

/* How many fds this process has open (not counting the one used to look). */
static inline int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

#endif
