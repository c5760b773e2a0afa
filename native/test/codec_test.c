/* The C codecs (the wrapper's session messages, the launcher's Launch and
 * Launched) against protobufjs's bytes (test/fixtures/protocol, written by
 * scripts/gen-protocol-fixtures.mjs), plus round trips, malformed input, a
 * small fuzz, env_allow matching and message escaping.
 *
 *   codec_test [FIXTURES_DIR]   */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec.h"
#include "cases.h"
#include "json.h"
#include "messages.h"
#include "say.h"
#include "util.h"

#ifndef EG_FIXTURES_DIR
#define EG_FIXTURES_DIR "test/fixtures/protocol"
#endif

static const char *fixtures = EG_FIXTURES_DIR;

static uint8_t *fixture(const char *name, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.bin", fixtures, name);
    uint8_t *b = read_file(path, n);
    if (!b)
        fprintf(stderr, "cannot read %s\n", path);
    return b;
}

static int which_of(const char *s)
{
    if (!s)
        return -1;
    if (!strcmp(s, "none")) return EG_MSG_NONE;
    if (!strcmp(s, "decision")) return EG_MSG_DECISION;
    if (!strcmp(s, "send_stdio")) return EG_MSG_SEND_STDIO;
    if (!strcmp(s, "exit")) return EG_MSG_EXIT;
    return -1;
}

static void check_to_wrapper(const char *name, const json *expect)
{
    size_t n;
    uint8_t *bin = fixture(name, &n);
    CHECK(bin != NULL);
    if (!bin)
        return;
    struct eg_to_wrapper m;
    const char *err = NULL;
    int rc = eg_decode_to_wrapper(bin, n, &m, &err);
    if (json_num(expect, "error")) {
        if (rc != -1)
            fprintf(stderr, "%s: accepted, should be rejected (%s)\n", name, json_str(expect, "why"));
        CHECK_EQ(rc, -1);
        CHECK(err != NULL && *err != '\0');
        free(bin);
        return;
    }
    if (rc != 0)
        fprintf(stderr, "%s: rejected: %s\n", name, err);
    CHECK_EQ(rc, 0);
    CHECK_EQ(m.which, which_of(json_str(expect, "which")));
    if (m.which == EG_MSG_DECISION) {
        CHECK_EQ(m.action, json_num(expect, "action"));
        size_t rn;
        uint8_t *reason = json_unhex(json_str(expect, "reason"), &rn);
        CHECK_MEM(m.reason.p, m.reason.n, reason, rn);
        free(reason);
    }
    if (m.which == EG_MSG_EXIT) {
        CHECK_EQ(m.code, json_num(expect, "code"));
        CHECK_EQ(m.signal, json_num(expect, "signal"));
    }
    if (m.which == EG_MSG_SEND_STDIO) {
        const json *allow = json_get(expect, "env_allow");
        size_t pos = 0, i = 0;
        eg_bytes pattern;
        while (eg_next_allow(m.send_stdio, &pos, &pattern)) {
            CHECK(allow && i < allow->n);
            if (!allow || i >= allow->n)
                break;
            size_t pn;
            uint8_t *want = json_unhex(allow->items[i]->str, &pn);
            CHECK_MEM(pattern.p, pattern.n, want, pn);
            free(want);
            i++;
        }
        CHECK_EQ(i, allow ? allow->n : 0);
    }
    free(bin);
}

static void check_to_broker(const char *name, const json *c)
{
    size_t n, len;
    uint8_t *bin = fixture(name, &n);
    CHECK(bin != NULL);
    uint8_t *enc = encode_case(c, &len);
    if (bin && enc && (n != len || memcmp(bin, enc, n) != 0))
        fprintf(stderr, "%s: the C encoding differs from protobufjs's\n", name);
    CHECK_MEM(enc, len, bin, n);
    free(bin);
    free(enc);
}

/* Each item of a repeated Launched field against a list of hex strings. */
static void check_launched_list(const struct eg_launched *m, uint32_t field, size_t count, const json *want)
{
    size_t pos = 0, i = 0;
    eg_bytes item;
    while (eg_launched_next(m, field, &pos, &item)) {
        CHECK(want && i < want->n);
        if (!want || i >= want->n)
            break;
        size_t wn;
        uint8_t *w = json_unhex(want->items[i]->str, &wn);
        CHECK_MEM(item.p, item.n, w, wn);
        free(w);
        i++;
    }
    CHECK_EQ(i, want ? want->n : 0);
    CHECK_EQ(count, i);
}

static void check_bytes(eg_bytes got, const json *expect, const char *key)
{
    size_t n;
    uint8_t *want = json_unhex(json_str(expect, key), &n);
    CHECK_MEM(got.p, got.n, want, n);
    free(want);
}

static void check_launched(const char *name, const json *expect)
{
    size_t n;
    uint8_t *bin = fixture(name, &n);
    CHECK(bin != NULL);
    if (!bin)
        return;
    struct eg_launched m;
    const char *err = NULL;
    int rc = eg_decode_launched(n ? bin : NULL, n, &m, &err);
    if (json_num(expect, "error")) {
        if (rc != -1)
            fprintf(stderr, "%s: accepted, should be rejected (%s)\n", name, json_str(expect, "why"));
        CHECK_EQ(rc, -1);
        CHECK(err != NULL && *err != '\0');
        free(bin);
        return;
    }
    if (rc != 0)
        fprintf(stderr, "%s: rejected: %s\n", name, err);
    CHECK_EQ(rc, 0);
    check_bytes(m.error, expect, "refusal");
    check_bytes(m.session_id, expect, "session_id");
    check_bytes(m.file, expect, "file");
    check_launched_list(&m, EG_LAUNCHED_ARGV, m.nargv, json_get(expect, "argv"));
    check_launched_list(&m, EG_LAUNCHED_SET_ENV, m.nset_env, json_get(expect, "set_env"));
    check_launched_list(&m, EG_LAUNCHED_UNSET_ENV, m.nunset_env, json_get(expect, "unset_env"));
    free(bin);
}

static void check_launch(const char *name, const json *c)
{
    size_t n, len;
    uint8_t *bin = fixture(name, &n);
    CHECK(bin != NULL);
    uint8_t *enc = encode_launch_case(c, &len);
    if (bin && enc && (n != len || memcmp(bin, enc, n) != 0))
        fprintf(stderr, "%s: the C encoding differs from protobufjs's\n", name);
    CHECK_MEM(enc, len, bin, n);
    free(bin);
    free(enc);
}

/* Every fixture decodes as cases.json says; every to_broker input encodes to
 * the fixture's bytes. Also: no case is forgotten (each .bin is checked). */
static void test_fixtures(void)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/cases.json", fixtures);
    size_t n;
    char *text = (char *)read_file(path, &n);
    CHECK(text != NULL);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", path);
        return;
    }
    json *root = json_parse(text);
    const json *cases = json_get(root, "cases");
    CHECK(cases && cases->type == J_ARR && cases->n > 40);
    size_t wrapper = 0, broker = 0, launches = 0, answers = 0;
    for (size_t i = 0; cases && i < cases->n; i++) {
        const json *c = cases->items[i];
        const char *name = json_str(c, "name"), *dir = json_str(c, "dir");
        CHECK(name && dir);
        if (!name || !dir)
            continue;
        if (!strcmp(dir, "to_wrapper")) {
            check_to_wrapper(name, json_get(c, "expect"));
            wrapper++;
        } else if (!strcmp(dir, "to_broker")) {
            check_to_broker(name, c);
            broker++;
        } else if (!strcmp(dir, "launch")) {
            check_launch(name, c);
            launches++;
        } else if (!strcmp(dir, "launched")) {
            check_launched(name, json_get(c, "expect"));
            answers++;
        } else {
            CHECK(!"unknown dir");
        }
    }
    CHECK(wrapper > 30);
    CHECK(broker > 10);
    CHECK(launches >= 5);
    CHECK(answers >= 10);
    json_free(root);
    free(text);
}

/* Walks every repeated field of a decoded Launched: each item inside the
 * buffer, as many as counted. */
static void walk_launched(const struct eg_launched *l, const uint8_t *buf, size_t len)
{
    static const uint32_t fields[] = { EG_LAUNCHED_ARGV, EG_LAUNCHED_SET_ENV, EG_LAUNCHED_UNSET_ENV };
    const size_t counts[] = { l->nargv, l->nset_env, l->nunset_env };
    for (size_t k = 0; k < 3; k++) {
        size_t pos = 0, seen = 0;
        eg_bytes item;
        while (eg_launched_next(l, fields[k], &pos, &item)) {
            if (item.n)
                CHECK(item.p >= buf && item.p + item.n <= buf + len);
            seen++;
        }
        CHECK_EQ(seen, counts[k]);
    }
}

/* Every prefix and every single-bit flip of every fixture decodes or is
 * rejected, never crashes (run under ASan/UBSan by run-sanitized.sh). */
static void test_mutations(void)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/cases.json", fixtures);
    size_t n;
    char *text = (char *)read_file(path, &n);
    json *root = text ? json_parse(text) : NULL;
    const json *cases = json_get(root, "cases");
    long decoded = 0, rejected = 0;
    for (size_t i = 0; cases && i < cases->n; i++) {
        size_t len;
        uint8_t *bin = fixture(json_str(cases->items[i], "name"), &len);
        if (!bin || len > 4096) { /* the long ones add time, not coverage */
            free(bin);
            continue;
        }
        struct eg_to_wrapper m;
        struct eg_launched l;
        const char *err;
        for (size_t cut = 0; cut <= len; cut++) {
            uint8_t *prefix = malloc(cut + 1);
            if (cut)
                memcpy(prefix, bin, cut);
            if (eg_decode_to_wrapper(cut ? prefix : NULL, cut, &m, &err) == 0)
                decoded++;
            else
                rejected++;
            if (eg_decode_launched(cut ? prefix : NULL, cut, &l, &err) == 0)
                walk_launched(&l, cut ? prefix : NULL, cut);
            free(prefix);
        }
        for (size_t bit = 0; bit < len * 8; bit++) {
            bin[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (eg_decode_to_wrapper(bin, len, &m, &err) == 0)
                decoded++;
            else
                rejected++;
            if (eg_decode_launched(bin, len, &l, &err) == 0)
                walk_launched(&l, bin, len);
            bin[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        free(bin);
    }
    json_free(root);
    free(text);
    CHECK(decoded > 0);
    CHECK(rejected > 0);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random bytes, biased towards what parsers trip on. */
static void test_fuzz(void)
{
    long ok = 0, bad = 0;
    static const uint8_t interesting[] = { 0x00, 0x01, 0x02, 0x03, 0x05, 0x08, 0x0a, 0x12, 0x1a,
                                           0x10, 0x7f, 0x80, 0xff, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
    for (int round = 0; round < 200000; round++) {
        size_t len = (size_t)(next_rand() % 48);
        uint8_t *buf = malloc(len + 1);
        for (size_t i = 0; i < len; i++) {
            uint64_t r = next_rand();
            buf[i] = (r & 1) ? interesting[(r >> 8) % sizeof(interesting)] : (uint8_t)(r >> 16);
        }
        struct eg_to_wrapper m;
        struct eg_launched l;
        const char *err = NULL;
        if (eg_decode_launched(buf, len, &l, &err) == 0)
            walk_launched(&l, buf, len);
        else
            CHECK(err != NULL);
        err = NULL;
        if (eg_decode_to_wrapper(buf, len, &m, &err) == 0) {
            ok++;
            if (m.which == EG_MSG_SEND_STDIO) {
                size_t pos = 0;
                eg_bytes p;
                while (eg_next_allow(m.send_stdio, &pos, &p))
                    CHECK(p.p >= buf && p.p + p.n <= buf + len);
            }
            if (m.which == EG_MSG_DECISION && m.reason.n)
                CHECK(m.reason.p >= buf && m.reason.p + m.reason.n <= buf + len);
        } else {
            bad++;
            if (!err) {
                CHECK(err != NULL);
                break;
            }
        }
        free(buf);
    }
    CHECK(ok > 1000);
    CHECK(bad > 1000);
}

/* A table of inputs that must be rejected, written out by hand (the
 * fixtures hold more). */
static void test_malformed(void)
{
    static const struct {
        const char *what;
        size_t n;
        uint8_t b[16];
    } bad[] = {
        { "lone continuation", 1, { 0x80 } },
        { "tag then nothing for a varint", 1, { 0x08 } },
        { "decision length 1, empty", 1, { 0x0a } },
        { "decision length past end", 3, { 0x0a, 0x02, 0x08 } },
        { "11-byte varint", 12, { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
        { "10th byte 0x02", 11, { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 } },
        { "10th byte 0x7f", 11, { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f } },
        { "group start", 2, { 0x0b, 0x0c } },
        { "group end", 1, { 0x0c } },
        { "wire type 6", 2, { 0x0e, 0x00 } },
        { "wire type 7", 2, { 0x0f, 0x00 } },
        { "field 0 varint", 2, { 0x00, 0x01 } },
        { "field 0 len", 2, { 0x02, 0x00 } },
        { "fixed64 short", 5, { 0x09, 1, 2, 3, 4 } },
        { "fixed32 short", 4, { 0x0d, 1, 2, 3 } },
        { "exit as varint", 2, { 0x18, 0x01 } },
        { "send_stdio as fixed32", 5, { 0x15, 0, 0, 0, 0 } },
        { "action as fixed64", 11, { 0x0a, 0x09, 0x09, 1, 0, 0, 0, 0, 0, 0, 0 } },
        { "reason as varint", 4, { 0x0a, 0x02, 0x10, 0x01 } },
        { "env_allow as varint", 4, { 0x12, 0x02, 0x08, 0x01 } },
        { "exit.signal as bytes", 5, { 0x1a, 0x03, 0x12, 0x01, 0x00 } },
        { "nested group", 4, { 0x1a, 0x02, 0x23, 0x24 } },
        { "nested length past parent", 6, { 0x0a, 0x03, 0x12, 0x05, 0x61, 0x62 } },
        { "tag 2^32", 6, { 0x80, 0x80, 0x80, 0x80, 0x10, 0x00 } },
        { "length 2^64-1", 11, { 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t *copy = malloc(bad[i].n);
        memcpy(copy, bad[i].b, bad[i].n);
        struct eg_to_wrapper m;
        const char *err = NULL;
        int rc = eg_decode_to_wrapper(copy, bad[i].n, &m, &err);
        if (rc != -1)
            fprintf(stderr, "malformed accepted: %s\n", bad[i].what);
        CHECK_EQ(rc, -1);
        CHECK(err != NULL);
        free(copy);
    }
}

static void test_varints(void)
{
    static const struct {
        uint64_t v;
        size_t size;
    } t[] = {
        { 0, 1 }, { 1, 1 }, { 127, 1 }, { 128, 2 }, { 16383, 2 }, { 16384, 3 },
        { UINT32_MAX, 5 }, { (uint64_t)1 << 35, 6 }, { (uint64_t)1 << 63, 10 }, { UINT64_MAX, 10 },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint8_t buf[16];
        CHECK_EQ(eg_varint_size(t[i].v), t[i].size);
        size_t n = (size_t)(eg_put_varint(buf + 1, t[i].v) - buf) - 1;
        CHECK_EQ(n, t[i].size);
        /* read back as the value of a field 1 varint */
        buf[0] = 0x08;
        eg_reader r = { buf, buf + 1 + n };
        eg_field f;
        const char *err;
        CHECK_EQ(eg_next_field(&r, &f, &err), 1);
        CHECK(f.v == t[i].v);
        CHECK_EQ(f.num, 1);
        CHECK_EQ(eg_next_field(&r, &f, &err), 0);
    }
    /* the largest field number */
    uint8_t buf[16];
    uint8_t *end = eg_put_tag(buf, 536870911, EG_WT_I32);
    memset(end, 0xab, 4);
    eg_reader r = { buf, end + 4 };
    eg_field f;
    const char *err;
    CHECK_EQ(eg_next_field(&r, &f, &err), 1);
    CHECK_EQ(f.num, 536870911);
    CHECK_EQ(f.wt, EG_WT_I32);
    CHECK(f.v == 0xababababu);
}

/* ToWrapper messages built with the primitives decode to what went in. */
static void test_roundtrip_to_wrapper(void)
{
    static const int32_t actions[] = { 0, 1, 2, 3, 4, -1, INT32_MAX, INT32_MIN };
    static const int32_t codes[] = { 0, 1, 7, 255, 256, -1, INT32_MAX, INT32_MIN };
    static const uint32_t signals[] = { 0, 1, 2, 15, 64, 65, UINT32_MAX };
    uint8_t inner[256], outer[300];
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        /* int32 on the wire: negative values sign-extended to 64 bits */
        uint8_t *p = eg_put_varint(eg_put_tag(inner, 1, EG_WT_VARINT), (uint64_t)(int64_t)actions[i]);
        p = eg_put_bytes(p, 2, "some reason", 11);
        uint8_t *q = eg_put_bytes(outer, 1, inner, (size_t)(p - inner));
        struct eg_to_wrapper m;
        const char *err;
        CHECK_EQ(eg_decode_to_wrapper(outer, (size_t)(q - outer), &m, &err), 0);
        CHECK_EQ(m.which, EG_MSG_DECISION);
        CHECK_EQ(m.action, actions[i]);
        CHECK_MEM(m.reason.p, m.reason.n, "some reason", 11);
    }
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        for (size_t k = 0; k < sizeof(signals) / sizeof(signals[0]); k++) {
            uint8_t *p = eg_put_varint(eg_put_tag(inner, 1, EG_WT_VARINT), (uint64_t)(int64_t)codes[i]);
            p = eg_put_varint(eg_put_tag(p, 2, EG_WT_VARINT), signals[k]);
            uint8_t *q = eg_put_bytes(outer, 3, inner, (size_t)(p - inner));
            struct eg_to_wrapper m;
            const char *err;
            CHECK_EQ(eg_decode_to_wrapper(outer, (size_t)(q - outer), &m, &err), 0);
            CHECK_EQ(m.which, EG_MSG_EXIT);
            CHECK_EQ(m.code, codes[i]);
            CHECK_EQ(m.signal, signals[k]);
        }
    }
}

/* Requests with random argv encode to exactly their size and read back. */
static void test_roundtrip_request(void)
{
    for (int round = 0; round < 300; round++) {
        size_t argc = (size_t)(next_rand() % 40);
        char **argv = calloc(argc + 1, sizeof(char *));
        for (size_t i = 0; i < argc; i++) {
            size_t len = (size_t)(next_rand() % (round % 10 == 0 ? 20000 : 200));
            argv[i] = malloc(len + 1);
            for (size_t k = 0; k < len; k++)
                argv[i][k] = (char)(1 + next_rand() % 255); /* never NUL */
            argv[i][len] = '\0';
        }
        char cwd[] = "/some/where";
        struct eg_request rq = {
            .kind = (uint32_t)(next_rand() % 3), .file = { (const uint8_t *)"/bin/x", round % 7 ? 6u : 0u },
            .argv = argv, .argc = argc, .cwd = { (const uint8_t *)cwd, round % 5 ? strlen(cwd) : 0 },
            .pid = (uint32_t)next_rand(),
        };
        size_t size = eg_request_size(&rq);
        uint8_t *buf = malloc(size);
        CHECK_EQ(eg_encode_request(buf, &rq), size);

        eg_reader top = { buf, buf + size };
        eg_field f;
        const char *err;
        CHECK_EQ(eg_next_field(&top, &f, &err), 1);
        CHECK_EQ(f.num, 1);
        CHECK_EQ(f.wt, EG_WT_LEN);
        CHECK_EQ(eg_next_field(&top, &f, &err), 0);
        eg_reader r = { f.b.p, f.b.p + f.b.n };
        size_t seen = 0;
        uint32_t kind = 0, pid = 0;
        eg_bytes file = { NULL, 0 }, dir = { NULL, 0 };
        int rc;
        while ((rc = eg_next_field(&r, &f, &err)) > 0) {
            if (f.num == 1) kind = (uint32_t)f.v;
            if (f.num == 2) file = f.b;
            if (f.num == 4) dir = f.b;
            if (f.num == 5) pid = (uint32_t)f.v;
            if (f.num == 3) {
                CHECK(seen < argc);
                if (seen < argc)
                    CHECK_MEM(f.b.p, f.b.n, argv[seen], strlen(argv[seen]));
                seen++;
            }
        }
        CHECK_EQ(rc, 0);
        CHECK_EQ(seen, argc);
        CHECK_EQ(kind, rq.kind);
        CHECK_EQ(pid, rq.pid);
        CHECK_MEM(file.p, file.n, rq.file.p, rq.file.n);
        CHECK_MEM(dir.p, dir.n, rq.cwd.p, rq.cwd.n);
        for (size_t i = 0; i < argc; i++)
            free(argv[i]);
        free(argv);
        free(buf);
    }
}

/* Whatever a Launch holds, its first byte is the tag of its first field
 * present, never '{' (which the broker reads as the start of a JSON op). */
static void test_launch_first_byte(void)
{
    static char a[] = "a", empty[] = "";
    static char *one[] = { a }, *blank[] = { empty };
    for (unsigned mask = 0; mask < (1u << 9); mask++) {
        for (int with_empty = 0; with_empty <= 1; with_empty++) {
            char **list = with_empty ? blank : one;
            eg_bytes x = { (const uint8_t *)"x", 1 };
            eg_bytes none = { NULL, 0 };
            struct eg_launch l = {
                .label = mask & 1 ? x : none,
                .sandbox = mask & 2 ? x : none,
                .cwd = mask & 4 ? x : none,
                .project = mask & 8 ? x : none,
                .bind = { list, mask & 16 ? 1u : 0u },
                .ro_bind = { list, mask & 32 ? 1u : 0u },
                .no_network = (mask & 64) != 0,
                .pass_env = { list, mask & 128 ? 1u : 0u },
                .env = { list, mask & 256 ? 1u : 0u },
            };
            uint8_t buf[64];
            size_t n = eg_launch_size(&l);
            CHECK(n < sizeof(buf));
            CHECK_EQ(eg_encode_launch(buf, &l), n);
            CHECK_EQ(n == 0, mask == 0);
            if (n > 0) {
                unsigned first = 0;
                while (!(mask & (1u << first)))
                    first++;
                CHECK_EQ(buf[0] >> 3, first + 1);
                CHECK(buf[0] != '{');
            }
        }
    }
}

static void test_next_allow(void)
{
    /* unknown fields between the patterns are skipped */
    uint8_t buf[64];
    uint8_t *p = eg_put_bytes(buf, 1, "A", 1);
    p = eg_put_varint(eg_put_tag(p, 7, EG_WT_VARINT), 300);
    p = eg_put_bytes(p, 1, "B*", 2);
    p = eg_put_bytes(p, 9, "skip", 4);
    p = eg_put_bytes(p, 1, "", 0);
    eg_bytes body = { buf, (size_t)(p - buf) };
    size_t pos = 0;
    eg_bytes pat;
    CHECK_EQ(eg_next_allow(body, &pos, &pat), 1);
    CHECK_MEM(pat.p, pat.n, "A", 1);
    CHECK_EQ(eg_next_allow(body, &pos, &pat), 1);
    CHECK_MEM(pat.p, pat.n, "B*", 2);
    CHECK_EQ(eg_next_allow(body, &pos, &pat), 1);
    CHECK_EQ(pat.n, 0);
    CHECK_EQ(eg_next_allow(body, &pos, &pat), 0);
    CHECK_EQ(eg_next_allow(body, &pos, &pat), 0);
    eg_bytes empty = { NULL, 0 };
    pos = 0;
    CHECK_EQ(eg_next_allow(empty, &pos, &pat), 0);
}

static void test_env_match(void)
{
    static const struct {
        const char *entry, *pattern;
        int match;
    } t[] = {
        { "TERM=xterm", "TERM", 1 },
        { "TERM=", "TERM", 1 },
        { "TERMINFO=/x", "TERM", 0 },
        { "TER=x", "TERM", 0 },
        { "TERM=x", "TERM=x", 0 },
        { "TERM=x", "TERM*", 1 },
        { "TERMINFO=/x", "TERM*", 1 },
        { "LC_ALL=C", "LC_*", 1 },
        { "LC_=C", "LC_*", 1 },
        { "LC=C", "LC_*", 0 },
        { "LANG=C", "LC_*", 0 },
        { "ANY=1", "*", 1 },
        { "=1", "*", 0 },
        { "=1", "", 0 },
        { "NOEQUALS", "NOEQUALS", 0 },
        { "NOEQUALS", "*", 0 },
        { "A=b=c", "A", 1 },
        { "A=b=c", "A=b", 0 },
        { "lower=1", "LOWER", 0 },
        { "X=1", "", 0 },
        { "X*=1", "X*", 1 }, /* a name may hold '*'; as a pattern it is a prefix */
        { "**=1", "**", 1 },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        eg_bytes pat = { (const uint8_t *)t[i].pattern, strlen(t[i].pattern) };
        int got = eg_env_match(t[i].entry, pat);
        if (got != t[i].match)
            fprintf(stderr, "env match %s ~ %s: got %d\n", t[i].entry, t[i].pattern, got);
        CHECK_EQ(got, t[i].match);
    }
}

static void test_escape(void)
{
    static const struct {
        const char *in, *out;
    } t[] = {
        { "plain text", "plain text" },
        { "", "" },
        { "a\\b", "a\\\\b" },
        { "line\nnext\r\t", "line\\nnext\\r\\t" },
        { "\x1b[2J\x07", "\\x1b[2J\\x07" },
        { "\x7f", "\\x7f" },
        { "caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80" }, /* valid UTF-8 passes */
        { "\xc2\x9b" "31m", "\\xc2\\x9b31m" },                            /* U+009B CSI */
        { "\x9b", "\\x9b" },                                               /* raw C1 byte */
        { "\xff\xfe", "\\xff\\xfe" },
        { "\xc3\x28", "\\xc3(" },                                          /* bad continuation */
        { "\xe2\x82", "\\xe2\\x82" },                                      /* cut short */
        { "\xc0\xaf", "\\xc0\\xaf" },                                      /* overlong */
        { "\xed\xa0\x80", "\\xed\\xa0\\x80" },                             /* surrogate */
        { "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },                    /* above U+10FFFF */
        { "a\xe2\x80\xae" "b", "a\\xe2\\x80\\xaeb" },                         /* RLO */
        { "\xe2\x81\xa6", "\\xe2\\x81\\xa6" },                             /* LRI */
        { "\xe2\x80\x94", "\xe2\x80\x94" },                                /* em dash passes */
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char out[256];
        size_t n = eg_escape(out, t[i].in, strlen(t[i].in));
        out[n] = '\0';
        if (strcmp(out, t[i].out) != 0)
            fprintf(stderr, "escape case %zu: got \"%s\"\n", i, out);
        CHECK(strcmp(out, t[i].out) == 0);
    }
    /* a NUL byte inside a reason is escaped too */
    char out[16];
    size_t n = eg_escape(out, "a\0b", 3);
    CHECK_MEM(out, n, "a\\x00b", 6);
    /* every byte value, alone, escapes without crashing or passing a control */
    for (int c = 0; c < 256; c++) {
        unsigned char in = (unsigned char)c;
        n = eg_escape(out, &in, 1);
        CHECK(n >= 1 && n <= 4);
        for (size_t k = 0; k < n; k++)
            CHECK((unsigned char)out[k] >= 0x20 && (unsigned char)out[k] < 0x7f);
    }
}

/* eg_say in pieces longer than its buffer: what reaches the fd is the whole
 * escaped text, once. */
static void test_say(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    static char big[5000];
    for (size_t i = 0; i < sizeof(big) - 1; i++)
        big[i] = (char)(i % 3 == 0 ? '\x1b' : 'a' + (char)(i % 26));
    big[sizeof(big) - 1] = '\0';
    struct eg_say s;
    eg_say_begin(&s, p[1]);
    eg_say_str(&s, "denied: ");
    eg_say_cstr(&s, big);
    eg_say_str(&s, ": ");
    eg_say_num(&s, 18446744073709551615u);
    eg_say_end(&s);
    close(p[1]);
    static char got[40000];
    size_t n = 0;
    ssize_t r;
    while ((r = read(p[0], got + n, sizeof(got) - 1 - n)) > 0)
        n += (size_t)r;
    got[n] = '\0';
    close(p[0]);
    static char want[40000];
    size_t w = (size_t)snprintf(want, sizeof(want), "execgate: denied: ");
    w += eg_escape(want + w, big, strlen(big));
    w += (size_t)snprintf(want + w, sizeof(want) - w, ": 18446744073709551615\n");
    CHECK_MEM(got, n, want, w);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        fixtures = argv[1];
    test_fixtures();
    test_mutations();
    test_fuzz();
    test_malformed();
    test_varints();
    test_roundtrip_to_wrapper();
    test_roundtrip_request();
    test_launch_first_byte();
    test_next_allow();
    test_env_match();
    test_escape();
    test_say();
    return eg_summary();
}
