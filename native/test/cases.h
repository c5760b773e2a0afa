/* Encoding the to_broker and launch cases of test/fixtures/protocol/cases.json
 * with the C codecs (the wrapper's and the launcher's): shared by codec_test
 * and encode_cases. */
#ifndef EXECGATE_TEST_CASES_H
#define EXECGATE_TEST_CASES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec.h"
#include "json.h"
#include "messages.h"

/* Holds a case's hex strings as C strings for the encoder. */
struct strings {
    char **v;
    size_t n;
};

static inline struct strings strings_of(const json *arr)
{
    struct strings s = { calloc(arr ? arr->n + 1 : 1, sizeof(char *)), arr ? arr->n : 0 };
    for (size_t i = 0; i < s.n; i++) {
        size_t len;
        s.v[i] = (char *)json_unhex(arr->items[i]->str, &len);
    }
    return s;
}

static inline void free_strings(struct strings s)
{
    for (size_t i = 0; i < s.n; i++)
        free(s.v[i]);
    free(s.v);
}

static inline eg_bytes bytes_of(const json *j, const char *key, uint8_t **keep)
{
    size_t n = 0;
    *keep = json_unhex(json_str(j, key), &n);
    eg_bytes b = { *keep, n };
    return b;
}

/* Encodes a to_broker case's input; returns the malloc'd bytes. */
static inline uint8_t *encode_case(const json *c, size_t *len)
{
    const char *message = json_str(c, "message");
    const json *in = json_get(c, "input");
    uint8_t *out = NULL;
    size_t size = 0, wrote = 0;
    if (!strcmp(message, "request") || !strcmp(message, "record")) {
        uint8_t *file, *cwd;
        struct strings argv = strings_of(json_get(in, "argv"));
        struct eg_request rq = {
            .kind = (uint32_t)json_num(in, "kind"),
            .file = bytes_of(in, "file", &file),
            .argv = argv.v,
            .argc = argv.n,
            .cwd = bytes_of(in, "cwd", &cwd),
            .pid = (uint32_t)json_num(in, "pid"),
            .stdio_follows = (int)json_num(in, "stdio_follows"),
        };
        int alone = !strcmp(message, "record"); /* the Request, not in a ToBroker */
        size = alone ? eg_request_body_size(&rq) : eg_request_size(&rq);
        out = malloc(size + 1);
        wrote = alone ? eg_encode_request_body(out, &rq) : eg_encode_request(out, &rq);
        free(file);
        free(cwd);
        free_strings(argv);
    } else if (!strcmp(message, "stdio")) {
        struct strings env = strings_of(json_get(in, "env"));
        const json *w = json_get(in, "winsize");
        struct eg_winsize ws = { (uint32_t)json_num(w, "rows"), (uint32_t)json_num(w, "cols") };
        struct eg_stdio st = {
            .env = env.v, .nenv = env.n, .tty = (int)json_num(in, "tty"),
            .winsize = w && w->type == J_OBJ ? &ws : NULL,
        };
        size = eg_stdio_size(&st);
        out = malloc(size + 1);
        wrote = eg_encode_stdio(out, &st);
        free_strings(env);
    } else if (!strcmp(message, "signal")) {
        out = malloc(EG_SMALL_MAX);
        size = wrote = eg_encode_signal(out, (uint32_t)json_num(in, "signo"));
    } else if (!strcmp(message, "resize")) {
        const json *w = json_get(in, "winsize");
        struct eg_winsize ws = { (uint32_t)json_num(w, "rows"), (uint32_t)json_num(w, "cols") };
        out = malloc(EG_SMALL_MAX);
        size = wrote = eg_encode_resize(out, &ws);
    }
    CHECK(out != NULL);
    CHECK_EQ(size, wrote);
    *len = wrote;
    return out;
}

/* Encodes a launch case's input with the launcher's encoder; returns the
 * malloc'd bytes. */
static inline uint8_t *encode_launch_case(const json *c, size_t *len)
{
    const json *in = json_get(c, "input");
    uint8_t *keep[4];
    struct strings bind = strings_of(json_get(in, "bind")), ro_bind = strings_of(json_get(in, "ro_bind")),
                   pass_env = strings_of(json_get(in, "pass_env")), env = strings_of(json_get(in, "env"));
    struct eg_launch l = {
        .label = bytes_of(in, "label", &keep[0]),
        .sandbox = bytes_of(in, "sandbox", &keep[1]),
        .cwd = bytes_of(in, "cwd", &keep[2]),
        .project = bytes_of(in, "project", &keep[3]),
        .bind = { bind.v, bind.n },
        .ro_bind = { ro_bind.v, ro_bind.n },
        .no_network = (int)json_num(in, "no_network"),
        .pass_env = { pass_env.v, pass_env.n },
        .env = { env.v, env.n },
    };
    size_t size = eg_launch_size(&l);
    uint8_t *out = malloc(size + 1);
    size_t wrote = eg_encode_launch(out, &l);
    CHECK_EQ(size, wrote);
    /* the broker tells a Launch from a JSON op by its first byte */
    CHECK(wrote == 0 || out[0] != '{');
    for (int i = 0; i < 4; i++)
        free(keep[i]);
    free_strings(bind);
    free_strings(ro_bind);
    free_strings(pass_env);
    free_strings(env);
    *len = wrote;
    return out;
}

#endif
