/**
 * Lua scripts of the Redis budget ledger.
 *
 * @remarks
 * Lua numbers are doubles (exact only below 2^53 ≈ 9.007e15), and femto-dollar amounts pass that
 * at about $9. Amounts therefore travel and rest as decimal strings and are computed as two limbs
 * of base 10^15 (`{hi, lo}`, each an exact double): additions and comparisons stay exact up to
 * 9×10^30 femto-dollars (9×10^15 USD). Each script runs atomically, so a reserve checks and
 * updates every scope as one step across all processes sharing the Redis.
 *
 * Keys (prefix `P`): `P scopes` one hash with the fields `l:<scope>` (limit, '-' = none),
 * `s:<scope>` (spent) and `r:<scope>` (reserved) — one HMGET and one HSET cover every scope of a
 * call, which is where a script spends its time;
 * `P r:<id>` hash {state, amount, scopes (JSON), exp, lease (ms), actual, late, and holder, run, task,
 * usage (JSON, the settle's usage) when given}; a closed record lives `TTL` ms more (PEXPIRE), so
 * settle stays idempotent and `lookup` answers for that long;
 * `P open` sorted set of open ids by lease expiry; `P h:<holder>` set of a holder's open ids.
 * Keys are derived inside the scripts from the prefix, so the ledger needs one Redis node (or a
 * prefix with a hash tag that pins every key to one cluster slot).
 */

const PRELUDE = `
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local TTL = tonumber(ARGV[3])
local B = 1e15
local SK = P .. 'scopes'
-- Amounts are passed around as two values (hi, lo), never as tables: no allocation per operation.
local function parse(s)
  if not s then return 0, 0 end
  local n = #s
  if n <= 15 then return 0, tonumber(s) end
  return tonumber(string.sub(s, 1, n - 15)), tonumber(string.sub(s, n - 14))
end
local function fmt(hi, lo)
  if hi == 0 then return string.format('%.0f', lo) end
  return string.format('%.0f%015.0f', hi, lo)
end
local function add(ah, al, bh, bl)
  local hi, lo = ah + bh, al + bl
  if lo >= B then return hi + 1, lo - B end
  return hi, lo
end
local function sub(ah, al, bh, bl)
  local hi, lo = ah - bh, al - bl
  if lo < 0 then return hi - 1, lo + B end
  return hi, lo
end
local function gt(ah, al, bh, bl)
  if ah ~= bh then return ah > bh end
  return al > bl
end
local function closeOpen(id, rk, state, holder, actual)
  if actual then redis.call('HSET', rk, 'state', state, 'actual', actual) else redis.call('HSET', rk, 'state', state) end
  redis.call('PEXPIRE', rk, TTL)
  redis.call('ZREM', P .. 'open', id)
  if holder and holder ~= '' then redis.call('SREM', P .. 'h:' .. holder, id) end
end
-- Adds (sign 1) or subtracts (sign -1) an amount to one field kind ('s' or 'r') of every scope.
local function shift(scopes, kind, ah, al, sign)
  local fields = {}
  for i, s in ipairs(scopes) do fields[i] = kind .. ':' .. s end
  local values = redis.call('HMGET', SK, unpack(fields))
  local args = {}
  for i, field in ipairs(fields) do
    local vh, vl = parse(values[i])
    args[2 * i - 1] = field
    if sign > 0 then args[2 * i] = fmt(add(vh, vl, ah, al)) else args[2 * i] = fmt(sub(vh, vl, ah, al)) end
  end
  redis.call('HSET', SK, unpack(args))
end
local function returnAmount(amountText, scopesJson)
  local ah, al = parse(amountText)
  shift(cjson.decode(scopesJson), 'r', ah, al, -1)
end
local function expire(id)
  local rk = P .. 'r:' .. id
  local r = redis.call('HMGET', rk, 'state', 'amount', 'scopes', 'holder')
  if r[1] ~= 'open' then redis.call('ZREM', P .. 'open', id) return 0 end
  returnAmount(r[2], r[3])
  closeOpen(id, rk, 'expired', r[4])
  return 1
end
local function sweep(limit)
  local ids = redis.call('ZRANGEBYSCORE', P .. 'open', '-inf', NOW, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do expire(id) end
  return #ids
end
-- 'NOT_FOUND' | 'CLOSED' (settled) | 'NOOP' (released or expired) | 'OK'
local function release(id)
  local rk = P .. 'r:' .. id
  local r = redis.call('HMGET', rk, 'state', 'amount', 'scopes', 'exp', 'holder')
  if not r[1] then return 'NOT_FOUND' end
  if r[1] == 'open' and tonumber(r[4]) <= NOW then expire(id) return 'NOOP' end
  if r[1] == 'settled' then return 'CLOSED' end
  if r[1] ~= 'open' then return 'NOOP' end
  returnAmount(r[2], r[3])
  closeOpen(id, rk, 'released', r[5])
  return 'OK'
end
`;

/** ARGV: P, NOW, TTL, id, amount, leaseMs, holder, scopes JSON, run, task, caller-chosen id ('1' | '0'). */
const RESERVE = `${PRELUDE}
sweep(64)
local id = ARGV[4]
local rk = P .. 'r:' .. id
if ARGV[11] == '1' and redis.call('EXISTS', rk) == 1 then
  local r = redis.call('HMGET', rk, 'scopes', 'amount', 'exp', 'holder', 'state')
  if r[5] == 'open' and tonumber(r[3]) <= NOW then
    expire(id)
    r[5] = 'expired'
  end
  -- A closed id is never handed back as a new hold (the TS side refuses it as RESERVATION_CLOSED).
  return {'EXISTS', r[1], r[2], r[3], r[4] or '', r[5]}
end
local ah, al = parse(ARGV[5])
local scopes = cjson.decode(ARGV[8])
local fields = {}
for i, s in ipairs(scopes) do
  fields[3 * i - 2] = 'l:' .. s
  fields[3 * i - 1] = 's:' .. s
  fields[3 * i] = 'r:' .. s
end
local v = redis.call('HMGET', SK, unpack(fields))
for i, s in ipairs(scopes) do
  if not v[3 * i - 2] then return {'UNKNOWN_SCOPE', s} end
end
local updates = {}
for i, s in ipairs(scopes) do
  local limit, spent, reserved = v[3 * i - 2], v[3 * i - 1], v[3 * i]
  local rh, rl = add(ah, al, parse(reserved))
  if limit ~= '-' then
    local sh, sl = parse(spent)
    local th, tl = add(sh, sl, rh, rl)
    local lh, ll = parse(limit)
    if gt(th, tl, lh, ll) then return {'BUDGET_EXCEEDED', s, limit, spent, reserved} end
  end
  updates[2 * i - 1] = fields[3 * i]
  updates[2 * i] = fmt(rh, rl)
end
redis.call('HSET', SK, unpack(updates))
local exp = NOW + tonumber(ARGV[6])
local expText = string.format('%.0f', exp)
local record = {'state', 'open', 'amount', ARGV[5], 'scopes', ARGV[8], 'exp', expText, 'lease', ARGV[6]}
-- Optional fields are written only when given (HMGET of a missing field returns nil, read as '').
if ARGV[7] ~= '' then record[#record + 1] = 'holder'; record[#record + 1] = ARGV[7] end
if ARGV[9] ~= '' then record[#record + 1] = 'run'; record[#record + 1] = ARGV[9] end
if ARGV[10] ~= '' then record[#record + 1] = 'task'; record[#record + 1] = ARGV[10] end
redis.call('HSET', rk, unpack(record))
redis.call('ZADD', P .. 'open', exp, id)
if ARGV[7] ~= '' then redis.call('SADD', P .. 'h:' .. ARGV[7], id) end
return {'OK', expText}
`;

/** ARGV: P, NOW, TTL, id, actual, usage JSON ('' = none). */
const SETTLE = `${PRELUDE}
local id = ARGV[4]
local rk = P .. 'r:' .. id
local r = redis.call('HMGET', rk, 'state', 'amount', 'scopes', 'exp', 'actual', 'late', 'holder', 'usage')
if not r[1] then return {'NOT_FOUND'} end
if r[1] == 'open' and tonumber(r[4]) <= NOW then expire(id); r[1] = 'expired' end
if r[1] == 'settled' then return {'SETTLED', r[2], r[5], r[8] or ''} end
if r[1] == 'released' then return {'CLOSED', 'released'} end
local xh, xl = parse(ARGV[5])
if r[1] == 'expired' then
  if r[6] ~= '1' then
    shift(cjson.decode(r[3]), 's', xh, xl, 1)
    redis.call('HSET', rk, 'late', '1', 'actual', ARGV[5])
    if ARGV[6] ~= '' then redis.call('HSET', rk, 'usage', ARGV[6]) end
  end
  return {'CLOSED', 'expired'}
end
local ah, al = parse(r[2])
local scopes = cjson.decode(r[3])
local fields = {}
for i, s in ipairs(scopes) do
  fields[2 * i - 1] = 's:' .. s
  fields[2 * i] = 'r:' .. s
end
local v = redis.call('HMGET', SK, unpack(fields))
local updates = {}
for i = 1, #scopes do
  local sh, sl = parse(v[2 * i - 1])
  local rh, rl = parse(v[2 * i])
  updates[4 * i - 3] = fields[2 * i - 1]
  updates[4 * i - 2] = fmt(add(sh, sl, xh, xl))
  updates[4 * i - 1] = fields[2 * i]
  updates[4 * i] = fmt(sub(rh, rl, ah, al))
end
redis.call('HSET', SK, unpack(updates))
if ARGV[6] ~= '' then redis.call('HSET', rk, 'usage', ARGV[6]) end
closeOpen(id, rk, 'settled', r[7], ARGV[5])
return {'OK', r[2]}
`;

/** ARGV: P, NOW, TTL, id, leaseMs ('' = the lease it was made with). */
const RENEW = `${PRELUDE}
local id = ARGV[4]
local rk = P .. 'r:' .. id
local r = redis.call('HMGET', rk, 'state', 'amount', 'scopes', 'exp', 'holder', 'lease')
if not r[1] then return {'NOT_FOUND'} end
if r[1] == 'open' and tonumber(r[4]) <= NOW then expire(id); r[1] = 'expired' end
if r[1] ~= 'open' then return {'CLOSED', r[1]} end
local lease = ARGV[5]
if lease == '' then lease = r[6] or '600000' end
local exp = NOW + tonumber(lease)
local expText = string.format('%.0f', exp)
redis.call('HSET', rk, 'exp', expText)
redis.call('ZADD', P .. 'open', exp, id)
return {'OK', expText, r[2], r[3], r[5] or ''}
`;

/** ARGV: P, NOW, TTL, id. */
const LOOKUP = `${PRELUDE}
local id = ARGV[4]
local rk = P .. 'r:' .. id
local r = redis.call('HMGET', rk, 'state', 'amount', 'scopes', 'exp', 'holder', 'actual', 'late', 'usage')
if not r[1] then return {'NOT_FOUND'} end
if r[1] == 'open' and tonumber(r[4]) <= NOW then expire(id); r[1] = 'expired' end
local charged = '0'
if r[1] == 'settled' or r[7] == '1' then charged = '1' end
return {r[1], r[2], r[3], r[4], r[5] or '', charged, r[6] or '', r[8] or ''}
`;

/** ARGV: P, NOW, TTL, id. */
const RELEASE = `${PRELUDE}
return release(ARGV[4])
`;

/** ARGV: P, NOW, TTL, holder. */
const RELEASE_HOLDER = `${PRELUDE}
sweep(1000)
local count = 0
for _, id in ipairs(redis.call('SMEMBERS', P .. 'h:' .. ARGV[4])) do
  if release(id) == 'OK' then count = count + 1 end
end
return count
`;

/** ARGV: P, NOW, TTL, scope, limit ('-' = none). */
const SET_LIMIT = `${PRELUDE}
redis.call('HSET', SK, 'l:' .. ARGV[4], ARGV[5])
redis.call('HSETNX', SK, 's:' .. ARGV[4], '0')
redis.call('HSETNX', SK, 'r:' .. ARGV[4], '0')
return 'OK'
`;

/** ARGV: P, NOW, TTL, scope. */
const SNAPSHOT = `${PRELUDE}
sweep(1000)
local v = redis.call('HMGET', SK, 'l:' .. ARGV[4], 's:' .. ARGV[4], 'r:' .. ARGV[4])
if not v[1] then return {'UNKNOWN_SCOPE'} end
return {'OK', v[1], v[2], v[3]}
`;

/** ARGV: P, NOW, TTL. */
const SWEEP = `${PRELUDE}
return sweep(1000)
`;

export const REDIS_SCRIPTS = {
  reserve: RESERVE,
  settle: SETTLE,
  renew: RENEW,
  lookup: LOOKUP,
  release: RELEASE,
  releaseHolder: RELEASE_HOLDER,
  setLimit: SET_LIMIT,
  snapshot: SNAPSHOT,
  sweep: SWEEP,
} as const;

export type RedisScriptName = keyof typeof REDIS_SCRIPTS;

/** Batch size of the sweep script; a full batch means more may be waiting. */
export const SWEEP_BATCH = 1000;
