// Before the agents tests: the published agent CLIs, installed once into
// ~/.cache/execgate/agents (cached after; see agents-install.ts). Installs
// run side by side: they wait on the network, not on the two cores.
import { AGENT_PACKAGES, agentsCacheRoot, ensureInstalled } from './agents-install.js';

export default async function setup(): Promise<void> {
  const log = (line: string) => console.log(`agents: ${line}`);
  const records = await Promise.all(Object.values(AGENT_PACKAGES).map((p) => ensureInstalled(p, { log })));
  const fresh = records.filter((r) => r.seconds > 0);
  if (fresh.length) log(`installed into ${agentsCacheRoot}: ${fresh.map((r) => `${r.spec}@${r.version} ${r.seconds.toFixed(1)} s ${(r.bytes / 2 ** 20).toFixed(0)} MiB`).join('; ')}`);
}
