# A forged wrapper that throws hostile interactions at the broker from inside
# an execgate shell: garbage datagrams, wrong fd kinds and counts, mutated
# and truncated frames, records, floods, slow senders and bursts of
# connections, on fd $EXECGATE_SOCKET and on the session path. Everything
# inside the sandbox can be replaced; the broker must survive all of it,
# close every fd it was given, keep its memory bounded, and never run a
# command on the host that nobody approved.
#
#   python3 forged-wrapper.py --seed N --cases N --broker-pid PID --marker PATH
#
# The policy it expects: `touch` is a prompt rule nobody answers (so a host
# `touch MARKER` would be an unapproved escalation), `rm` is denied. It
# prints one JSON line at the end: cases, broker alive, the broker's fds
# (baseline, peak, settled) and RSS (start, peak, end, in kB), and whether
# the marker exists (an unapproved escalation).
import argparse, errno, json, os, random, socket, struct, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../fixtures"))
from egwire import field, vfield  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--seed", type=int, required=True)
p.add_argument("--cases", type=int, required=True)
p.add_argument("--broker-pid", type=int, required=True)
p.add_argument("--marker", required=True)
args = p.parse_args()
rng = random.Random(args.seed)

SESSION_FD = int(os.environ["EXECGATE_SOCKET"])
SESSION_PATH = os.path.join(os.environ["EXECGATE_SESSION"], "sock") if os.environ.get("EXECGATE_SESSION") else None
session = socket.socket(fileno=os.dup(SESSION_FD))
session.setblocking(False)


def broker_fds():
    try:
        return len(os.listdir(f"/proc/{args.broker_pid}/fd"))
    except OSError:
        return -1


def broker_rss():
    try:
        with open(f"/proc/{args.broker_pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def request(kind=0):
    prog = rng.choice([b"/usr/bin/touch", b"/bin/rm", b"/bin/true", b"touch", b"/usr/bin/env", b"", b"../../usr/bin/touch"])
    argv = [os.path.basename(prog) or b"x"]
    if prog.endswith(b"touch"):
        argv.append(args.marker.encode())
    for _ in range(rng.choice([0, 0, 1, 3, 50])):
        argv.append(bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 1, 8, 300]))))
    body = (vfield(1, kind) if kind else b"") + field(2, prog) + b"".join(field(3, a) for a in argv)
    body += field(4, rng.choice([os.getcwd().encode(), b"/", b"", b"/nonexistent", b"\xff\xfe"])) + vfield(5, rng.getrandbits(31))
    return field(1, body)


def stdio():
    env = b"".join(field(1, e) for e in [b"TERM=xterm", b"LD_PRELOAD=/evil", b"GIT_SSH=/evil"][: rng.randint(0, 3)])
    return field(2, env + (vfield(2, 1) if rng.random() < 0.2 else b"") + vfield(4, rng.randint(0, 9)))


def small():
    return rng.choice([field(3, vfield(1, rng.randint(0, 70))), field(4, field(1, vfield(1, 30) + vfield(2, 100))), field(4, b"")])


def mutate(b):
    b = bytearray(b)
    for _ in range(rng.choice([0, 0, 1, 2, 8])):
        if not b:
            break
        op = rng.random()
        i = rng.randrange(len(b))
        if op < 0.5:
            b[i] ^= 1 << rng.randrange(8)
        elif op < 0.7:
            del b[i:]
        elif op < 0.85:
            b[i:i] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 8)))
        else:
            b[i] = rng.choice([0, 0x7F, 0x80, 0xFF])
    return bytes(b)


def frame(payload):
    n = len(payload)
    r = rng.random()
    if r < 0.05:
        n = rng.choice([0, 0xFFFFFFFF, 4 << 20, (4 << 20) + 1, n + 1, max(0, n - 1)])
    return struct.pack(">I", n & 0xFFFFFFFF) + payload


opened = []  # fds of things we hand over, closed after sending


def some_fds():
    kinds = rng.choice([0, 0, 0, 1, 3, 3, 4, 9])
    out = []
    for _ in range(kinds):
        k = rng.random()
        if k < 0.3:
            r, w = os.pipe()
            out.append(r)
            opened.append(w)
        elif k < 0.6:
            a, b = socket.socketpair(socket.AF_UNIX, rng.choice([socket.SOCK_STREAM, socket.SOCK_SEQPACKET]))
            out.append(a.detach())
            opened.append(b.detach())
        else:
            out.append(os.open("/dev/null", os.O_RDWR))
    opened.extend(out)
    return out


def close_opened():
    while opened:
        try:
            os.close(opened.pop())
        except OSError:
            pass


def session_sock():
    if SESSION_PATH and rng.random() < 0.3:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(1)
        try:
            s.connect(SESSION_PATH)
        except OSError:
            s.close()
            return session, False
        return s, True
    return session, False


def send_dgram(data, fds):
    s, own = session_sock()
    try:
        if fds:
            socket.send_fds(s, [data], fds)
        else:
            s.send(data)
    except OSError as e:
        if e.errno not in (errno.EAGAIN, errno.ENOBUFS, errno.EMSGSIZE, errno.EPIPE, errno.ECONNREFUSED):
            raise
    finally:
        if own:
            s.close()


held = []  # connections left open for a while: slow senders, idle clients


def connection():
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    send_dgram(b"EXG1", [theirs.fileno()])
    theirs.close()
    mine.setblocking(False)
    return mine


def conversation():
    c = connection()
    try:
        msgs = [request(rng.choice([0, 0, 0, 1, 2, 3, 7]))]
        if rng.random() < 0.5:
            msgs.append(stdio())
        for _ in range(rng.choice([0, 0, 1, 5])):
            msgs.append(small())
        for m in msgs:
            data = frame(mutate(m) if rng.random() < 0.3 else m)
            fds = some_fds() if rng.random() < 0.2 or m[:1] == b"\x12" else []
            if rng.random() < 0.1:
                data = data[: rng.randrange(len(data) + 1)]  # truncated
            try:
                if fds and data:
                    socket.send_fds(c, [data[:1]], fds)
                    c.send(data[1:])
                else:
                    c.send(data)
            except OSError:
                break
            try:
                c.recv(65536)
            except OSError:
                pass
        if rng.random() < 0.05:
            held.append(c)  # a slow sender: leave it open, mid-whatever
            return
    finally:
        close_opened()
    c.close()


def garbage():
    data = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 1, 3, 4, 5, 64, 4096])))
    if rng.random() < 0.3:
        data = rng.choice([b"EXG1", b"EXR1", b"EXN1"]) + data
    send_dgram(data, some_fds())
    close_opened()


def record():
    send_dgram(b"EXR1" + mutate(request()), [])


def burst():
    cs = [connection() for _ in range(rng.randint(5, 60))]
    for c in cs:
        c.close()


def flood_records():
    for _ in range(rng.randint(10, 200)):
        send_dgram(b"EXR1" + request(), [])


CASES = [(conversation, 50), (garbage, 20), (record, 10), (burst, 3), (flood_records, 2), (lambda: send_dgram(b"", []), 2)]
weights = [w for _, w in CASES]

baseline_fds = broker_fds()
rss_start = broker_rss()
peak_fds, peak_rss = baseline_fds, rss_start
t0 = time.time()
for i in range(args.cases):
    fn = rng.choices([f for f, _ in CASES], weights)[0]
    try:
        fn()
    except OSError:
        pass
    if len(held) > 40:
        for c in held[:20]:
            c.close()
        del held[:20]
    if i % 100 == 0:
        peak_fds = max(peak_fds, broker_fds())
        peak_rss = max(peak_rss, broker_rss())
for c in held:
    c.close()
held.clear()

# Settled: the broker gives back what the cases made it hold.
settled = broker_fds()
deadline = time.time() + 20
while settled > baseline_fds and time.time() < deadline:
    time.sleep(0.1)
    settled = broker_fds()

print(json.dumps({
    "seed": args.seed,
    "cases": args.cases,
    "seconds": round(time.time() - t0, 1),
    "broker_alive": os.path.exists(f"/proc/{args.broker_pid}"),
    "fds": {"baseline": baseline_fds, "peak": peak_fds, "settled": settled},
    "rss_kb": {"start": rss_start, "peak": peak_rss, "end": broker_rss()},
    "marker_exists": os.path.exists(args.marker),
}), flush=True)
