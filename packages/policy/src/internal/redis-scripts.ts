/**
 * Lua scripts of the Redis rate limiter. Each runs atomically on the server.
 *
 * Per limited key (one hash tag, so a cluster keeps them on one slot):
 *   `<base>:rpm`, `<base>:rph`  sorted sets: member = permit member, score = admission time (ms)
 *   `<base>:tpm`                sorted set of the token entries, same members
 *   `<base>:tpmw`               hash: member → tokens (reserved, then actual); `#total` → their sum
 *   `<base>:p:<member>`         the permit's state: `o` open, `s` settled, `r` released
 * An entry counts while `score > now - window`. Every key expires after its window of idleness.
 * Integers go back to Redis through `string.format('%d', …)`: Lua would otherwise print `-0` or
 * exponent notation, which Redis rejects as "not an integer".
 */

/** KEYS: rpm, rph, tpm, tpmw, permit. ARGV: now ('' = server TIME), member, tokens, rpm limit, rpm window, rph limit, rph window, tpm limit, tpm window, permit ttl. Limits of -1 are absent. */
export const ACQUIRE_SCRIPT = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local member = ARGV[2]
local tokens = tonumber(ARGV[3])
local best = nil
local function refuse(rule, limit, observed, retry)
  if retry < 1 then retry = 1 end
  if best == nil or retry > best[4] then best = {rule, limit, observed, retry} end
end
for i = 1, 2 do
  local limit = tonumber(ARGV[2 + i * 2])
  local window = tonumber(ARGV[3 + i * 2])
  if limit >= 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
    local count = redis.call('ZCARD', KEYS[i])
    if count + 1 > limit then
      local oldest = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
      refuse(i, limit, count, tonumber(oldest[2]) + window - now)
    end
  end
end
local tpmLimit = tonumber(ARGV[8])
local tpmWindow = tonumber(ARGV[9])
if tpmLimit >= 0 then
  local total = tonumber(redis.call('HGET', KEYS[4], '#total') or '0')
  local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - tpmWindow)
  if #expired > 0 then
    for _, old in ipairs(expired) do
      total = total - tonumber(redis.call('HGET', KEYS[4], old) or '0')
      redis.call('HDEL', KEYS[4], old)
    end
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tpmWindow)
    redis.call('HSET', KEYS[4], '#total', string.format('%d', total))
  end
  local excess = total + tokens - tpmLimit
  if excess > 0 then
    local freed = 0
    local entries = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
    local retry = tpmWindow
    for j = 1, #entries, 2 do
      freed = freed + tonumber(redis.call('HGET', KEYS[4], entries[j]) or '0')
      if freed >= excess then
        retry = tonumber(entries[j + 1]) + tpmWindow - now
        break
      end
    end
    refuse(3, tpmLimit, total, retry)
  end
end
if best ~= nil then
  return {0, best[1], best[2], best[3], best[4]}
end
for i = 1, 2 do
  local window = tonumber(ARGV[3 + i * 2])
  if tonumber(ARGV[2 + i * 2]) >= 0 then
    redis.call('ZADD', KEYS[i], now, member)
    redis.call('PEXPIRE', KEYS[i], window)
  end
end
if tpmLimit >= 0 then
  redis.call('ZADD', KEYS[3], now, member)
  redis.call('HSET', KEYS[4], member, ARGV[3])
  redis.call('HINCRBY', KEYS[4], '#total', ARGV[3])
  redis.call('PEXPIRE', KEYS[3], tpmWindow)
  redis.call('PEXPIRE', KEYS[4], tpmWindow)
end
redis.call('SET', KEYS[5], 'o', 'PX', ARGV[10])
return {1}
`;

/** KEYS: permit, tpmw. ARGV: member, actual tokens. */
export const SETTLE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= 'o' then return 0 end
redis.call('SET', KEYS[1], 's', 'KEEPTTL')
local reserved = redis.call('HGET', KEYS[2], ARGV[1])
if reserved then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  redis.call('HINCRBY', KEYS[2], '#total', string.format('%d', tonumber(ARGV[2]) - tonumber(reserved)))
end
return 1
`;

/** KEYS: permit, rpm, rph, tpm, tpmw. ARGV: member. */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= 'o' then return 0 end
redis.call('SET', KEYS[1], 'r', 'KEEPTTL')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
local reserved = redis.call('HGET', KEYS[5], ARGV[1])
if reserved then
  redis.call('HDEL', KEYS[5], ARGV[1])
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('HINCRBY', KEYS[5], '#total', string.format('%d', 0 - tonumber(reserved)))
end
return 1
`;
