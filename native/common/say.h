/* One-line messages on stderr without stdio: built in a small buffer, written
 * with as few write(2) calls as the length allows, bytes the agent controls
 * escaped so that they cannot drive the terminal. */
#ifndef EXECGATE_SAY_H
#define EXECGATE_SAY_H

#include <stddef.h>
#include <stdint.h>

struct eg_say {
    int fd;
    size_t n;
    char buf[1024];
};

/* Starts a message "execgate: " on fd. */
void eg_say_begin(struct eg_say *s, int fd);
/* Appends trusted text (our own string constants, strerror). */
void eg_say_str(struct eg_say *s, const char *text);
/* Appends untrusted bytes, escaped: printable ASCII and valid UTF-8 pass,
 * '\\' doubles, \n \r \t are spelled so, every other control character (C0,
 * DEL, C1), Unicode bidi override and any byte that is not valid UTF-8
 * becomes \xHH. */
void eg_say_esc(struct eg_say *s, const void *p, size_t n);
void eg_say_cstr(struct eg_say *s, const char *untrusted);
void eg_say_num(struct eg_say *s, uint64_t v);
/* Appends the newline and writes everything out. */
void eg_say_end(struct eg_say *s);

/* Says "execgate: WHAT[: WHY]" on stderr (both our own text) and exits with
 * status: how the wrapper and the launcher fail. */
void eg_die(int status, const char *what, const char *why) __attribute__((noreturn));

/* Escapes p[0..n) into out (room for at least 4*n bytes); returns its length. */
size_t eg_escape(char *out, const void *p, size_t n);

#endif
