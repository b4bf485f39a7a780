-- Removes a device's presence entry if it still belongs to the given connection (nonce; '' = any), so that a
-- late unregister never removes a newer connection's presence, and queues the presence changes in the user's
-- outbox in the same step. Returns {removed, user now empty, session}.
-- KEYS: presence hash of the user, outbox of the user
-- ARGV: device, nonce, reason, now ms, what to report ('all': device and user; 'user': the user going offline only),
--       the callback JSON of the device going offline, of the user going offline
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then
  return {0, 0, ''}
end
if ARGV[2] ~= '' and cjson.decode(cur)['nonce'] ~= ARGV[2] then
  return {0, 0, ''}
end
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[5] == 'all' then
  redis.call('RPUSH', KEYS[2], 'DEVICE_OFFLINE\n' .. ARGV[1] .. '\n' .. ARGV[3] .. '\n' .. ARGV[4] .. '\n' .. ARGV[6])
end
local empty = 0
if redis.call('HLEN', KEYS[1]) == 0 then
  empty = 1
  redis.call('RPUSH', KEYS[2], 'USER_OFFLINE\n' .. ARGV[1] .. '\n' .. ARGV[3] .. '\n' .. ARGV[4] .. '\n' .. ARGV[7])
end
return {1, empty, cur}
