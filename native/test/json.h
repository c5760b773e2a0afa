/* Just enough JSON for test/fixtures/protocol/cases.json: objects, arrays,
 * strings (ASCII with the usual escapes), integers, true/false/null. A tree
 * from json_parse is freed with json_free. (Malformed input leaks what was
 * parsed so far: it is our own file, and the test then fails anyway.) */
#ifndef EXECGATE_TEST_JSON_H
#define EXECGATE_TEST_JSON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct json {
    int type;
    long long num; /* J_NUM, J_BOOL */
    char *str;     /* J_STR */
    size_t n;      /* items in J_ARR / J_OBJ */
    struct json **items;
    char **keys; /* J_OBJ */
} json;

static inline void j_ws(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r')
        (*p)++;
}

static inline json *j_value(const char **p, int depth);

static inline char *j_string(const char **p)
{
    if (**p != '"')
        return NULL;
    (*p)++;
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    for (;;) {
        char c = *(*p)++;
        if (c == '\0') {
            free(s);
            return NULL;
        }
        if (c == '"')
            break;
        if (c == '\\') {
            char e = *(*p)++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case '"': case '\\': case '/': c = e; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *(*p)++;
                    v <<= 4;
                    if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
                    else { free(s); return NULL; }
                }
                if (v > 0x7f) { free(s); return NULL; } /* ASCII only: all we write */
                c = (char)v;
                break;
            }
            default:
                free(s);
                return NULL;
            }
        }
        if (n + 1 >= cap)
            s = realloc(s, cap *= 2);
        s[n++] = c;
    }
    s[n] = '\0';
    return s;
}

static inline json *j_new(int type)
{
    json *j = calloc(1, sizeof(*j));
    j->type = type;
    return j;
}

static inline void j_push(json *j, json *item, char *key)
{
    j->items = realloc(j->items, (j->n + 1) * sizeof(*j->items));
    j->items[j->n] = item;
    if (j->type == J_OBJ) {
        j->keys = realloc(j->keys, (j->n + 1) * sizeof(*j->keys));
        j->keys[j->n] = key;
    }
    j->n++;
}

static inline json *j_value(const char **p, int depth)
{
    if (depth > 32)
        return NULL;
    j_ws(p);
    json *j;
    if (**p == '{' || **p == '[') {
        int obj = **p == '{';
        char close = obj ? '}' : ']';
        j = j_new(obj ? J_OBJ : J_ARR);
        (*p)++;
        j_ws(p);
        if (**p == close) {
            (*p)++;
            return j;
        }
        for (;;) {
            char *key = NULL;
            if (obj) {
                j_ws(p);
                if (!(key = j_string(p)))
                    return NULL;
                j_ws(p);
                if (*(*p)++ != ':')
                    return NULL;
            }
            json *item = j_value(p, depth + 1);
            if (!item)
                return NULL;
            j_push(j, item, key);
            j_ws(p);
            char c = *(*p)++;
            if (c == close)
                return j;
            if (c != ',')
                return NULL;
        }
    }
    if (**p == '"') {
        j = j_new(J_STR);
        return (j->str = j_string(p)) ? j : NULL;
    }
    if (**p == '-' || (**p >= '0' && **p <= '9')) {
        char *end;
        j = j_new(J_NUM);
        j->num = strtoll(*p, &end, 10);
        if (*end == '.' || *end == 'e' || *end == 'E')
            return NULL;
        *p = end;
        return j;
    }
    static const char *const words[] = { "true", "false", "null" };
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(words[i]);
        if (strncmp(*p, words[i], len) == 0) {
            *p += len;
            j = j_new(i == 2 ? J_NULL : J_BOOL);
            j->num = i == 0;
            return j;
        }
    }
    return NULL;
}

static inline void json_free(json *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++) {
        json_free(j->items[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->str);
    free(j);
}

static inline json *json_parse(const char *text)
{
    const char *p = text;
    json *j = j_value(&p, 0);
    if (!j)
        return NULL;
    j_ws(&p);
    if (*p) {
        json_free(j);
        return NULL;
    }
    return j;
}

/* The member of an object, or NULL. */
static inline json *json_get(const json *j, const char *key)
{
    if (!j || j->type != J_OBJ)
        return NULL;
    for (size_t i = 0; i < j->n; i++)
        if (strcmp(j->keys[i], key) == 0)
            return j->items[i];
    return NULL;
}

static inline long long json_num(const json *j, const char *key)
{
    const json *v = json_get(j, key);
    return v && (v->type == J_NUM || v->type == J_BOOL) ? v->num : 0;
}

static inline const char *json_str(const json *j, const char *key)
{
    const json *v = json_get(j, key);
    return v && v->type == J_STR ? v->str : NULL;
}

/* Hex to bytes, NUL-terminated for convenience; NULL on bad hex. */
static inline uint8_t *json_unhex(const char *hex, size_t *n)
{
    *n = 0;
    if (!hex)
        return NULL;
    size_t len = strlen(hex);
    if (len % 2)
        return NULL;
    uint8_t *out = malloc(len / 2 + 1);
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v = 0;
        for (size_t k = 0; k < 2; k++) {
            char h = hex[2 * i + k];
            v <<= 4;
            if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
            else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
            else { free(out); return NULL; }
        }
        out[i] = (uint8_t)v;
    }
    out[len / 2] = 0;
    *n = len / 2;
    return out;
}

#endif
