/** Signing keys shared by every target of a run (generated once by the orchestrator). */
import { exportJWK, generateKeyPair } from 'jose'
import type { BenchJwk, IdTokenAlg } from './config.js'

async function generate(alg: IdTokenAlg): Promise<BenchJwk> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(privateKey)
  return { ...jwk, kty: jwk.kty ?? '', kid: `bench-${alg.toLowerCase()}`, alg, use: 'sig' }
}

/** One ES256 and one RS256 private JWK (ES256 first: the default ID token algorithm). */
export async function generateKeys(): Promise<BenchJwk[]> {
  return [await generate('ES256'), await generate('RS256')]
}
