local record = redis.call('HGET', KEYS[3], ARGV[1])
if not record or redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local buyer, quantity = string.match(record, '^1|[^|]*|([^|]*)|(%d+)|')
if not buyer then
  return redis.error_reply('unreadable gate record of purchase ' .. ARGV[1])
end
quantity = tonumber(quantity)
redis.call('INCRBY', KEYS[1], quantity)
if redis.call('HINCRBY', KEYS[2], buyer, -quantity) <= 0 then
  redis.call('HDEL', KEYS[2], buyer)
end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], record)
return 1
