-- KEYS[6] holds the identity of the server that loaded the activity; a take under another
-- identity (ARGV[6], the server this node talks to) finds stale data and decides nothing.
-- ARGV[7] is the last instant (Unix milliseconds) the caller still waits for the answer: a take
-- that reaches a server only after it (one that was frozen, say) decides nothing, so no stock is
-- taken for a buyer who was told to retry.
-- A purchase id that holds stock already takes nothing and answers its recorded quantity,
-- negated (every other answer is at least 0), so a retry is told apart from another request
-- made under the same id.
-- KEYS[7], when given (a single Redis, where any keys may share a script), is the purchase-id
-- lookup, written with the take so an accepted purchase costs one round trip.
local function accepted()
  if KEYS[7] then
    redis.call('SET', KEYS[7], ARGV[8], 'EX', ARGV[9])
  end
  return 0
end
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(ARGV[7]) then
  return 5
end
if redis.call('GET', KEYS[6]) ~= ARGV[6] then
  return 3
end
local held = redis.call('HGET', KEYS[4], ARGV[1])
if held then
  accepted()
  return -tonumber(string.match(held, '^1|[^|]*|[^|]*|(%d+)|'))
end
if ARGV[5] == '0' and redis.call('HEXISTS', KEYS[5], ARGV[1]) == 1 then
  return 4
end
local stock = tonumber(redis.call('GET', KEYS[1]))
local limit = tonumber(redis.call('GET', KEYS[2]))
if not stock or not limit then
  return 3
end
local quantity = tonumber(ARGV[3])
local bought = tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or 0)
if bought + quantity > limit then
  return 2
end
if stock < quantity then
  return 1
end
redis.call('DECRBY', KEYS[1], quantity)
redis.call('HINCRBY', KEYS[3], ARGV[2], quantity)
redis.call('HSET', KEYS[4], ARGV[1], ARGV[4])
redis.call('HDEL', KEYS[5], ARGV[1])
return accepted()
