#include "messages.h"

#include <string.h>

/* Field numbers from src/protocol/execgate.proto. */
enum {
    LA_LABEL = 1, LA_SANDBOX = 2, LA_CWD = 3, LA_PROJECT = 4, LA_BIND = 5, LA_RO_BIND = 6,
    LA_NO_NETWORK = 7, LA_PASS_ENV = 8, LA_ENV = 9,
    LD_ERROR = 1, LD_SESSION_ID = 2, LD_FILE = 3,
};

/* ---- Launch ------------------------------------------------------------- */

/* proto3's canonical form, as protobufjs writes it: a singular field with
 * the default value is left out; every entry of a repeated one is written,
 * empty ones included. */
static size_t bytes_field_size(uint32_t num, eg_bytes b)
{
    return b.n ? eg_len_field_size(num, b.n) : 0;
}

static uint8_t *put_bytes_field(uint8_t *out, uint32_t num, eg_bytes b)
{
    return b.n ? eg_put_bytes(out, num, b.p, b.n) : out;
}

static size_t strings_size(uint32_t num, const struct eg_strings *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += eg_len_field_size(num, strlen(s->v[i]));
    return n;
}

static uint8_t *put_strings(uint8_t *out, uint32_t num, const struct eg_strings *s)
{
    for (size_t i = 0; i < s->n; i++)
        out = eg_put_bytes(out, num, s->v[i], strlen(s->v[i]));
    return out;
}

size_t eg_launch_size(const struct eg_launch *l)
{
    return bytes_field_size(LA_LABEL, l->label) + bytes_field_size(LA_SANDBOX, l->sandbox) +
           bytes_field_size(LA_CWD, l->cwd) + bytes_field_size(LA_PROJECT, l->project) +
           strings_size(LA_BIND, &l->bind) + strings_size(LA_RO_BIND, &l->ro_bind) +
           (l->no_network ? eg_varint_size(LA_NO_NETWORK << 3) + 1 : 0) +
           strings_size(LA_PASS_ENV, &l->pass_env) + strings_size(LA_ENV, &l->env);
}

size_t eg_encode_launch(uint8_t *out, const struct eg_launch *l)
{
    uint8_t *p = put_bytes_field(out, LA_LABEL, l->label);
    p = put_bytes_field(p, LA_SANDBOX, l->sandbox);
    p = put_bytes_field(p, LA_CWD, l->cwd);
    p = put_bytes_field(p, LA_PROJECT, l->project);
    p = put_strings(p, LA_BIND, &l->bind);
    p = put_strings(p, LA_RO_BIND, &l->ro_bind);
    if (l->no_network)
        p = eg_put_varint(eg_put_tag(p, LA_NO_NETWORK, EG_WT_VARINT), 1);
    p = put_strings(p, LA_PASS_ENV, &l->pass_env);
    p = put_strings(p, LA_ENV, &l->env);
    return (size_t)(p - out);
}

/* ---- Launched ----------------------------------------------------------- */

/* Launched's fields are all length-delimited: field i's complaint. */
static const char *const wrong_type[] = {
    NULL,
    "Launched.error: wrong wire type",
    "Launched.session_id: wrong wire type",
    "Launched.file: wrong wire type",
    "Launched.argv: wrong wire type",
    "Launched.set_env: wrong wire type",
    "Launched.unset_env: wrong wire type",
};

int eg_decode_launched(const uint8_t *p, size_t n, struct eg_launched *m, const char **err)
{
    memset(m, 0, sizeof(*m));
    m->body.p = p;
    m->body.n = n;
    /* An empty view may have p == NULL, and NULL + 0 is undefined in C. */
    eg_reader r = { p, n ? p + n : p };
    eg_field f;
    int rc;
    while ((rc = eg_next_field(&r, &f, err)) > 0) {
        if (f.num >= sizeof(wrong_type) / sizeof(wrong_type[0]))
            continue;
        if (f.wt != EG_WT_LEN) {
            *err = wrong_type[f.num];
            return -1;
        }
        switch (f.num) {
        case LD_ERROR:
            m->error = f.b;
            break;
        case LD_SESSION_ID:
            m->session_id = f.b;
            break;
        case LD_FILE:
            m->file = f.b;
            break;
        case EG_LAUNCHED_ARGV:
            m->nargv++;
            break;
        case EG_LAUNCHED_SET_ENV:
            m->nset_env++;
            break;
        default:
            m->nunset_env++;
            break;
        }
    }
    return rc < 0 ? -1 : 0;
}

int eg_launched_next(const struct eg_launched *m, uint32_t field, size_t *pos, eg_bytes *item)
{
    if (*pos >= m->body.n)
        return 0;
    eg_reader r = { m->body.p + *pos, m->body.p + m->body.n };
    eg_field f;
    const char *err;
    while (eg_next_field(&r, &f, &err) > 0) {
        if (f.num == field && f.wt == EG_WT_LEN) {
            *item = f.b;
            *pos = (size_t)(r.p - m->body.p);
            return 1;
        }
    }
    *pos = m->body.n;
    return 0;
}
