/* The protobuf codec for src/protocol/execgate.proto on the C side: the wire
 * primitives (shared by the wrapper and the launcher, whose own messages are
 * in native/launch/messages.h) and the session messages: it encodes ToBroker
 * and decodes ToWrapper, nothing else. No allocation: decoded bytes are views
 * into the caller's buffer, valid as long as it is.
 *
 * Decoding follows proto3 where the broker's protobufjs does, and is stricter
 * where being lenient would only hide a broken peer:
 *   - unknown fields of wire types 0, 1, 2 and 5 are skipped; groups (3, 4)
 *     are rejected, as is any other wire type;
 *   - a known field with the wrong wire type is rejected (protobufjs would
 *     misread it, C++ would keep it as unknown: neither is worth trusting);
 *   - varints longer than 10 bytes or above 2^64-1 are rejected; int32/uint32
 *     fields keep the low 32 bits, as every runtime does;
 *   - a scalar or message field seen twice: the last one wins, whole (an
 *     embedded message is replaced, not merged, as protobufjs does, so both
 *     ends read any byte string the same way); of the oneof members the last
 *     one seen wins;
 *   - strings are bytes: never validated as UTF-8, always escaped on output. */
#ifndef EXECGATE_CODEC_H
#define EXECGATE_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* A byte range inside some buffer; p may be NULL only when n == 0. */
typedef struct {
    const uint8_t *p;
    size_t n;
} eg_bytes;

/* ---- primitives (also used by the C tests' fake broker) ---------------- */

enum { EG_WT_VARINT = 0, EG_WT_I64 = 1, EG_WT_LEN = 2, EG_WT_I32 = 5 };

/* A cursor over the fields of one message body. */
typedef struct {
    const uint8_t *p, *end;
} eg_reader;

/* One field: number, wire type, and its value (v for VARINT/I64/I32, b for LEN). */
typedef struct {
    uint32_t num;
    unsigned wt;
    uint64_t v;
    eg_bytes b;
} eg_field;

/* Reads the next field. Returns 1 and fills *f, 0 at the end of the body, or
 * -1 on malformed input (with *err set to a static description). */
int eg_next_field(eg_reader *r, eg_field *f, const char **err);

/* Encoded size of a varint, and writers that return the advanced pointer. */
size_t eg_varint_size(uint64_t v);
uint8_t *eg_put_varint(uint8_t *out, uint64_t v);
uint8_t *eg_put_tag(uint8_t *out, uint32_t num, unsigned wt);
/* tag + length + bytes */
uint8_t *eg_put_bytes(uint8_t *out, uint32_t num, const void *p, size_t n);
/* Size of a length-delimited field of body length n, tag and length included. */
size_t eg_len_field_size(uint32_t num, size_t n);

/* ---- ToBroker ----------------------------------------------------------- */

enum { EG_KIND_EXEC = 0, EG_KIND_RUN = 1, EG_KIND_NOTIFY = 2, EG_KIND_SHIM = 3 };

struct eg_request {
    uint32_t kind;
    eg_bytes file;
    char *const *argv; /* argc NUL-terminated strings, sent without the NUL */
    size_t argc;
    eg_bytes cwd;
    uint32_t pid;
    int stdio_follows; /* a Stdio frame follows without a SendStdio */
};

struct eg_winsize {
    uint32_t rows, cols;
};

struct eg_stdio {
    char *const *env; /* nenv "NAME=value" strings, already filtered */
    size_t nenv;
    int tty;
    const struct eg_winsize *winsize; /* NULL: field absent */
    uint32_t closed; /* bit i: our fd i was closed (/dev/null sent instead) */
};

/* Each pair: the exact size of the ToBroker message, and an encoder that
 * writes exactly that many bytes to out and returns the count. Sizes are
 * computed in size_t; a request that could overflow it cannot exist in
 * memory, so the callers' cap check is the only limit. */
size_t eg_request_size(const struct eg_request *rq);
size_t eg_encode_request(uint8_t *out, const struct eg_request *rq);
/* The Request alone, not inside a ToBroker: what follows "EXR1" in a record. */
size_t eg_request_body_size(const struct eg_request *rq);
size_t eg_encode_request_body(uint8_t *out, const struct eg_request *rq);
size_t eg_stdio_size(const struct eg_stdio *st);
size_t eg_encode_stdio(uint8_t *out, const struct eg_stdio *st);
/* Signal and Resize are small: EG_SMALL_MAX bytes always suffice. */
#define EG_SMALL_MAX 32
size_t eg_encode_signal(uint8_t *out, uint32_t signo);
size_t eg_encode_resize(uint8_t *out, const struct eg_winsize *ws);

/* ---- ToWrapper ---------------------------------------------------------- */

enum { EG_MSG_NONE = 0, EG_MSG_DECISION = 1, EG_MSG_SEND_STDIO = 2, EG_MSG_EXIT = 3, EG_MSG_STOP = 4 };
enum { EG_ACTION_UNSPECIFIED = 0, EG_ACTION_RUN = 1, EG_ACTION_ESCALATE = 2, EG_ACTION_DENY = 3 };

struct eg_to_wrapper {
    int which; /* EG_MSG_*: the oneof member present, NONE if none */
    /* Decision */
    int32_t action; /* as sent: may be any value, check it */
    eg_bytes reason;
    /* SendStdio: its body, already validated; walk it with eg_next_allow */
    eg_bytes send_stdio;
    /* Exit; Stop (signal only) */
    int32_t code;
    uint32_t signal;
};

/* Decodes one ToWrapper message. Returns 0, or -1 with *err set. */
int eg_decode_to_wrapper(const uint8_t *p, size_t n, struct eg_to_wrapper *m, const char **err);

/* Iterates SendStdio.env_allow: *pos starts at 0; returns 1 with *pattern set,
 * or 0 when done. The body must come from eg_decode_to_wrapper. */
int eg_next_allow(eg_bytes send_stdio, size_t *pos, eg_bytes *pattern);

/* Does the "NAME=value" entry match one env_allow pattern: the exact name, or
 * a name prefix when the pattern ends in '*'. Entries without '=' never do. */
int eg_env_match(const char *entry, eg_bytes pattern);

#endif
