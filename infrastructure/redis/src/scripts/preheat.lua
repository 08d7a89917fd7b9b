-- Loaded already by this server: the first load wins. Loaded under another server's identity
-- (a restored snapshot, a promoted replica): its holdings and counts may be stale, so they are
-- dropped and the activity is loaded afresh. Given-back records stay: a purchase given back
-- stays given back.
local loaded = redis.call('EXISTS', KEYS[1]) == 1
if loaded and redis.call('GET', KEYS[6]) == ARGV[3] then
  return 0
end
if (#ARGV - 3) % 2 ~= 0 then
  return redis.error_reply('preheat wants purchase id and record pairs after the stock, limit and epoch')
end
local holdings = {}
for i = 4, #ARGV, 2 do
  local buyer, quantity = string.match(ARGV[i + 1], '^1|[^|]*|([^|]*)|(%d+)|')
  if not buyer then
    return redis.error_reply('unreadable gate record of purchase ' .. ARGV[i])
  end
  holdings[#holdings + 1] = { ARGV[i], ARGV[i + 1], buyer, tonumber(quantity) }
end
if loaded then
  redis.call('DEL', KEYS[3], KEYS[4])
end
for _, holding in ipairs(holdings) do
  if redis.call('HSET', KEYS[4], holding[1], holding[2]) == 1 then
    redis.call('HINCRBY', KEYS[3], holding[3], holding[4])
  end
  redis.call('HDEL', KEYS[5], holding[1])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[6], ARGV[3])
return 1
