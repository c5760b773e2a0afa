#include "codec.h"

#include <string.h>

/* Field numbers from src/protocol/execgate.proto. */
enum {
    TB_REQUEST = 1, TB_STDIO = 2, TB_SIGNAL = 3, TB_RESIZE = 4,
    RQ_KIND = 1, RQ_FILE = 2, RQ_ARGV = 3, RQ_CWD = 4, RQ_PID = 5, RQ_STDIO_FOLLOWS = 6,
    ST_ENV = 1, ST_TTY = 2, ST_WINSIZE = 3, ST_CLOSED = 4,
    WS_ROWS = 1, WS_COLS = 2,
    SG_SIGNO = 1,
    RS_WINSIZE = 1,
    TW_DECISION = 1, TW_SEND_STDIO = 2, TW_EXIT = 3, TW_STOP = 4,
    DC_ACTION = 1, DC_REASON = 2,
    SS_ENV_ALLOW = 1,
    EX_CODE = 1, EX_SIGNAL = 2,
};

/* ---- primitives --------------------------------------------------------- */

/* An empty view may have p == NULL, and NULL + 0 is undefined in C. */
static eg_reader reader_of(eg_bytes b)
{
    eg_reader r = { b.p, b.n ? b.p + b.n : b.p };
    return r;
}

static int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v, const char **err)
{
    const uint8_t *p = *pp;
    uint64_t x = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (p == end) {
            *err = "truncated varint";
            return -1;
        }
        uint8_t b = *p++;
        /* The tenth byte holds bit 63 only. */
        if (i == 9 && b > 1) {
            *err = (b & 0x80) ? "varint longer than 10 bytes" : "varint overflows 64 bits";
            return -1;
        }
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            *pp = p;
            return 0;
        }
    }
    /* not reached: the tenth byte either ends the varint or is rejected */
    *err = "varint longer than 10 bytes";
    return -1;
}

int eg_next_field(eg_reader *r, eg_field *f, const char **err)
{
    if (r->p == r->end)
        return 0;
    uint64_t tag;
    if (get_varint(&r->p, r->end, &tag, err) < 0)
        return -1;
    /* Field numbers are 1 .. 2^29-1: a tag fits in 32 bits. */
    if (tag > UINT32_MAX || (tag >> 3) == 0) {
        *err = "bad field number";
        return -1;
    }
    f->num = (uint32_t)(tag >> 3);
    f->wt = (unsigned)(tag & 7);
    f->v = 0;
    f->b.p = NULL;
    f->b.n = 0;
    size_t left = (size_t)(r->end - r->p);
    switch (f->wt) {
    case EG_WT_VARINT:
        return get_varint(&r->p, r->end, &f->v, err) < 0 ? -1 : 1;
    case EG_WT_I64:
    case EG_WT_I32: {
        size_t w = f->wt == EG_WT_I64 ? 8 : 4;
        if (left < w) {
            *err = "truncated fixed-width field";
            return -1;
        }
        for (size_t i = w; i-- > 0;)
            f->v = f->v << 8 | r->p[i];
        r->p += w;
        return 1;
    }
    case EG_WT_LEN: {
        uint64_t len;
        if (get_varint(&r->p, r->end, &len, err) < 0)
            return -1;
        left = (size_t)(r->end - r->p);
        if (len > left) {
            *err = "length past the end of the message";
            return -1;
        }
        f->b.p = r->p;
        f->b.n = (size_t)len;
        r->p += len;
        return 1;
    }
    case 3:
    case 4:
        *err = "groups are not supported";
        return -1;
    default:
        *err = "bad wire type";
        return -1;
    }
}

size_t eg_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

uint8_t *eg_put_varint(uint8_t *out, uint64_t v)
{
    while (v >= 0x80) {
        *out++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *out++ = (uint8_t)v;
    return out;
}

uint8_t *eg_put_tag(uint8_t *out, uint32_t num, unsigned wt)
{
    return eg_put_varint(out, (uint64_t)num << 3 | wt);
}

uint8_t *eg_put_bytes(uint8_t *out, uint32_t num, const void *p, size_t n)
{
    out = eg_put_tag(out, num, EG_WT_LEN);
    out = eg_put_varint(out, n);
    if (n > 0)
        memcpy(out, p, n);
    return out + n;
}

size_t eg_len_field_size(uint32_t num, size_t n)
{
    return eg_varint_size((uint64_t)num << 3) + eg_varint_size(n) + n;
}

/* A proto3 scalar is left out when it holds the default value, so that the
 * output is the canonical encoding protobufjs would produce. */
static size_t varint_field_size(uint32_t num, uint64_t v)
{
    return v ? eg_varint_size((uint64_t)num << 3) + eg_varint_size(v) : 0;
}

static uint8_t *put_varint_field(uint8_t *out, uint32_t num, uint64_t v)
{
    return v ? eg_put_varint(eg_put_tag(out, num, EG_WT_VARINT), v) : out;
}

static uint8_t *put_len_header(uint8_t *out, uint32_t num, size_t n)
{
    return eg_put_varint(eg_put_tag(out, num, EG_WT_LEN), n);
}

/* ---- ToBroker ----------------------------------------------------------- */

size_t eg_request_body_size(const struct eg_request *rq)
{
    size_t n = varint_field_size(RQ_KIND, rq->kind);
    if (rq->file.n)
        n += eg_len_field_size(RQ_FILE, rq->file.n);
    for (size_t i = 0; i < rq->argc; i++)
        n += eg_len_field_size(RQ_ARGV, strlen(rq->argv[i]));
    if (rq->cwd.n)
        n += eg_len_field_size(RQ_CWD, rq->cwd.n);
    return n + varint_field_size(RQ_PID, rq->pid) + varint_field_size(RQ_STDIO_FOLLOWS, rq->stdio_follows ? 1 : 0);
}

size_t eg_request_size(const struct eg_request *rq)
{
    return eg_len_field_size(TB_REQUEST, eg_request_body_size(rq));
}

size_t eg_encode_request(uint8_t *out, const struct eg_request *rq)
{
    uint8_t *p = put_len_header(out, TB_REQUEST, eg_request_body_size(rq));
    return (size_t)(p - out) + eg_encode_request_body(p, rq);
}

size_t eg_encode_request_body(uint8_t *out, const struct eg_request *rq)
{
    uint8_t *p = put_varint_field(out, RQ_KIND, rq->kind);
    if (rq->file.n)
        p = eg_put_bytes(p, RQ_FILE, rq->file.p, rq->file.n);
    for (size_t i = 0; i < rq->argc; i++)
        p = eg_put_bytes(p, RQ_ARGV, rq->argv[i], strlen(rq->argv[i]));
    if (rq->cwd.n)
        p = eg_put_bytes(p, RQ_CWD, rq->cwd.p, rq->cwd.n);
    p = put_varint_field(p, RQ_PID, rq->pid);
    p = put_varint_field(p, RQ_STDIO_FOLLOWS, rq->stdio_follows ? 1 : 0);
    return (size_t)(p - out);
}

static size_t winsize_body_size(const struct eg_winsize *ws)
{
    return varint_field_size(WS_ROWS, ws->rows) + varint_field_size(WS_COLS, ws->cols);
}

static uint8_t *put_winsize(uint8_t *out, uint32_t num, const struct eg_winsize *ws)
{
    out = put_len_header(out, num, winsize_body_size(ws));
    out = put_varint_field(out, WS_ROWS, ws->rows);
    return put_varint_field(out, WS_COLS, ws->cols);
}

static size_t stdio_body_size(const struct eg_stdio *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->nenv; i++)
        n += eg_len_field_size(ST_ENV, strlen(st->env[i]));
    n += varint_field_size(ST_TTY, st->tty != 0);
    if (st->winsize)
        n += eg_len_field_size(ST_WINSIZE, winsize_body_size(st->winsize));
    n += varint_field_size(ST_CLOSED, st->closed);
    return n;
}

size_t eg_stdio_size(const struct eg_stdio *st)
{
    return eg_len_field_size(TB_STDIO, stdio_body_size(st));
}

size_t eg_encode_stdio(uint8_t *out, const struct eg_stdio *st)
{
    uint8_t *p = put_len_header(out, TB_STDIO, stdio_body_size(st));
    for (size_t i = 0; i < st->nenv; i++)
        p = eg_put_bytes(p, ST_ENV, st->env[i], strlen(st->env[i]));
    p = put_varint_field(p, ST_TTY, st->tty != 0);
    if (st->winsize)
        p = put_winsize(p, ST_WINSIZE, st->winsize);
    p = put_varint_field(p, ST_CLOSED, st->closed);
    return (size_t)(p - out);
}

size_t eg_encode_signal(uint8_t *out, uint32_t signo)
{
    uint8_t *p = put_len_header(out, TB_SIGNAL, varint_field_size(SG_SIGNO, signo));
    p = put_varint_field(p, SG_SIGNO, signo);
    return (size_t)(p - out);
}

size_t eg_encode_resize(uint8_t *out, const struct eg_winsize *ws)
{
    uint8_t *p = put_len_header(out, TB_RESIZE, eg_len_field_size(RS_WINSIZE, winsize_body_size(ws)));
    p = put_winsize(p, RS_WINSIZE, ws);
    return (size_t)(p - out);
}

/* ---- ToWrapper ---------------------------------------------------------- */

/* int32 from a varint: the low 32 bits, two's complement, without relying on
 * implementation-defined conversions. */
static int32_t low_int32(uint64_t v)
{
    uint32_t u = (uint32_t)v;
    return u <= INT32_MAX ? (int32_t)u : -(int32_t)(UINT32_MAX - u) - 1;
}

static int want(const eg_field *f, unsigned wt, const char *what, const char **err)
{
    if (f->wt == wt)
        return 0;
    *err = what;
    return -1;
}

static int decode_decision(eg_bytes b, struct eg_to_wrapper *m, const char **err)
{
    eg_reader r = reader_of(b);
    eg_field f;
    int rc;
    m->action = 0;
    m->reason.p = NULL;
    m->reason.n = 0;
    while ((rc = eg_next_field(&r, &f, err)) > 0) {
        if (f.num == DC_ACTION) {
            if (want(&f, EG_WT_VARINT, "Decision.action: wrong wire type", err) < 0)
                return -1;
            m->action = low_int32(f.v);
        } else if (f.num == DC_REASON) {
            if (want(&f, EG_WT_LEN, "Decision.reason: wrong wire type", err) < 0)
                return -1;
            m->reason = f.b;
        }
    }
    return rc;
}

static int check_send_stdio(eg_bytes b, const char **err)
{
    eg_reader r = reader_of(b);
    eg_field f;
    int rc;
    while ((rc = eg_next_field(&r, &f, err)) > 0)
        if (f.num == SS_ENV_ALLOW && want(&f, EG_WT_LEN, "SendStdio.env_allow: wrong wire type", err) < 0)
            return -1;
    return rc;
}

static int decode_exit(eg_bytes b, struct eg_to_wrapper *m, const char **err)
{
    eg_reader r = reader_of(b);
    eg_field f;
    int rc;
    m->code = 0;
    m->signal = 0;
    while ((rc = eg_next_field(&r, &f, err)) > 0) {
        if (f.num == EX_CODE) {
            if (want(&f, EG_WT_VARINT, "Exit.code: wrong wire type", err) < 0)
                return -1;
            m->code = low_int32(f.v);
        } else if (f.num == EX_SIGNAL) {
            if (want(&f, EG_WT_VARINT, "Exit.signal: wrong wire type", err) < 0)
                return -1;
            m->signal = (uint32_t)f.v;
        }
    }
    return rc;
}

/* Stop has one field, signal = 1, as Exit's signal is 2: read it alone. */
static int decode_stop(eg_bytes b, struct eg_to_wrapper *m, const char **err)
{
    eg_reader r = reader_of(b);
    eg_field f;
    int rc;
    m->signal = 0;
    while ((rc = eg_next_field(&r, &f, err)) > 0) {
        if (f.num == 1) {
            if (want(&f, EG_WT_VARINT, "Stop.signal: wrong wire type", err) < 0)
                return -1;
            m->signal = (uint32_t)f.v;
        }
    }
    return rc;
}

int eg_decode_to_wrapper(const uint8_t *p, size_t n, struct eg_to_wrapper *m, const char **err)
{
    memset(m, 0, sizeof(*m));
    eg_bytes all = { p, n };
    eg_reader r = reader_of(all);
    eg_field f;
    int rc;
    while ((rc = eg_next_field(&r, &f, err)) > 0) {
        switch (f.num) {
        case TW_DECISION:
            if (want(&f, EG_WT_LEN, "ToWrapper.decision: wrong wire type", err) < 0 ||
                decode_decision(f.b, m, err) < 0)
                return -1;
            m->which = EG_MSG_DECISION;
            break;
        case TW_SEND_STDIO:
            if (want(&f, EG_WT_LEN, "ToWrapper.send_stdio: wrong wire type", err) < 0 ||
                check_send_stdio(f.b, err) < 0)
                return -1;
            m->send_stdio = f.b;
            m->which = EG_MSG_SEND_STDIO;
            break;
        case TW_EXIT:
            if (want(&f, EG_WT_LEN, "ToWrapper.exit: wrong wire type", err) < 0 ||
                decode_exit(f.b, m, err) < 0)
                return -1;
            m->which = EG_MSG_EXIT;
            break;
        case TW_STOP:
            if (want(&f, EG_WT_LEN, "ToWrapper.stop: wrong wire type", err) < 0 ||
                decode_stop(f.b, m, err) < 0)
                return -1;
            m->which = EG_MSG_STOP;
            break;
        default:
            break;
        }
    }
    return rc < 0 ? -1 : 0;
}

int eg_next_allow(eg_bytes send_stdio, size_t *pos, eg_bytes *pattern)
{
    if (*pos >= send_stdio.n)
        return 0;
    eg_reader r = { send_stdio.p + *pos, send_stdio.p + send_stdio.n };
    eg_field f;
    const char *err;
    while (eg_next_field(&r, &f, &err) > 0) {
        if (f.num == SS_ENV_ALLOW && f.wt == EG_WT_LEN) {
            *pattern = f.b;
            *pos = (size_t)(r.p - send_stdio.p);
            return 1;
        }
    }
    *pos = send_stdio.n;
    return 0;
}

int eg_env_match(const char *entry, eg_bytes pattern)
{
    const char *eq = strchr(entry, '=');
    if (!eq || eq == entry)
        return 0;
    size_t name = (size_t)(eq - entry);
    if (pattern.n > 0 && pattern.p[pattern.n - 1] == '*') {
        size_t prefix = pattern.n - 1;
        return name >= prefix && memcmp(entry, pattern.p, prefix) == 0;
    }
    return name == pattern.n && memcmp(entry, pattern.p, name) == 0;
}
