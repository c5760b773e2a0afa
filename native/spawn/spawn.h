#ifndef EXECGATE_SPAWN_H
#define EXECGATE_SPAWN_H

/* Every signal back to its default disposition, none blocked. */
void reset_signals(void);
/* One line on stderr, then _exit(status). */
void die(int status, const char *what, const char *detail) __attribute__((noreturn));
/* Runs the command on a new pseudo-terminal and relays it to the caller's
 * terminal fds; returns (exits) with the command's status. */
int run_on_pty(const char *file, char **argv, char **envp, const char *cwd,
               unsigned short rows, unsigned short cols, int ctl);

#endif
