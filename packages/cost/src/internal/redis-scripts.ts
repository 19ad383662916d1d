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
 * `P r:<id>` hash {state, amount, scopes (JSON), exp, holder, actual, late, run, task};
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
local function parse(s)
  if not s then return {0, 0} end
  local n = #s
  if n <= 15 then return {0, tonumber(s)} end
  return {tonumber(string.sub(s, 1, n - 15)), tonumber(string.sub(s, n - 14))}
end
local function fmt(a)
  if a[1] == 0 then return string.format('%.0f', a[2]) end
  return string.format('%.0f', a[1]) .. string.format('%015.0f', a[2])
end
local function add(a, b)
  local hi, lo = a[1] + b[1], a[2] + b[2]
  if lo >= B then lo = lo - B; hi = hi + 1 end
  return {hi, lo}
end
local function sub(a, b)
  local hi, lo = a[1] - b[1], a[2] - b[2]
  if lo < 0 then lo = lo + B; hi = hi - 1 end
  return {hi, lo}
end
local function gt(a, b)
  if a[1] ~= b[1] then return a[1] > b[1] end
  return a[2] > b[2]
end
local function closeOpen(id, rk, state, holder, actual)
  if actual then redis.call('HSET', rk, 'state', state, 'actual', actual) else redis.call('HSET', rk, 'state', state) end
  redis.call('PEXPIRE', rk, TTL)
  redis.call('ZREM', P .. 'open', id)
  if holder and holder ~= '' then redis.call('SREM', P .. 'h:' .. holder, id) end
end
-- Adds (sign 1) or subtracts (sign -1) an amount to one field kind ('s' or 'r') of every scope.
local function shift(scopes, kind, amount, sign)
  local fields = {}
  for i, s in ipairs(scopes) do fields[i] = kind .. ':' .. s end
  local values = redis.call('HMGET', SK, unpack(fields))
  local args = {}
  for i, field in ipairs(fields) do
    args[#args + 1] = field
    args[#args + 1] = fmt(sign > 0 and add(parse(values[i]), amount) or sub(parse(values[i]), amount))
  end
  redis.call('HSET', SK, unpack(args))
end
local function returnAmount(amountText, scopesJson)
  shift(cjson.decode(scopesJson), 'r', parse(amountText), -1)
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
  local r = redis.call('HMGET', rk, 'scopes', 'amount', 'exp', 'holder')
  return {'EXISTS', r[1], r[2], r[3], r[4] or ''}
end
local amount = parse(ARGV[5])
local scopes = cjson.decode(ARGV[8])
local fields = {}
for _, s in ipairs(scopes) do
  fields[#fields + 1] = 'l:' .. s
  fields[#fields + 1] = 's:' .. s
  fields[#fields + 1] = 'r:' .. s
end
local v = redis.call('HMGET', SK, unpack(fields))
for i, s in ipairs(scopes) do
  if not v[3 * i - 2] then return {'UNKNOWN_SCOPE', s} end
end
for i, s in ipairs(scopes) do
  local limit, spent, reserved = v[3 * i - 2], v[3 * i - 1], v[3 * i]
  if limit ~= '-' and gt(add(add(parse(spent), parse(reserved)), amount), parse(limit)) then
    return {'BUDGET_EXCEEDED', s, limit, spent, reserved}
  end
end
local updates = {}
for i, s in ipairs(scopes) do
  updates[#updates + 1] = 'r:' .. s
  updates[#updates + 1] = fmt(add(parse(v[3 * i]), amount))
end
redis.call('HSET', SK, unpack(updates))
local exp = NOW + tonumber(ARGV[6])
local expText = string.format('%.0f', exp)
redis.call('HSET', rk, 'state', 'open', 'amount', ARGV[5], 'scopes', ARGV[8], 'exp', expText, 'holder', ARGV[7], 'run', ARGV[9], 'task', ARGV[10])
redis.call('ZADD', P .. 'open', exp, id)
if ARGV[7] ~= '' then redis.call('SADD', P .. 'h:' .. ARGV[7], id) end
return {'OK', expText}
`;

/** ARGV: P, NOW, TTL, id, actual. */
const SETTLE = `${PRELUDE}
local id = ARGV[4]
local rk = P .. 'r:' .. id
local r = redis.call('HMGET', rk, 'state', 'amount', 'scopes', 'exp', 'actual', 'late', 'holder')
if not r[1] then return {'NOT_FOUND'} end
if r[1] == 'open' and tonumber(r[4]) <= NOW then expire(id); r[1] = 'expired' end
if r[1] == 'settled' then return {'SETTLED', r[2], r[5]} end
if r[1] == 'released' then return {'CLOSED', 'released'} end
local actual = parse(ARGV[5])
if r[1] == 'expired' then
  if r[6] ~= '1' then
    shift(cjson.decode(r[3]), 's', actual, 1)
    redis.call('HSET', rk, 'late', '1', 'actual', ARGV[5])
  end
  return {'CLOSED', 'expired'}
end
local amount = parse(r[2])
local scopes = cjson.decode(r[3])
local fields = {}
for _, s in ipairs(scopes) do
  fields[#fields + 1] = 's:' .. s
  fields[#fields + 1] = 'r:' .. s
end
local v = redis.call('HMGET', SK, unpack(fields))
local updates = {}
for i, s in ipairs(scopes) do
  updates[#updates + 1] = 's:' .. s
  updates[#updates + 1] = fmt(add(parse(v[2 * i - 1]), actual))
  updates[#updates + 1] = 'r:' .. s
  updates[#updates + 1] = fmt(sub(parse(v[2 * i]), amount))
end
redis.call('HSET', SK, unpack(updates))
closeOpen(id, rk, 'settled', r[7], ARGV[5])
return {'OK', r[2]}
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
  release: RELEASE,
  releaseHolder: RELEASE_HOLDER,
  setLimit: SET_LIMIT,
  snapshot: SNAPSHOT,
  sweep: SWEEP,
} as const;

export type RedisScriptName = keyof typeof REDIS_SCRIPTS;

/** Batch size of the sweep script; a full batch means more may be waiting. */
export const SWEEP_BATCH = 1000;
