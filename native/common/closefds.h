/* Closing the fds a process holds beyond the ones it means to pass on, for
 * the three places that start something across a boundary: the addon's
 * spawn (the shell, the spawn server), the spawn server (every escalated
 * command) and the sandbox's init (the shell inside bwrap). An fd their own
 * parent left open without close-on-exec would otherwise go through. */
#ifndef EXECGATE_CLOSEFDS_H
#define EXECGATE_CLOSEFDS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Closes every open fd from `from` to `to` inclusive (to < 0: to the last).
 * Safe in a vfork child: no allocation, only syscalls. close_range (Linux
 * 5.9); before it, each fd that /proc/self/fd lists; without /proc, every
 * number up to the fd limit. */
void eg_close_fds(int from, int to);

#ifdef __cplusplus
}
#endif

#endif
