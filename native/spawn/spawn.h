#ifndef EXECGATE_SPAWN_H
#define EXECGATE_SPAWN_H

/* main.c documents the protocol these implement. */

/* fds that arrive with the spec, in this order: the pinned working
 * directory, then the caller's stdin, stdout, stderr. */
#define SPEC_FDS 4
#define SPEC_FD_CWD 0

/* One command, as the broker decided it (spec.c reads it). */
struct spawn_spec {
    const char *file;
    /* The program file's identity when it was approved: st_dev, st_ino. */
    unsigned long long dev, ino;
    /* > 0: the command gets a pty of this size (the caller's stdin is a terminal). */
    unsigned short rows, cols;
    /* Bit i: fd i is closed for the command (the caller's was). */
    int closed_mask;
    char **argv;
    char **envp;
};

/* Reads the spec from the control channel: the fds that ride on its first
 * byte into fds[SPEC_FDS], then the bytes. 0; -1 with *why set when the
 * spec is bad (the fds are the caller's: errors can go to the caller's
 * stderr); -2 when the fds did not come (none left open); -3 when the
 * channel ended before its first byte (a spare the broker closed unused).
 * The strings point into one allocation that lives as long as the process. */
int read_spec(int ctl, int fds[SPEC_FDS], struct spawn_spec *spec, const char **why);

/* The supervisor of one command, forked by the server: forks the command's
 * process at once, which reads the spec on ctl and execs; reports on ctl,
 * exits. done: for a spare, the write end of the server's `taken` pipe,
 * written and closed once the command has exec'd (or is gone); else -1. */
void supervisor_main(int ctl, int done) __attribute__((noreturn));

/* Every signal back to its default disposition, none blocked (the server,
 * once, at its start). */
void reset_signals(void);

#endif
