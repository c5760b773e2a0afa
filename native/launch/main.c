/*
 * execgate-launch: a shell attached to a running `execgate serve`, with no
 * Node on the way. Three ways to call it:
 *
 *     execgate-launch shell --broker SOCK [FLAGS...] [-c SCRIPT | FILE ARGS... | -- BASH-OPTIONS...]
 *         what `execgate shell --broker SOCK ...` runs (bin/execgate execs
 *         this when it sees --broker); flags as src/cli/args.ts parses them
 *     execgate ARGS...
 *         npm's `execgate` once `npm install` has made bin/execgate a copy
 *         of this file (scripts/install-front.mjs): the same for
 *         `shell ... --broker`, and every other command goes to the Node
 *         CLI, bin/execgate.js beside us, as the sh front does
 *     bash ARGS..., sh ARGS... (any other name: the shell shim)
 *         for agent harnesses that start one shell per tool call through
 *         $SHELL or $CLAUDE_CODE_SHELL: every argument is the shell's own;
 *         the broker is $EXECGATE_BROKER, the label $EXECGATE_LABEL
 *
 * It sends one Launch frame on the broker's control socket (execgate.proto,
 * "Control socket: the native launcher") and reads one Launched frame, which
 * carries the shell's end of the session socket as its one fd. That fd goes
 * to 87 (inheritable), the environment is changed as Launched says, and the
 * launcher execs Launched's file with its argv followed by the shell's own
 * arguments: the shell takes our pid, our stdio and our place in the
 * harness's process tree. Nothing of us stays; the session ends when every
 * copy of fd 87 is closed.
 *
 * Runs on the host, as the user, started by the user or their agent
 * harness: the broker it talks to is the user's own (its control socket is
 * in the broker's private directory), so Launched is believed, but checked
 * for shape, and its text escaped when printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "codec.h"
#include "fdpass.h"
#include "messages.h"
#include "protocol.h"
#include "say.h"

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#include <stdnoreturn.h>
#else
#define noreturn
#endif

extern char **environ;

/* How we end when the shell cannot be started: `execgate shell` exits 1 as
 * the Node CLI does; the shim 126, as a shell that cannot start. */
static int failure_status = 1;

static noreturn void fail(const char *what, const char *why)
{
    eg_die(failure_status, what, why);
}

static noreturn void protocol_error(const char *what)
{
    fail("protocol error in the broker's answer", what);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static eg_bytes cstr(const char *s)
{
    eg_bytes b = { (const uint8_t *)s, s ? strlen(s) : 0 };
    return b;
}

/* ---- what to ask for ------------------------------------------------------ */

struct request {
    struct eg_launch launch;
    const char *broker;      /* the control socket's path */
    char *const *shell_args; /* appended to Launched.argv */
    size_t nshell_args;
};

static const char usage_text[] =
    "usage: execgate shell --broker SOCKET [--label NAME] [--sandbox none|bwrap] [--project DIR]\n"
    "                      [--no-network] [--bind SRC[:DEST]]... [--ro-bind SRC[:DEST]]...\n"
    "                      [--pass-env NAME]... [-c SCRIPT | FILE ARGS... | -- BASH-OPTIONS...]\n"
    "(execgate-launch: `execgate shell` attached to a running `execgate serve`)\n";

/* A usage error: the message, the usage, exit 2 (src/cli/main.ts). */
static noreturn void usage(const char *what, const char *name)
{
    struct eg_say s;
    eg_say_begin(&s, 2);
    eg_say_str(&s, what);
    if (name)
        eg_say_cstr(&s, name);
    eg_say_end(&s);
    ssize_t w = write(2, usage_text, sizeof(usage_text) - 1);
    (void)w;
    exit(2);
}

/* The flags of `execgate shell` (src/cli/shell.ts), with those that belong
 * to the broker, which are refused once parsed. */
enum kind { FLAG_BOOL, FLAG_STRING, FLAG_STRINGS };
enum {
    F_BROKER, F_LABEL, F_SANDBOX, F_PROJECT, F_BIND, F_RO_BIND, F_NO_NETWORK, F_PASS_ENV, F_C,
    F_POLICY, F_AUDIT, F_APPROVE_ALL, F_WEB, F_WEB_PORT, F_COUNT
};
static const struct {
    const char *name;
    enum kind kind;
} flag_spec[F_COUNT] = {
    [F_BROKER] = { "--broker", FLAG_STRING },
    [F_LABEL] = { "--label", FLAG_STRING },
    [F_SANDBOX] = { "--sandbox", FLAG_STRING },
    [F_PROJECT] = { "--project", FLAG_STRING },
    [F_BIND] = { "--bind", FLAG_STRINGS },
    [F_RO_BIND] = { "--ro-bind", FLAG_STRINGS },
    [F_NO_NETWORK] = { "--no-network", FLAG_BOOL },
    [F_PASS_ENV] = { "--pass-env", FLAG_STRINGS },
    [F_C] = { "-c", FLAG_STRING },
    [F_POLICY] = { "--policy", FLAG_STRING },
    [F_AUDIT] = { "--audit", FLAG_STRING },
    [F_APPROVE_ALL] = { "--dangerously-approve-all", FLAG_BOOL },
    [F_WEB] = { "--web", FLAG_BOOL },
    [F_WEB_PORT] = { "--web-port", FLAG_STRING },
};

/* What the flags said: for each, its (last) value or NULL; the repeated ones
 * collected in a list. */
struct flags {
    const char *value[F_COUNT];
    int given[F_COUNT];
    char **list[F_COUNT]; /* FLAG_STRINGS: argc entries of room */
    size_t nlist[F_COUNT];
};

static int flag_named(const char *name, size_t len)
{
    for (int i = 0; i < F_COUNT; i++)
        if (strlen(flag_spec[i].name) == len && memcmp(flag_spec[i].name, name, len) == 0)
            return i;
    return -1;
}

/* Flags first; parsing stops at the first positional argument ("-" is one)
 * or after "--"; "--flag=value" too (src/cli/args.ts). Returns the index of
 * the first argument that is the shell's. */
static int parse_flags(int argc, char **argv, int first, struct flags *f)
{
    for (int i = 0; i < F_COUNT; i++)
        if (flag_spec[i].kind == FLAG_STRINGS && !(f->list[i] = calloc((size_t)argc, sizeof(char *))))
            fail("out of memory", NULL);
    int i = first;
    for (; i < argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "--") == 0)
            return i + 1;
        if (arg[0] != '-' || arg[1] == '\0')
            break;
        char *eq = strchr(arg, '='); /* never at 0: arg begins with '-' */
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        int k = flag_named(arg, len);
        if (k < 0) {
            if (eq)
                *eq = '\0'; /* name the option alone, as args.ts does */
            usage("unknown option ", arg);
        }
        f->given[k] = 1;
        if (flag_spec[k].kind == FLAG_BOOL) {
            if (eq)
                usage(flag_spec[k].name, " takes no value");
            continue;
        }
        const char *value;
        if (eq)
            value = eq + 1;
        else if (i + 1 >= argc)
            usage(flag_spec[k].name, " needs a value");
        else
            value = argv[++i];
        f->value[k] = value;
        if (flag_spec[k].kind == FLAG_STRINGS)
            f->list[k][f->nlist[k]++] = (char *)value;
    }
    return i;
}

static struct eg_strings list_of(const struct flags *f, int k)
{
    struct eg_strings s = { f->list[k], f->nlist[k] };
    return s;
}

/* `execgate-launch shell FLAGS... [ARGS...]`. */
static void from_command_line(int argc, char **argv, struct request *rq)
{
    if (argc < 2 || strcmp(argv[1], "shell") != 0)
        usage(argc < 2 ? "no command given" : "execgate-launch runs only `shell`, not ", argc < 2 ? NULL : argv[1]);
    struct flags f;
    memset(&f, 0, sizeof(f));
    int rest = parse_flags(argc, argv, 2, &f);

    /* in src/cli/shell.ts's order, with its words */
    static const int broker_only[] = { F_POLICY, F_AUDIT, F_APPROVE_ALL, F_WEB, F_WEB_PORT };
    for (size_t i = 0; i < sizeof(broker_only) / sizeof(broker_only[0]); i++) {
        if (f.given[broker_only[i]]) {
            struct eg_say s;
            eg_say_begin(&s, 2);
            eg_say_str(&s, flag_spec[broker_only[i]].name);
            eg_say_str(&s, " belongs to the broker: give it to `execgate serve`, not to a shell attached with --broker");
            eg_say_end(&s);
            ssize_t w = write(2, usage_text, sizeof(usage_text) - 1);
            (void)w;
            exit(2);
        }
    }
    if (!f.given[F_BROKER])
        usage("--broker SOCKET is required: execgate-launch attaches to a running `execgate serve`", NULL);
    const char *sandbox = f.value[F_SANDBOX];
    if (sandbox && strcmp(sandbox, "none") != 0 && strcmp(sandbox, "bwrap") != 0)
        usage("--sandbox must be none or bwrap, not ", sandbox);
    if (sandbox && strcmp(sandbox, "none") == 0) {
        static const int bwrap_only[] = { F_PROJECT, F_NO_NETWORK, F_BIND, F_RO_BIND };
        for (size_t i = 0; i < sizeof(bwrap_only) / sizeof(bwrap_only[0]); i++)
            if (f.given[bwrap_only[i]])
                usage(flag_spec[bwrap_only[i]].name, " needs --sandbox bwrap");
    }

    rq->broker = f.value[F_BROKER];
    rq->launch.label = cstr(f.value[F_LABEL] ? f.value[F_LABEL] : "shell");
    rq->launch.sandbox = cstr(sandbox);
    rq->launch.project = cstr(f.value[F_PROJECT]);
    rq->launch.bind = list_of(&f, F_BIND);
    rq->launch.ro_bind = list_of(&f, F_RO_BIND);
    rq->launch.no_network = f.given[F_NO_NETWORK];
    rq->launch.pass_env = list_of(&f, F_PASS_ENV);

    /* `-c SCRIPT ARGS...` for bash is `-c SCRIPT` then the rest */
    size_t n = (size_t)(argc - rest);
    char **args = calloc(n + 3, sizeof(char *));
    if (!args)
        fail("out of memory", NULL);
    size_t k = 0;
    static char dash_c[] = "-c";
    if (f.given[F_C]) {
        args[k++] = dash_c;
        args[k++] = (char *)f.value[F_C];
    }
    for (int i = rest; i < argc; i++)
        args[k++] = argv[i];
    rq->shell_args = args;
    rq->nshell_args = k;
}

/* As npm's `execgate`: `shell` with --broker among its flags is ours. Flags
 * come first, parsing stops at the first positional argument or "--"
 * (src/cli/args.ts), a flag's value is skipped; an unknown flag is passed
 * over here and reported by the Node CLI (bin/execgate, the sh front, reads
 * them the same way). */
static int attaches(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "shell") != 0)
        return 0;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0' || strcmp(arg, "--") == 0)
            return 0;
        const char *eq = strchr(arg, '=');
        int k = flag_named(arg, eq ? (size_t)(eq - arg) : strlen(arg));
        if (k == F_BROKER)
            return 1;
        if (k >= 0 && flag_spec[k].kind != FLAG_BOOL && !eq)
            i++;
    }
    return 0;
}

/* bash, sh, and their login forms ("-bash"): the shim's names. */
static int shell_name(const char *name)
{
    if (name[0] == '-')
        name++;
    return strcmp(name, "bash") == 0 || strcmp(name, "sh") == 0;
}

/* Our own file's path (/proc/self/exe), read once, with room behind it for
 * ".js"; NULL (errno set) if it cannot be read whole. */
static char self_path[PATH_MAX + 4];
static const char *self_exe(void)
{
    if (self_path[0])
        return self_path;
    ssize_t n = readlink("/proc/self/exe", self_path, PATH_MAX);
    if (n <= 0 || n >= PATH_MAX) {
        if (n >= 0)
            errno = ENAMETOOLONG;
        self_path[0] = '\0';
        return NULL;
    }
    self_path[n] = '\0';
    return self_path;
}

/* This file is npm's bin/execgate (scripts/install-front.mjs), whatever
 * link it was called through: any name but a shell's is then `execgate`, as
 * it is to the sh front. */
static int installed_front(void)
{
    const char *exe = self_exe();
    return exe && strcmp(base_name(exe), "execgate") == 0;
}

/* `execgate serve` gets a smaller young generation, as from the sh front:
 * under 8 shells escalating at once V8 grows it to 16 MB semi-spaces, 7 MB
 * of the broker's resident peak (77 against 70 MB, at the same latency;
 * docs/benchmark.md). A V8 flag, so only a command line can set it; it
 * costs serve the code cache (the build made it without), 8 ms once. */
static char serve_node_flag[] = "--max-semi-space-size=4";

/* Everything else npm's `execgate` is asked: the Node CLI, which is
 * bin/execgate.js beside this file (bin/execgate), run by the `node` on
 * PATH as the sh front runs it. */
static noreturn void node_cli(int argc, char **argv)
{
    failure_status = 127; /* as the sh front's `exec node` */
    const char *exe = self_exe();
    if (!exe)
        fail("cannot tell where execgate is installed (/proc/self/exe)", strerror(errno));
    /* <package>/bin/execgate -> <package>/bin/execgate.js */
    char *script = self_path;
    memcpy(script + strlen(script), ".js", 4);
    /* The certificates Node would parse at start for nothing: as the sh
     * front says, bin/execgate.js puts the variable back. */
    const char *ca = getenv("NODE_EXTRA_CA_CERTS");
    if (ca && *ca) {
        if (setenv("EXECGATE_NODE_EXTRA_CA_CERTS", ca, 1) < 0)
            fail("setenv", strerror(errno));
        unsetenv("NODE_EXTRA_CA_CERTS");
    }
    char **args = calloc((size_t)argc + 3, sizeof(char *));
    if (!args)
        fail("out of memory", NULL);
    static char node[] = "node";
    size_t n = 0;
    args[n++] = node;
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        args[n++] = serve_node_flag;
    args[n++] = script;
    for (int i = 1; i < argc; i++)
        args[n++] = argv[i];
    execvp(node, args);
    int err = errno;
    free(args); /* exit() must find nothing of ours leaked (LeakSanitizer in CI) */
    fail("cannot run node", strerror(err));
}

/* The shim: bash or sh to a harness, every argument the shell's own. */
static void from_environment(int argc, char **argv, struct request *rq)
{
    failure_status = 126;
    const char *broker = getenv(EG_ENV_BROKER);
    if (!broker || !*broker)
        fail(EG_ENV_BROKER " is not set: start `execgate serve --write-socket-path-to FILE` and "
             "export " EG_ENV_BROKER "=\"$(cat FILE)\" for this shell to attach to it",
             NULL);
    const char *label = getenv(EG_ENV_LABEL);
    rq->broker = broker;
    rq->launch.label = cstr(label && *label ? label : "shim");
    size_t n = argc > 0 ? (size_t)argc - 1 : 0;
    /* Started as a login shell by name ("-bash", as login(1), su - and
     * tmux's panes do): the shell gets its name from Launched, not from us,
     * so --login says it instead. A long option: bash takes those only
     * before the one-letter ones, and the caller's may be either. */
    if (argc > 0 && argv[0][0] == '-') {
        static char login[] = "--login";
        char **args = calloc(n + 2, sizeof(char *));
        if (!args)
            fail("out of memory", NULL);
        args[0] = login;
        for (size_t i = 0; i < n; i++)
            args[i + 1] = argv[i + 1];
        rq->shell_args = args;
        rq->nshell_args = n + 1;
        return;
    }
    rq->shell_args = argv + 1;
    rq->nshell_args = n;
}

/* ---- PATH without us --------------------------------------------------------- */

/* Is dir[0..n)/name this very program (through a shim link or a copy of
 * one)? */
static int names_us(const char *dir, size_t n, const char *name, const struct stat *self)
{
    char path[PATH_MAX];
    size_t m = strlen(name);
    if (n + 1 + m >= sizeof(path))
        return 0;
    memcpy(path, dir, n);
    path[n] = '/';
    memcpy(path + n + 1, name, m + 1);
    struct stat st;
    return stat(path, &st) == 0 && st.st_dev == self->st_dev && st.st_ino == self->st_ino;
}

/* PATH loses the directories whose bash or sh is us (the shim's, as a
 * harness that looks its shell up on PATH is told to put it first), in what
 * the broker is sent and what the shell inherits: a shell there that ran
 * `bash` would find the shim again, which inside the sandbox has no broker
 * to reach (EXECGATE_BROKER does not cross) and fails. Empty entries (the
 * working directory) stay as they are; a PATH left with nothing is unset,
 * so that the shell's default applies rather than the working directory. */
static void path_without_us(void)
{
    const char *path = getenv("PATH");
    struct stat self;
    if (!path || stat("/proc/self/exe", &self) < 0)
        return;
    char *kept = malloc(strlen(path) + 1);
    if (!kept)
        fail("out of memory", NULL);
    size_t k = 0, nkept = 0, dropped = 0;
    for (const char *p = path;;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 0 && (names_us(p, n, "bash", &self) || names_us(p, n, "sh", &self))) {
            dropped++;
        } else {
            if (nkept++ > 0)
                kept[k++] = ':';
            memcpy(kept + k, p, n);
            k += n;
        }
        if (!end)
            break;
        p = end + 1;
    }
    kept[k] = '\0';
    if (dropped > 0 && (nkept > 0 ? setenv("PATH", kept, 1) : unsetenv("PATH")) < 0)
        fail("setenv", strerror(errno));
    free(kept);
}

/* ---- the broker ------------------------------------------------------------ */

static int off_stdio(int fd)
{
    int moved = eg_off_stdio(fd);
    if (moved < 0)
        fail("fcntl", strerror(-moved));
    return moved;
}

static noreturn void unreachable(const char *path, int err)
{
    struct eg_say s;
    eg_say_begin(&s, 2);
    eg_say_str(&s, "cannot reach the broker at ");
    eg_say_cstr(&s, path);
    eg_say_str(&s, ": ");
    eg_say_str(&s, strerror(err));
    eg_say_end(&s);
    exit(failure_status);
}

static noreturn void hung_up(const char *path)
{
    struct eg_say s;
    eg_say_begin(&s, 2);
    eg_say_str(&s, "the broker at ");
    eg_say_cstr(&s, path);
    eg_say_str(&s, " closed the connection without an answer");
    eg_say_end(&s);
    exit(failure_status);
}

/* The control socket (SOCK_STREAM). A path longer than sun_path is an
 * error, never cut short to some other path. */
static int connect_broker(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strlen(path);
    if (n >= sizeof(sa.sun_path))
        unreachable(path, ENAMETOOLONG);
    memcpy(sa.sun_path, path, n + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        unreachable(path, errno);
    int rc;
    do
        rc = connect(fd, (const struct sockaddr *)&sa, sizeof(sa));
    while (rc < 0 && errno == EINTR);
    if (rc < 0)
        unreachable(path, errno);
    return off_stdio(fd);
}

/* Reads exactly len bytes, collecting any fds that come with them (at most
 * EG_MAX_FDS in all; more is a protocol error). Returns 0, or -1 at EOF. */
static int read_with_fds(int fd, uint8_t *buf, size_t len, int *fds, size_t *nfds)
{
    while (len > 0) {
        int got[EG_MAX_FDS];
        size_t ngot, excess;
        ssize_t n = eg_recv_fds(fd, buf, len, got, EG_MAX_FDS, &ngot, &excess);
        for (size_t i = 0; i < ngot; i++) {
            if (*nfds < EG_MAX_FDS) {
                fds[(*nfds)++] = got[i];
            } else {
                close(got[i]);
                excess++;
            }
        }
        if (excess > 0)
            protocol_error("too many fds");
        if (n < 0)
            fail("reading the broker's answer", strerror((int)-n));
        if (n == 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One Launch frame. */
static void send_launch(int control, const struct request *rq)
{
    size_t size = eg_launch_size(&rq->launch);
    if (size > UINT32_MAX)
        fail("the environment is too large to send", NULL);
    uint8_t *frame = malloc(4 + size);
    if (!frame)
        fail("out of memory", NULL);
    frame[0] = (uint8_t)(size >> 24);
    frame[1] = (uint8_t)(size >> 16);
    frame[2] = (uint8_t)(size >> 8);
    frame[3] = (uint8_t)size;
    eg_encode_launch(frame + 4, &rq->launch);
    int rc = eg_write_all(control, frame, 4 + size);
    free(frame);
    if (rc == -EPIPE || rc == -ECONNRESET)
        hung_up(rq->broker);
    if (rc < 0)
        fail("sending to the broker", strerror(-rc));
}

/* The broker's answer: one Launched frame and the fds that came with it. */
struct reply {
    uint8_t *body;
    struct eg_launched m;
    int fds[EG_MAX_FDS];
    size_t nfds;
};

static void read_launched(int control, const struct request *rq, struct reply *r)
{
    uint8_t head[4];
    if (read_with_fds(control, head, 4, r->fds, &r->nfds) < 0)
        hung_up(rq->broker);
    uint32_t len = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
    if (len > EG_MAX_LAUNCHED_FRAME)
        protocol_error("a frame over 1 MiB");
    if (!(r->body = malloc(len ? len : 1)))
        fail("out of memory", NULL);
    if (read_with_fds(control, r->body, len, r->fds, &r->nfds) < 0)
        hung_up(rq->broker);
    if (len > 0 && r->body[0] == '{')
        protocol_error("an answer in JSON: this `execgate serve` does not know Launch");
    const char *err = NULL;
    if (eg_decode_launched(r->body, len, &r->m, &err) < 0)
        protocol_error(err);
}

/* ---- the exec ---------------------------------------------------------------- */

/* A C string from bytes the broker sent; a NUL inside is refused, since it
 * would cut the string short. */
static char *c_string(eg_bytes b, const char *what)
{
    if (b.n > 0 && memchr(b.p, '\0', b.n))
        protocol_error(what);
    char *s = malloc(b.n + 1);
    if (!s)
        fail("out of memory", NULL);
    if (b.n)
        memcpy(s, b.p, b.n);
    s[b.n] = '\0';
    return s;
}

/* Does "NAME=value" (or "NAME") have the name of name[0..n)? */
static int has_name(const char *entry, const char *name, size_t n)
{
    return strncmp(entry, name, n) == 0 && (entry[n] == '=' || entry[n] == '\0');
}

/* Our environment, without the names in unset_env and set_env, then
 * set_env's entries. */
static char **shell_environment(const struct eg_launched *m)
{
    size_t n = 0;
    while (environ[n])
        n++;
    struct name {
        const char *p;
        size_t n;
    } *gone = calloc(m->nunset_env + m->nset_env + 1, sizeof(*gone));
    char **set = calloc(m->nset_env + 1, sizeof(char *));
    char **env = calloc(n + m->nset_env + 1, sizeof(char *));
    if (!gone || !set || !env)
        fail("out of memory", NULL);
    size_t ngone = 0, nset = 0, pos = 0;
    eg_bytes item;
    while (eg_launched_next(m, EG_LAUNCHED_UNSET_ENV, &pos, &item)) {
        char *name = c_string(item, "Launched.unset_env: a NUL byte in a name");
        if (!*name || strchr(name, '='))
            protocol_error("Launched.unset_env: not a variable name");
        gone[ngone].p = name;
        gone[ngone++].n = strlen(name);
    }
    pos = 0;
    while (eg_launched_next(m, EG_LAUNCHED_SET_ENV, &pos, &item)) {
        char *entry = c_string(item, "Launched.set_env: a NUL byte in an entry");
        char *eq = strchr(entry, '=');
        if (!eq || eq == entry)
            protocol_error("Launched.set_env: not NAME=value");
        set[nset++] = entry;
        gone[ngone].p = entry;
        gone[ngone++].n = (size_t)(eq - entry);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int drop = 0;
        for (size_t g = 0; g < ngone && !drop; g++)
            drop = has_name(environ[i], gone[g].p, gone[g].n);
        if (!drop)
            env[k++] = environ[i];
    }
    for (size_t i = 0; i < nset; i++)
        env[k++] = set[i];
    env[k] = NULL;
    return env;
}

/* bash's words and statuses for a program that cannot be started. */
static noreturn void exec_failed(const char *file, int err)
{
    struct eg_say s;
    eg_say_begin(&s, 2);
    eg_say_cstr(&s, file);
    eg_say_str(&s, ": ");
    eg_say_str(&s, strerror(err));
    eg_say_end(&s);
    exit(err == ENOENT ? 127 : 126);
}

/* Launched, checked; then the session at fd 87 and the shell in our place. */
static noreturn void become_shell(const struct request *rq, int control, const struct reply *r)
{
    const struct eg_launched *m = &r->m;
    const int *fds = r->fds;
    size_t nfds = r->nfds;
    if (m->error.n > 0) {
        for (size_t i = 0; i < nfds; i++)
            close(fds[i]);
        struct eg_say s;
        eg_say_begin(&s, 2);
        eg_say_esc(&s, m->error.p, m->error.n);
        eg_say_end(&s);
        exit(failure_status);
    }
    if (nfds != 1)
        protocol_error(nfds == 0 ? "Launched carried no session socket" : "Launched carried more than one fd");
    if (m->file.n == 0)
        protocol_error("Launched.file is empty");
    if (m->nargv == 0)
        protocol_error("Launched.argv is empty");

    char *file = c_string(m->file, "Launched.file: a NUL byte in the path");
    char **argv = calloc(m->nargv + rq->nshell_args + 1, sizeof(char *));
    if (!argv)
        fail("out of memory", NULL);
    size_t k = 0, pos = 0;
    eg_bytes item;
    while (eg_launched_next(m, EG_LAUNCHED_ARGV, &pos, &item))
        argv[k++] = c_string(item, "Launched.argv: a NUL byte in an argument");
    for (size_t i = 0; i < rq->nshell_args; i++)
        argv[k++] = rq->shell_args[i];
    argv[k] = NULL;
    char **env = shell_environment(m);

    /* The control connection first: were it at 87 itself, moving the
     * session there would close it, and closing it after, the session. */
    close(control);
    int session = fds[0];
    if (session == EG_SESSION_FD) {
        /* received close-on-exec: the shell must inherit it */
        if (fcntl(session, F_SETFD, 0) < 0)
            fail("fcntl", strerror(errno));
    } else {
        if (dup2(session, EG_SESSION_FD) < 0)
            fail("dup2", strerror(errno));
        close(session);
    }
    execve(file, argv, env);
    exec_failed(file, errno);
}

int main(int argc, char **argv)
{
    /* Static: they hold what the shell is made of until the exec. */
    static struct request rq;
    static struct reply reply;

    /* What to ask for: by our name (or, under any other name but a shell's,
     * by our file's). */
    const char *name = argc > 0 ? base_name(argv[0]) : "";
    int front = strcmp(name, "execgate") == 0 ||
                (strcmp(name, "execgate-launch") != 0 && !shell_name(name) && installed_front());
    if (front && !attaches(argc, argv))
        node_cli(argc, argv);
    if (front || strcmp(name, "execgate-launch") == 0)
        from_command_line(argc, argv, &rq);
    else
        from_environment(argc, argv, &rq);
    path_without_us();
    /* A cwd too long or deleted is sent empty; the broker decides. */
    static char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)))
        rq.launch.cwd = cstr(cwd);
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    rq.launch.env.v = environ;
    rq.launch.env.n = nenv;

    int control = connect_broker(rq.broker);
    send_launch(control, &rq);
    read_launched(control, &rq, &reply);
    become_shell(&rq, control, &reply);
}
