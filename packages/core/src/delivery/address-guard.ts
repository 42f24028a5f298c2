import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'

/**
 * Address ranges a notification must never reach when the private-address guard is on: loopback,
 * RFC 1918 private, link-local (incl. cloud metadata at 169.254.169.254), CGNAT, unique-local,
 * multicast and reserved ranges. A client-chosen URL is a server-side request (SSRF) vector.
 */
const BLOCKED = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv6')

/** The IPv4 address inside an IPv4-mapped/compatible IPv6 address (`::ffff:10.0.0.1`, `::ffff:a00:1`). */
function embeddedIpv4(address: string): string | undefined {
  const match = /^(?:0{0,4}:){0,5}(?:ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address) ??
    /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address)
  if (match === null) return undefined
  if (match[2] === undefined) return match[1]
  const hi = parseInt(match[1]!, 16)
  const lo = parseInt(match[2], 16)
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
}

/** Is this IP address (v4 or v6, no brackets) in a private, loopback, link-local or reserved range? */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return BLOCKED.check(address, 'ipv4')
  if (family !== 6) return true // not an address: refuse rather than guess
  const v4 = embeddedIpv4(address)
  if (v4 !== undefined) return BLOCKED.check(v4, 'ipv4')
  return BLOCKED.check(address, 'ipv6')
}

/** Thrown (as a socket error) when the guard refuses a destination. Never retried. */
export class AddressNotAllowedError extends Error {
  override readonly name = 'AddressNotAllowedError'
  readonly code = 'EADDRNOTALLOWED'
  constructor() {
    super('notification endpoint resolves to a private, loopback or link-local address')
  }
}

/**
 * A `lookup` for `net.connect` that resolves the name and refuses it if *any* address is private:
 * the connection then uses exactly the checked address, so DNS rebinding between check and use is
 * impossible.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...(options as LookupOptions), all: true }, (error, addresses: LookupAddress[]) => {
    if (error !== null) return callback(error, '', 0)
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) {
      return callback(Object.assign(new AddressNotAllowedError(), { errno: 0, syscall: 'lookup' }), '', 0)
    }
    if ((options as LookupOptions).all === true) {
      ;(callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
    } else {
      callback(null, addresses[0]!.address, addresses[0]!.family)
    }
  })
}
