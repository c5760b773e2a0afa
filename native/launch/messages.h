/* The launcher's two messages on the broker's control socket
 * (src/protocol/execgate.proto, "Control socket: the native launcher"): it
 * encodes Launch and decodes Launched, with the wire primitives of
 * ../common/codec.h and by the same rules: no allocation, decoded bytes are
 * views into the caller's buffer; unknown fields of wire types 0, 1, 2, 5
 * skipped, groups and known fields with the wrong wire type rejected; of a
 * scalar seen twice the last wins; repeated fields accumulate; strings are
 * bytes (never validated as UTF-8, escaped wherever they are printed).
 *
 * A Launch frame never begins with '{' (0x7b), which the broker reads as the
 * start of a JSON op: the encoder writes fields 1..9 in order, so the first
 * byte is always a tag of one of them (at most 0x4a), and a Launch with
 * every field empty is an empty payload. */
#ifndef EXECGATE_LAUNCH_MESSAGES_H
#define EXECGATE_LAUNCH_MESSAGES_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"

/* n NUL-terminated strings, each sent without its NUL. */
struct eg_strings {
    char *const *v;
    size_t n;
};

struct eg_launch {
    eg_bytes label;   /* empty: left out */
    eg_bytes sandbox; /* "none", "bwrap", or empty for serve's default */
    eg_bytes cwd;     /* the launcher's working directory (host) */
    eg_bytes project; /* as given to --project; empty: serve's default */
    struct eg_strings bind, ro_bind; /* SRC[:DEST], as given */
    int no_network;
    struct eg_strings pass_env; /* variable names */
    struct eg_strings env;      /* the launcher's environment, "NAME=value" */
};

/* The exact size of the encoded Launch, and an encoder that writes exactly
 * that many bytes to out and returns the count. */
size_t eg_launch_size(const struct eg_launch *l);
size_t eg_encode_launch(uint8_t *out, const struct eg_launch *l);

/* Launched's repeated fields, for eg_launched_next. */
enum { EG_LAUNCHED_ARGV = 4, EG_LAUNCHED_SET_ENV = 5, EG_LAUNCHED_UNSET_ENV = 6 };

struct eg_launched {
    eg_bytes error; /* set: the broker refused, for the user to read */
    eg_bytes session_id;
    eg_bytes file;
    size_t nargv, nset_env, nunset_env;
    eg_bytes body; /* the whole message: eg_launched_next walks it */
};

/* Decodes one Launched. Returns 0, or -1 with *err set. */
int eg_decode_launched(const uint8_t *p, size_t n, struct eg_launched *m, const char **err);

/* Iterates one repeated field (EG_LAUNCHED_*) of a decoded Launched: *pos
 * starts at 0; returns 1 with *item set, or 0 when done. */
int eg_launched_next(const struct eg_launched *m, uint32_t field, size_t *pos, eg_bytes *item);

#endif
