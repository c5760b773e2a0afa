#ifndef EXECGATE_SPAWN_H
#define EXECGATE_SPAWN_H

/* Every signal back to its default disposition, none blocked. */
void reset_signals(void);
/* One line on stderr, then _exit(status). */
void die(int status, const char *what, const char *detail) __attribute__((noreturn));
/* Runs the command as our child, in a process group of its own, and exits
 * with its status. rows and cols > 0: on a new pseudo-terminal, relayed to
 * the caller's terminal fds. closed_mask: bit i, fd i is closed for the
 * command (the caller's was). ctl: the broker's control socket. */
int supervise(const char *file, char **argv, char **envp, const char *cwd,
              unsigned short rows, unsigned short cols, int closed_mask, int ctl);

#endif
