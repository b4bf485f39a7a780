-- Removes a device's presence entry if it still belongs to the given connection (nonce; '' = any), so that a
-- late unregister never removes a newer connection's presence. Returns {removed, user now empty, session}.
-- KEYS: presence hash of the user. ARGV: device, nonce
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then
  return {0, 0, ''}
end
if ARGV[2] ~= '' and cjson.decode(cur)['nonce'] ~= ARGV[2] then
  return {0, 0, ''}
end
redis.call('HDEL', KEYS[1], ARGV[1])
local empty = 0
if redis.call('HLEN', KEYS[1]) == 0 then
  empty = 1
end
return {1, empty, cur}
