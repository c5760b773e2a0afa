/* What an agent inside the sandbox would try, compiled by the adversarial
 * tests with the host's cc. One mode per run:
 *   handle PATH                 (on the host) print "TYPE HEX", the file
 *                               handle of PATH (name_to_handle_at)
 *   open-handle DIR TYPE HEX    open that handle with DIR's mount
 *                               (open_by_handle_at) and copy the file to
 *                               stdout; exit 1 with the errno's name if refused
 *   listen PATH                 (on the host) a SOCK_SEQPACKET socket at PATH:
 *                               print "listening", accept one connection, print
 *                               "got: " and the first datagram
 *   connect PATH MESSAGE        connect to the SOCK_SEQPACKET socket at PATH
 *                               and send MESSAGE
 * Errors go to stderr as "MODE: CALL: strerror" with exit 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *mode, const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", mode, call, strerror(errno));
    return 1;
}

static int handle(const char *path)
{
    struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
    int mount_id;
    if (!h)
        return 1;
    h->handle_bytes = MAX_HANDLE_SZ;
    if (name_to_handle_at(AT_FDCWD, path, h, &mount_id, 0) < 0)
        return fail("handle", "name_to_handle_at");
    printf("%d ", h->handle_type);
    for (unsigned i = 0; i < h->handle_bytes; i++)
        printf("%02x", h->f_handle[i]);
    printf("\n");
    return 0;
}

static int open_handle(const char *dir, const char *type, const char *hex)
{
    size_t n = strlen(hex) / 2;
    struct file_handle *h = malloc(sizeof(*h) + n);
    if (!h)
        return 1;
    h->handle_bytes = (unsigned)n;
    h->handle_type = atoi(type);
    for (size_t i = 0; i < n; i++) {
        unsigned byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
            return 2;
        h->f_handle[i] = (unsigned char)byte;
    }
    int mfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (mfd < 0)
        return fail("open-handle", "open");
    int fd = open_by_handle_at(mfd, h, O_RDONLY);
    if (fd < 0)
        return fail("open-handle", "open_by_handle_at");
    char buf[4096];
    ssize_t got;
    while ((got = read(fd, buf, sizeof(buf))) > 0)
        fwrite(buf, 1, (size_t)got, stdout);
    return 0;
}

static int seqpacket_at(const char *path, struct sockaddr_un *addr)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr->sun_path, path);
    return socket(AF_UNIX, SOCK_SEQPACKET, 0);
}

static int listen_at(const char *path)
{
    struct sockaddr_un addr;
    int s = seqpacket_at(path, &addr);
    if (s < 0)
        return fail("listen", "socket");
    if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return fail("listen", "bind");
    if (listen(s, 1) < 0)
        return fail("listen", "listen");
    printf("listening\n");
    fflush(stdout);
    int c = accept(s, NULL, NULL);
    if (c < 0)
        return fail("listen", "accept");
    char buf[256];
    ssize_t got = recv(c, buf, sizeof(buf) - 1, 0);
    if (got < 0)
        return fail("listen", "recv");
    buf[got] = '\0';
    printf("got: %s\n", buf);
    return 0;
}

static int connect_to(const char *path, const char *message)
{
    struct sockaddr_un addr;
    int s = seqpacket_at(path, &addr);
    if (s < 0)
        return fail("connect", "socket");
    if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return fail("connect", "connect");
    if (send(s, message, strlen(message), 0) < 0)
        return fail("connect", "send");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "handle"))
        return handle(argv[2]);
    if (argc == 5 && !strcmp(argv[1], "open-handle"))
        return open_handle(argv[2], argv[3], argv[4]);
    if (argc == 3 && !strcmp(argv[1], "listen"))
        return listen_at(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "connect"))
        return connect_to(argv[2], argv[3]);
    fprintf(stderr, "usage: sandbox-probe handle PATH | open-handle DIR TYPE HEX | listen PATH | connect PATH MESSAGE\n");
    return 2;
}
