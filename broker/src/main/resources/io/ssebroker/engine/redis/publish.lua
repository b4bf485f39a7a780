-- Appends a message to a stream, trims it by count and age (remembering the last trimmed id, so a cursor
-- behind it is known to have missed something), and publishes it with the id of the entry before it, so a
-- node can tell when it missed one. Appending and publishing in one script keeps ids and publishes in order.
-- The publication's id makes it idempotent: run again with the same id (a command re-sent after a reconnect,
-- or a send repeated with its idempotency key) it appends nothing and answers the first result.
-- KEYS: stream, meta hash (last, cut), shard channel, presence hash of the user (or the meta hash again),
--       the publication's id key
-- ARGV: event, data, devices (comma list, empty = all), now ms, max length, oldest id kept, stream ttl ms,
--       meta ttl ms (0 = none), count mode, id key ttl ms
-- Returns: {stream id, target devices online, 1 when it was a repeat}
local seen = redis.call('GET', KEYS[5])
if seen then
  local space = string.find(seen, ' ', 1, true)
  return {string.sub(seen, 1, space - 1), tonumber(string.sub(seen, space + 1)), 1}
end
local emptied = redis.call('XLEN', KEYS[1]) == 0
local id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[1], 'v', ARGV[3], 't', ARGV[4], 'd', ARGV[2])
local prev = redis.call('HGET', KEYS[2], 'last') or '0-0'
redis.call('HSET', KEYS[2], 'last', id)
if emptied and prev ~= '0-0' then
  -- the stream expired or was trimmed to nothing: everything up to the previous entry is gone
  redis.call('HSET', KEYS[2], 'cut', prev)
end
local maxlen = tonumber(ARGV[5])
local len = redis.call('XLEN', KEYS[1])
if len > maxlen then
  local gone = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', len - maxlen)
  redis.call('HSET', KEYS[2], 'cut', gone[#gone][1])
  redis.call('XTRIM', KEYS[1], 'MAXLEN', maxlen)
end
local old = redis.call('XREVRANGE', KEYS[1], '(' .. ARGV[6], '-', 'COUNT', 1)
if #old > 0 then
  redis.call('HSET', KEYS[2], 'cut', old[1][1])
  redis.call('XTRIM', KEYS[1], 'MINID', ARGV[6])
end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
if ARGV[8] ~= '0' then
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
redis.call('SPUBLISH', KEYS[3], id .. '\n' .. prev .. '\n' .. ARGV[1] .. '\n' .. ARGV[3] .. '\n' .. ARGV[4] .. '\n' .. ARGV[2])
local online = 0
if ARGV[9] == 'user' then
  if ARGV[3] == '' then
    online = redis.call('HLEN', KEYS[4])
  else
    for device in string.gmatch(ARGV[3], '[^,]+') do
      online = online + redis.call('HEXISTS', KEYS[4], device)
    end
  end
end
redis.call('SET', KEYS[5], id .. ' ' .. online, 'PX', ARGV[10])
return {id, online, 0}
