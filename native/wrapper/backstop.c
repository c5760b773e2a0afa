/*
 * The seccomp backstop, the sandbox's half: see backstop.h and execgate.proto
 * ("Seccomp backstop"). musl ships no <linux/seccomp.h> or <linux/filter.h>,
 * so the few pieces of the kernel's ABI used here are spelled out below, with
 * the values of those headers.
 *
 * The filter, on x86_64 (the architecture is checked in the filter itself):
 *   - execve with the cookie in args[3], execveat with it in args[5]: allowed;
 *   - any other execve or execveat: a user notification (the broker decides:
 *     continue, or fail with an errno);
 *   - execve and execveat of the x32 ABI and of i386 (32-bit programs):
 *     ENOSYS, deliberately: the broker reads the caller's memory as x86_64,
 *     and nothing here runs such programs;
 *   - every other system call: allowed.
 */
#include "backstop.h"

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "protocol.h"

int eg_execve_cookie(const char *path, char *const argv[], char *const envp[])
{
    return (int)syscall(SYS_execve, path, argv, envp, (long)EG_EXEC_COOKIE);
}

#if defined(__x86_64__)

/* <linux/filter.h> */
struct eg_sock_filter {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
};
struct eg_sock_fprog {
    unsigned short len;
    struct eg_sock_filter *filter;
};
#define EG_BPF_LD_W_ABS 0x20 /* BPF_LD | BPF_W | BPF_ABS */
#define EG_BPF_JEQ_K 0x15    /* BPF_JMP | BPF_JEQ | BPF_K */
#define EG_BPF_JGE_K 0x35    /* BPF_JMP | BPF_JGE | BPF_K */
#define EG_BPF_RET_K 0x06    /* BPF_RET | BPF_K */

/* <linux/seccomp.h>, <linux/audit.h> */
#define EG_SECCOMP_SET_MODE_FILTER 1u
#define EG_SECCOMP_GET_ACTION_AVAIL 2u
#define EG_SECCOMP_FILTER_FLAG_NEW_LISTENER (1ul << 3)
#define EG_SECCOMP_RET_ALLOW 0x7fff0000u
#define EG_SECCOMP_RET_USER_NOTIF 0x7fc00000u
#define EG_SECCOMP_RET_ERRNO 0x00050000u
#define EG_SECCOMP_USER_NOTIF_FLAG_CONTINUE 1u
#define EG_AUDIT_ARCH_X86_64 0xc000003eu
#define EG_AUDIT_ARCH_I386 0x40000003u
struct eg_seccomp_notif_resp {
    uint64_t id;
    int64_t val;
    int32_t error;
    uint32_t flags;
};
static const unsigned long EG_IOCTL_NOTIF_SEND = _IOWR('!', 1, struct eg_seccomp_notif_resp);
static const unsigned long EG_IOCTL_NOTIF_ID_VALID = _IOW('!', 2, uint64_t);

/* struct seccomp_data: int nr; u32 arch; u64 ip; u64 args[6] (little-endian:
 * an argument's low word first). */
#define OFF_NR 0u
#define OFF_ARCH 4u
#define OFF_ARG_LO(i) (16u + 8u * (i))
#define OFF_ARG_HI(i) (16u + 8u * (i) + 4u)

#define X32_BIT 0x40000000u
enum {
    NR_EXECVE = 59,
    NR_EXECVEAT = 322,
    NR_X32_EXECVE = 520,
    NR_X32_EXECVEAT = 545,
    NR_I386_EXECVE = 11,
    NR_I386_EXECVEAT = 358,
};
#define COOKIE_LO ((uint32_t)((uint64_t)EG_EXEC_COOKIE & 0xffffffffu))
#define COOKIE_HI ((uint32_t)((uint64_t)EG_EXEC_COOKIE >> 32))

/* Every instruction by name, so that jumps are computed, not counted. */
enum {
    I_ARCH, I_IS_X86_64,
    I_NR, I_IS_X32, I_IS_EXECVE, I_IS_EXECVEAT, I_OTHER,
    I_EXECVE_LO, I_EXECVE_LO_OK, I_EXECVE_HI, I_EXECVE_HI_OK,
    I_EXECVEAT_LO, I_EXECVEAT_LO_OK, I_EXECVEAT_HI, I_EXECVEAT_HI_OK,
    I_X32_EXECVE, I_X32_EXECVEAT,
    I_I386_NR, I_I386_EXECVE, I_I386_EXECVEAT,
    I_NOTIFY, I_ALLOW, I_ENOSYS,
    I_COUNT
};
#define TO(from, to) ((uint8_t)((to) - (from) - 1))
#define LOAD(at, off) [at] = { EG_BPF_LD_W_ABS, 0, 0, (off) }
#define JEQ(at, k, t, f) [at] = { EG_BPF_JEQ_K, TO(at, t), TO(at, f), (k) }
#define JGE(at, k, t, f) [at] = { EG_BPF_JGE_K, TO(at, t), TO(at, f), (k) }
#define RET(at, k) [at] = { EG_BPF_RET_K, 0, 0, (k) }

static struct eg_sock_filter exec_filter[I_COUNT] = {
    LOAD(I_ARCH, OFF_ARCH),
    JEQ(I_IS_X86_64, EG_AUDIT_ARCH_X86_64, I_NR, I_I386_NR),
    LOAD(I_NR, OFF_NR),
    JGE(I_IS_X32, X32_BIT, I_X32_EXECVE, I_IS_EXECVE),
    JEQ(I_IS_EXECVE, NR_EXECVE, I_EXECVE_LO, I_IS_EXECVEAT),
    JEQ(I_IS_EXECVEAT, NR_EXECVEAT, I_EXECVEAT_LO, I_OTHER),
    RET(I_OTHER, EG_SECCOMP_RET_ALLOW),
    /* execve(path, argv, envp): the cookie in args[3] */
    LOAD(I_EXECVE_LO, OFF_ARG_LO(3)),
    JEQ(I_EXECVE_LO_OK, COOKIE_LO, I_EXECVE_HI, I_NOTIFY),
    LOAD(I_EXECVE_HI, OFF_ARG_HI(3)),
    JEQ(I_EXECVE_HI_OK, COOKIE_HI, I_ALLOW, I_NOTIFY),
    /* execveat(dirfd, path, argv, envp, flags): the cookie in args[5] */
    LOAD(I_EXECVEAT_LO, OFF_ARG_LO(5)),
    JEQ(I_EXECVEAT_LO_OK, COOKIE_LO, I_EXECVEAT_HI, I_NOTIFY),
    LOAD(I_EXECVEAT_HI, OFF_ARG_HI(5)),
    JEQ(I_EXECVEAT_HI_OK, COOKIE_HI, I_ALLOW, I_NOTIFY),
    /* x32 (same arch value, nr with bit 30): refuse its execs */
    JEQ(I_X32_EXECVE, X32_BIT | NR_X32_EXECVE, I_ENOSYS, I_X32_EXECVEAT),
    JEQ(I_X32_EXECVEAT, X32_BIT | NR_X32_EXECVEAT, I_ENOSYS, I_ALLOW),
    /* i386 (and any other arch): refuse its execs */
    LOAD(I_I386_NR, OFF_NR),
    JEQ(I_I386_EXECVE, NR_I386_EXECVE, I_ENOSYS, I_I386_EXECVEAT),
    JEQ(I_I386_EXECVEAT, NR_I386_EXECVEAT, I_ENOSYS, I_ALLOW),
    RET(I_NOTIFY, EG_SECCOMP_RET_USER_NOTIF),
    RET(I_ALLOW, EG_SECCOMP_RET_ALLOW),
    RET(I_ENOSYS, EG_SECCOMP_RET_ERRNO | ENOSYS),
};

/* The probe: a listener for a system call number that does not exist, to
 * try the listener's ioctls on before the real filter is installed (a filter
 * cannot be removed; once the probe's listener is closed, that number fails
 * with ENOSYS, as it did before). One comparison per system call. */
#define PROBE_NR 0x3ffffffeu
enum { P_ARCH, P_IS_X86_64, P_NR, P_IS_PROBE, P_NOTIFY, P_ALLOW, P_COUNT };
static struct eg_sock_filter probe_filter[P_COUNT] = {
    LOAD(P_ARCH, OFF_ARCH),
    JEQ(P_IS_X86_64, EG_AUDIT_ARCH_X86_64, P_NR, P_ALLOW),
    LOAD(P_NR, OFF_NR),
    JEQ(P_IS_PROBE, PROBE_NR, P_NOTIFY, P_ALLOW),
    RET(P_NOTIFY, EG_SECCOMP_RET_USER_NOTIF),
    RET(P_ALLOW, EG_SECCOMP_RET_ALLOW),
};

static int install(struct eg_sock_filter *code, unsigned short len)
{
    struct eg_sock_fprog prog = { len, code };
    return (int)syscall(SYS_seccomp, EG_SECCOMP_SET_MODE_FILTER, EG_SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

/* The errno an ioctl on the listener fails with for a notification id that
 * does not exist: ENOENT where the kernel knows the request. */
static int probe_errno(int fd, unsigned long request, void *arg)
{
    return syscall(SYS_ioctl, fd, request, arg) < 0 ? errno : 0;
}

static int refuse(const char **why, int *err, const char *what, int e)
{
    *why = what;
    *err = e;
    return -1;
}

int eg_backstop_install(const char **why, int *err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return refuse(why, err, "prctl(PR_SET_NO_NEW_PRIVS) failed", errno);
    uint32_t action = EG_SECCOMP_RET_USER_NOTIF;
    if (syscall(SYS_seccomp, EG_SECCOMP_GET_ACTION_AVAIL, 0u, &action) < 0)
        return refuse(why, err, "seccomp user notification is not available", errno);

    int probe = install(probe_filter, P_COUNT);
    if (probe < 0)
        return refuse(why, err, "seccomp refused a filter with a listener", errno);
    struct eg_seccomp_notif_resp resp = { .id = ~(uint64_t)0, .flags = EG_SECCOMP_USER_NOTIF_FLAG_CONTINUE };
    uint64_t id = ~(uint64_t)0;
    int cont = probe_errno(probe, EG_IOCTL_NOTIF_SEND, &resp);
    int valid = probe_errno(probe, EG_IOCTL_NOTIF_ID_VALID, &id);
    close(probe);
    if (cont != ENOENT)
        return refuse(why, err, "the kernel cannot let a notified exec continue (SECCOMP_USER_NOTIF_FLAG_CONTINUE)", cont);
    if (valid != ENOENT)
        return refuse(why, err, "the kernel cannot check a notification (SECCOMP_IOCTL_NOTIF_ID_VALID)", valid);

    int listener = install(exec_filter, I_COUNT);
    if (listener < 0)
        return refuse(why, err, "seccomp refused the exec filter", errno);
    return listener;
}

#else

int eg_backstop_install(const char **why, int *err)
{
    *why = "the seccomp backstop is built for x86_64 only";
    *err = 0;
    return -1;
}

#endif
