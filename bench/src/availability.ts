/** Which targets can run in this checkout (ciba-kit targets need the core to exist). */
import type { TargetDef } from './targets.js'

async function hasExport(specifier: string, name: string): Promise<boolean> {
  try {
    const mod = (await import(specifier)) as Record<string, unknown>
    return typeof mod[name] === 'function'
  } catch {
    return false
  }
}

/** All targets whose libraries are present; the others are named on stderr and skipped. */
export async function availableTargets(all: readonly TargetDef[]): Promise<TargetDef[]> {
  const core = await hasExport('@ciba-kit/core', 'createProvider')
  const out: TargetDef[] = []
  for (const def of all) {
    if (def.kind === 'ciba' && !core) {
      console.error(`skipping ${def.name}: @ciba-kit/core does not export createProvider yet`)
      continue
    }
    out.push(def)
  }
  return out
}
