#include "say.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char hex[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return len;
}

/* Valid, but a terminal would act on it: C1 controls (U+0080..U+009F; CSI
 * among them) and the bidi embeddings, overrides and isolates. */
static int dangerous(const unsigned char *p, size_t len)
{
    if (len == 2)
        return p[0] == 0xc2 && p[1] <= 0x9f;
    if (len == 3 && p[0] == 0xe2)
        return (p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
               (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9);
    return 0;
}

#define UNIT_MAX 16 /* the most one unit expands to: 4 bytes as \xHH */

/* Escapes the character at p into out; returns the bytes of p consumed and
 * sets *outlen. */
static size_t unit(const unsigned char *p, size_t n, char *out, size_t *outlen)
{
    unsigned char c = p[0];
    size_t k = 0, used = 1;
    if (c >= 0x20 && c < 0x7f && c != '\\') {
        out[k++] = (char)c;
    } else if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
        out[k++] = '\\';
        out[k++] = c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
    } else {
        size_t len = c >= 0x80 ? utf8_len(p, n) : 0;
        used = len > 0 ? len : 1;
        if (len > 0 && !dangerous(p, len)) {
            memcpy(out, p, len);
            k = len;
        } else {
            /* an invalid byte alone; a dangerous sequence whole */
            for (size_t i = 0; i < used; i++) {
                out[k++] = '\\';
                out[k++] = 'x';
                out[k++] = hex[p[i] >> 4];
                out[k++] = hex[p[i] & 15];
            }
        }
    }
    *outlen = k;
    return used;
}

size_t eg_escape(char *out, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t o = 0, k;
    while (n > 0) {
        size_t used = unit(s, n, out + o, &k);
        s += used;
        n -= used;
        o += k;
    }
    return o;
}

static void flush(struct eg_say *s)
{
    const char *p = s->buf;
    size_t n = s->n;
    while (n > 0) {
        ssize_t w = write(s->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nowhere to complain to */
        p += w;
        n -= (size_t)w;
    }
    s->n = 0;
}

void eg_say_begin(struct eg_say *s, int fd)
{
    s->fd = fd;
    s->n = 0;
    eg_say_str(s, "execgate: ");
}

void eg_say_str(struct eg_say *s, const char *text)
{
    size_t n = strlen(text);
    while (n > 0) {
        if (s->n == sizeof(s->buf))
            flush(s);
        size_t room = sizeof(s->buf) - s->n, k = n < room ? n : room;
        memcpy(s->buf + s->n, text, k);
        s->n += k;
        text += k;
        n -= k;
    }
}

void eg_say_esc(struct eg_say *s, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t k;
    while (n > 0) {
        if (sizeof(s->buf) - s->n < UNIT_MAX)
            flush(s);
        size_t used = unit(b, n, s->buf + s->n, &k);
        s->n += k;
        b += used;
        n -= used;
    }
}

void eg_say_cstr(struct eg_say *s, const char *untrusted)
{
    eg_say_esc(s, untrusted, strlen(untrusted));
}

void eg_say_num(struct eg_say *s, uint64_t v)
{
    char d[24];
    size_t i = sizeof(d) - 1;
    d[i] = '\0';
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    eg_say_str(s, d + i);
}

void eg_say_end(struct eg_say *s)
{
    eg_say_str(s, "\n");
    flush(s);
}

void eg_die(int status, const char *what, const char *why)
{
    struct eg_say s;
    eg_say_begin(&s, 2);
    eg_say_str(&s, what);
    if (why) {
        eg_say_str(&s, ": ");
        eg_say_str(&s, why);
    }
    eg_say_end(&s);
    exit(status);
}
