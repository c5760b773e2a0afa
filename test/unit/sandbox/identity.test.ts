import { describe, expect, it } from 'vitest';
import { parseSandboxUid, sandboxIdentity } from '../../../src/sandbox/identity.js';

const etc: Record<string, string> = {
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nsandbox:x:1500:1500::/nowhere:/bin/sh\n',
  '/etc/group': 'root:x:0:\nalice:x:1000:\n',
};
const read = (f: string) => etc[f] ?? '';

describe('sandbox identity', () => {
  it('gives root uid 1000 inside, named sandbox, with passwd and group entries of its own', () => {
    const id = sandboxIdentity({ uid: 0, gid: 0, name: 'root' }, null, '/root', read);
    expect(id).toMatchObject({ uid: 1000, gid: 1000, name: 'sandbox' });
    // the host's entries for uid 1000 and for the name "sandbox" give way
    expect(id.passwd).toBe('root:x:0:0:root:/root:/bin/bash\nsandbox:x:1000:1000:execgate sandbox:/root:/bin/bash\n');
    expect(id.group).toBe('root:x:0:\nsandbox:x:1000:\n');
  });

  it('keeps an ordinary user as themselves, with the host files as they are', () => {
    expect(sandboxIdentity({ uid: 1000, gid: 1000, name: 'alice' }, null, '/home/alice', read)).toEqual({ uid: 1000, gid: 1000, name: 'alice', passwd: null, group: null });
  });

  it('gives the uid asked for; 0 is root by name', () => {
    expect(sandboxIdentity({ uid: 0, gid: 0, name: 'root' }, 0, '/root', read)).toMatchObject({ uid: 0, name: 'root', passwd: null });
    const asRoot = sandboxIdentity({ uid: 1000, gid: 1000, name: 'alice' }, 0, '/home/alice', read);
    expect(asRoot.passwd).toBe('alice:x:1000:1000::/home/alice:/bin/bash\nsandbox:x:1500:1500::/nowhere:/bin/sh\nroot:x:0:0:execgate sandbox:/home/alice:/bin/bash\n');
    expect(sandboxIdentity({ uid: 0, gid: 0, name: 'root' }, 2000, '/root', read)).toMatchObject({ uid: 2000, gid: 2000, name: 'sandbox' });
  });

  it('parses --sandbox-uid', () => {
    expect(parseSandboxUid('0')).toBe(0);
    expect(parseSandboxUid('1001')).toBe(1001);
    for (const bad of ['-1', 'x', '1.5', '65534', '4294967295', '']) expect(() => parseSandboxUid(bad)).toThrow(/--sandbox-uid/);
  });
});
