/* The C tests' assertions: every CHECK counts, a failure prints where and
 * carries on, and eg_summary() prints "N passed, M failed" and gives the exit
 * status. */
#ifndef EXECGATE_CHECK_H
#define EXECGATE_CHECK_H

#include <stdio.h>
#include <string.h>

static int eg_passed, eg_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            eg_passed++;                                                             \
        } else {                                                                     \
            eg_failed++;                                                             \
            fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond);       \
        }                                                                            \
    } while (0)

/* Like CHECK, with the two integers shown on failure. */
#define CHECK_EQ(a, b)                                                               \
    do {                                                                             \
        long long eg_a_ = (long long)(a), eg_b_ = (long long)(b);                    \
        if (eg_a_ == eg_b_) {                                                        \
            eg_passed++;                                                             \
        } else {                                                                     \
            eg_failed++;                                                             \
            fprintf(stderr, "%s:%d: FAILED: %s == %s (%lld != %lld)\n", __FILE__,    \
                    __LINE__, #a, #b, eg_a_, eg_b_);                                 \
        }                                                                            \
    } while (0)

/* Two byte ranges are equal. */
#define CHECK_MEM(p, n, q, m)                                                        \
    do {                                                                             \
        size_t eg_n_ = (size_t)(n), eg_m_ = (size_t)(m);                             \
        if (eg_n_ == eg_m_ && (eg_n_ == 0 || memcmp((p), (q), eg_n_) == 0)) {        \
            eg_passed++;                                                             \
        } else {                                                                     \
            eg_failed++;                                                             \
            fprintf(stderr, "%s:%d: FAILED: %s[%zu] == %s[%zu]\n", __FILE__,         \
                    __LINE__, #p, eg_n_, #q, eg_m_);                                 \
        }                                                                            \
    } while (0)

/* A C string contains another. */
#define CHECK_HAS(hay, needle)                                                       \
    do {                                                                             \
        const char *eg_h_ = (hay), *eg_s_ = (needle);                                \
        if (eg_h_ && strstr(eg_h_, eg_s_)) {                                         \
            eg_passed++;                                                             \
        } else {                                                                     \
            eg_failed++;                                                             \
            fprintf(stderr, "%s:%d: FAILED: \"%s\" in %s: got \"%s\"\n", __FILE__,   \
                    __LINE__, eg_s_, #hay, eg_h_ ? eg_h_ : "(null)");                \
        }                                                                            \
    } while (0)

static inline int eg_summary(void)
{
    printf("%d passed, %d failed\n", eg_passed, eg_failed);
    fflush(stdout);
    return eg_failed == 0 && eg_passed > 0 ? 0 : 1;
}

#endif
