/* Prints the C codecs' encoding of known messages, one "NAME HEX" line each,
 * for test/native/protocol-fixtures.test.ts to decode with protobufjs: every
 * to_broker and launch case of cases.json, plus two generated here (the TS
 * test builds the same inputs):
 *   gen_seq     Request{file "/bin/echo", argv ["echo", "1" .. "100000"],
 *               cwd "/tmp", pid 123}: `echo $(seq 1 100000)`
 *   gen_bytes   Request{kind RUN, file "x", argv [each byte 1..255 alone,
 *               then all of them in one], pid 4294967295}
 *
 *   encode_cases [FIXTURES_DIR] */
#include <stdio.h>

#include "cases.h"
#include "util.h"

#ifndef EG_FIXTURES_DIR
#define EG_FIXTURES_DIR "test/fixtures/protocol"
#endif

static void print(const char *name, const uint8_t *p, size_t n)
{
    printf("%s ", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    putchar('\n');
}

static void print_request(const char *name, const struct eg_request *rq)
{
    size_t size = eg_request_size(rq);
    uint8_t *buf = malloc(size + 1);
    size_t n = eg_encode_request(buf, rq);
    CHECK_EQ(n, size);
    print(name, buf, n);
    free(buf);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : EG_FIXTURES_DIR;
    char path[4096];
    snprintf(path, sizeof(path), "%s/cases.json", dir);
    size_t n;
    char *text = (char *)read_file(path, &n);
    json *root = text ? json_parse(text) : NULL;
    const json *cases = json_get(root, "cases");
    if (!cases) {
        fprintf(stderr, "encode_cases: cannot read %s\n", path);
        return 2;
    }
    for (size_t i = 0; i < cases->n; i++) {
        const json *c = cases->items[i];
        const char *dirname = json_str(c, "dir");
        int launch = dirname && strcmp(dirname, "launch") == 0;
        if (!dirname || (strcmp(dirname, "to_broker") != 0 && !launch))
            continue;
        size_t len;
        uint8_t *enc = launch ? encode_launch_case(c, &len) : encode_case(c, &len);
        print(json_str(c, "name"), enc, len);
        free(enc);
    }

    enum { SEQ = 100000 };
    static char nums[SEQ][8];
    static char *seq[SEQ + 1];
    seq[0] = "echo";
    for (int i = 1; i <= SEQ; i++) {
        snprintf(nums[i - 1], sizeof(nums[0]), "%d", i);
        seq[i] = nums[i - 1];
    }
    struct eg_request rq = { .file = { (const uint8_t *)"/bin/echo", 9 }, .argv = seq, .argc = SEQ + 1,
                             .cwd = { (const uint8_t *)"/tmp", 4 }, .pid = 123 };
    print_request("gen_seq", &rq);

    static char single[255][2], all[256];
    static char *bytes[256];
    for (int b = 1; b <= 255; b++) {
        single[b - 1][0] = (char)b;
        bytes[b - 1] = single[b - 1];
        all[b - 1] = (char)b;
    }
    bytes[255] = all;
    struct eg_request rb = { .kind = EG_KIND_RUN, .file = { (const uint8_t *)"x", 1 }, .argv = bytes, .argc = 256,
                             .pid = 4294967295u };
    print_request("gen_bytes", &rb);
    json_free(root);
    free(text);
    fflush(stdout);
    return eg_failed ? 1 : 0;
}
