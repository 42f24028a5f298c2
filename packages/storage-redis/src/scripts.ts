import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

/*
 * Lua scripts: each storage operation on the request path is one EVALSHA (one round trip), and
 * Redis runs a script atomically, which is what makes create-if-absent, compare-and-set and
 * consume-once safe across OP processes.
 *
 * Records are hashes whose field values are JSON texts written and read by Node: the scripts
 * compare and copy those texts but never re-encode a record (Lua's cjson turns [] into {} and
 * rounds numbers), so records round-trip exactly. Keys are `<prefix><kind>:<id>`.
 * Variable-length arguments are read from ARGV with a cursor (`arg`, `args`).
 */
const PRELUDE = `
local argi = 0
local function arg() argi = argi + 1; return ARGV[argi] end
local function args(n) local t = {}; for i = 1, n do t[i] = arg() end; return t end
local prefix = arg()
-- Makes the marker key live at least px ms (markers only ever grow their TTL).
local function extend(key, px)
  if px > 0 and redis.call('PTTL', key) < px then redis.call('SET', key, '1', 'PX', px) end
end
local function revoked(grant) return redis.call('EXISTS', prefix .. 'rev:' .. grant) == 1 end
local function revoke(grant, px)
  extend(prefix .. 'rev:' .. grant, math.max(px, redis.call('PTTL', prefix .. 'gx:' .. grant)))
end
-- token spec: id, grantId, px, n, n field/value pairs. Ignored for a revoked grant.
local function save_token()
  local id, grant, px, n = arg(), arg(), tonumber(arg()), tonumber(arg())
  local fields = args(2 * n)
  if revoked(grant) then return end
  local key = prefix .. 'tok:' .. id
  redis.call('DEL', key)
  redis.call('HSET', key, unpack(fields))
  redis.call('PEXPIRE', key, px)
  -- gx:<grant> lives as long as the grant's longest-lived token: a revocation lasts that long.
  extend(prefix .. 'gx:' .. grant, px)
end
local function save_tokens() local n = tonumber(arg()); for i = 1, n do save_token() end end
-- delivery spec: id, px, score (nextAttemptAt), n, n field/value pairs.
local function save_delivery()
  local id, px, score, n = arg(), tonumber(arg()), arg(), tonumber(arg())
  local fields = args(2 * n)
  local key = prefix .. 'dlv:' .. id
  redis.call('DEL', key)
  redis.call('HSET', key, unpack(fields))
  redis.call('PEXPIRE', key, px)
  redis.call('ZADD', prefix .. 'dlvq', score, id)
end
local function token_grant(key) return cjson.decode(redis.call('HGET', key, 'grantId')) end
`

const SOURCES = {
  /** KEYS[1] auth request. ARGV: prefix, px, fields... -> 1 | 0 */
  createAuthRequest: `
local px = tonumber(arg())
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], px)
return 1`,

  /** KEYS[1] auth request. ARGV: prefix, lastPolledAt JSON -> previous fields | nil */
  recordPoll: `
local before = redis.call('HGETALL', KEYS[1])
if #before == 0 then return false end
redis.call('HSET', KEYS[1], 'lastPolledAt', arg())
return before`,

  /**
   * KEYS[1] auth request. ARGV: prefix, nFrom, from statuses (JSON), nSet, pairs, nDel, fields,
   * tokens (count + specs), hasDelivery ('1' + spec | '0') -> new fields | nil
   */
  transition: `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
local matches = false
for _, s in ipairs(args(tonumber(arg()))) do if s == status then matches = true end end
if not matches then return false end
local set = args(2 * tonumber(arg()))
local del = args(tonumber(arg()))
if #set > 0 then redis.call('HSET', KEYS[1], unpack(set)) end
if #del > 0 then redis.call('HDEL', KEYS[1], unpack(del)) end
save_tokens()
if arg() == '1' then save_delivery() end
return redis.call('HGETALL', KEYS[1])`,

  /** ARGV: prefix, tokens (count + specs) */
  saveTokens: `
save_tokens()
return 1`,

  /** KEYS[1] token. ARGV: prefix -> fields | nil */
  findToken: `
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 or revoked(token_grant(KEYS[1])) then return false end
return fields`,

  /** KEYS[1] token. ARGV: prefix, usedAt JSON, tokens (count + specs) -> {outcome, fields?} */
  useRefreshToken: `
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {'missing'} end
local grant = token_grant(KEYS[1])
if revoked(grant) or redis.call('HGET', KEYS[1], 'kind') ~= '"refresh_token"' then return {'missing'} end
if redis.call('HEXISTS', KEYS[1], 'usedAt') == 1 then
  revoke(grant, redis.call('PTTL', KEYS[1]))
  return {'reused', fields}
end
redis.call('HSET', KEYS[1], 'usedAt', arg())
save_tokens()
return {'used', redis.call('HGETALL', KEYS[1])}`,

  /** ARGV: prefix, grantId, px */
  revokeGrant: `
local grant = arg()
revoke(grant, tonumber(arg()))
return 1`,

  /** ARGV: prefix, delivery spec */
  enqueueDelivery: `
save_delivery()
return 1`,

  /**
   * KEYS[1] queue. ARGV: prefix, now, limit, leaseUntil (score), leaseUntil (JSON) -> list of fields.
   * Queue entries whose record has expired are dropped on the way (each at most once).
   */
  claimDeliveries: `
local now, limit, lease, leaseJson = arg(), tonumber(arg()), arg(), arg()
local out, seen = {}, {}
for _ = 1, 8 do
  if #out >= limit then break end
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit - #out)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local key = prefix .. 'dlv:' .. id
    local fields = redis.call('HGETALL', key)
    if #fields == 0 then
      redis.call('ZREM', KEYS[1], id)
    elseif not seen[id] then
      seen[id] = true
      redis.call('HSET', key, 'nextAttemptAt', leaseJson)
      redis.call('ZADD', KEYS[1], lease, id)
      out[#out + 1] = fields
    end
  end
end
return out`,

  /**
   * KEYS[1] client. ARGV: prefix, expected revision, record JSON -> 1 | 0. The stored record is
   * decoded only to read its revision (absent: 0); what is stored is Node's JSON text, as given.
   */
  updateClient: `
local expected, json = tonumber(arg()), arg()
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local revision = cjson.decode(stored).revision
if type(revision) ~= 'number' then revision = 0 end
if revision ~= expected then return 0 end
redis.call('SET', KEYS[1], json)
return 1`,

  /** KEYS[1] delivery, KEYS[2] queue. ARGV: prefix, id, score, pairs... -> 1 | 0 */
  rescheduleDelivery: `
local id, score = arg(), arg()
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], score, id)
return 1`,
} as const

/** Name of one storage script. */
export type ScriptName = keyof typeof SOURCES

interface Script {
  readonly source: string
  readonly sha: string
}

const SCRIPTS = Object.fromEntries(
  Object.entries(SOURCES).map(([name, body]) => {
    const source = PRELUDE + body
    return [name, { source, sha: createHash('sha1').update(source).digest('hex') }]
  }),
) as Record<ScriptName, Script>

/**
 * Runs a script with EVALSHA (one round trip); after a Redis restart or SCRIPT FLUSH the server
 * answers NOSCRIPT once and the script is sent with EVAL.
 */
export async function runScript(client: Redis, name: ScriptName, keys: readonly string[], argv: readonly (string | number)[]): Promise<unknown> {
  const script = SCRIPTS[name]
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...argv)
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
    return await client.eval(script.source, keys.length, ...keys, ...argv)
  }
}
