/* native/common/closefds.c: which fds go and which stay, for a range and
 * for "to the last", through close_range and (built with
 * -DEG_CLOSEFDS_NO_CLOSE_RANGE) through the /proc/self/fd listing. */
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "closefds.h"

static int is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

/* dup2 of /dev/null onto each of fds. */
static void open_at(const int *fds, int n)
{
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(null >= 0);
    for (int i = 0; i < n; i++)
        CHECK_EQ(dup2(null, fds[i]), fds[i]);
    close(null);
}

int main(void)
{
    /* Many in a row, more than one getdents buffer's worth of names. */
    int fds[400];
    int n = 0;
    for (int fd = 20; fd < 400; fd++)
        fds[n++] = fd;
    fds[n++] = 900;
    open_at(fds, n);

    eg_close_fds(21, 50);
    CHECK(is_open(20));
    CHECK(!is_open(21) && !is_open(35) && !is_open(50));
    CHECK(is_open(51) && is_open(399) && is_open(900));

    eg_close_fds(100, -1);
    CHECK(is_open(99));
    CHECK(!is_open(100) && !is_open(250) && !is_open(399) && !is_open(900));

    /* An empty or backwards range closes nothing. */
    eg_close_fds(60, 59);
    CHECK(is_open(60));

    /* The standard streams and anything below `from` are untouched. */
    eg_close_fds(20, -1);
    CHECK(!is_open(20) && !is_open(99));
    CHECK(is_open(0) && is_open(1) && is_open(2));
    return eg_summary();
}
