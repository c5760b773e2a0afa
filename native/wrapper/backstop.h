/* The seccomp backstop, the sandbox's half (execgate.proto, "Seccomp
 * backstop"): a filter that sends every execve and execveat in the sandbox to
 * the broker as a user notification, except those that carry the exec cookie
 * (EG_EXEC_COOKIE: execs that went through the wrapper or a shim already),
 * and the cookie exec itself. */
#ifndef EXECGATE_BACKSTOP_H
#define EXECGATE_BACKSTOP_H

/* Installs the filter on the calling process, for good: everything it forks
 * and execs inherits it. Sets no_new_privs first (the kernel requires it of
 * an unprivileged filter). Checks at run time that the kernel can do what the
 * broker needs (user notifications, SECCOMP_USER_NOTIF_FLAG_CONTINUE,
 * SECCOMP_IOCTL_NOTIF_ID_VALID) before anything that stays is installed.
 *
 * Returns the listener (close-on-exec), or -1 when the kernel or the sandbox
 * refuses: then no filter that notifies anything is installed, *why is a
 * static description and *err the errno behind it (0 if none). */
int eg_backstop_install(const char **why, int *err);

/* execve(path, argv, envp) with the cookie in the fourth argument register,
 * which execve ignores: the backstop lets it through unasked. Returns only on
 * failure (-1, errno set), as execve does. */
int eg_execve_cookie(const char *path, char *const argv[], char *const envp[]);

#endif
