-- Makes a session the presence entry of its device in the user's hash, unless the user already has the
-- maximum of other devices, and reads where the user's stream stands in the same step: a message published
-- once the device counts as online comes after that position. The presence changes it makes are queued in the
-- user's outbox in the same step, so that they are reported once each and in order, whoever drains them.
-- Returns {status, previous session, last id of the user's stream}: status -1 refused, 1 first device of the
-- user, 0 otherwise; the previous session of the same device (to extrude) or ''. Running it again for the same
-- connection (a command re-sent after a reconnect) changes nothing and extrudes nobody.
-- KEYS: presence hash of the user, meta hash of the user's stream, outbox of the user
-- ARGV: device, session JSON, max devices, nonce, now ms, and the callback JSON of each change it may make:
--       the device extruded, the user online, the device online
local last = redis.call('HGET', KEYS[2], 'last') or ''
local prev = redis.call('HGET', KEYS[1], ARGV[1])
local count = redis.call('HLEN', KEYS[1])
if prev and cjson.decode(prev)['nonce'] == ARGV[4] then
  if count == 1 then
    return {1, '', last}
  end
  return {0, '', last}
end
if (not prev) and count >= tonumber(ARGV[3]) then
  return {-1, '', last}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if prev then
  redis.call('RPUSH', KEYS[3], 'DEVICE_OFFLINE\n' .. ARGV[1] .. '\nextrude_offline\n' .. ARGV[5] .. '\n' .. ARGV[6])
end
if (not prev) and count == 0 then
  redis.call('RPUSH', KEYS[3], 'USER_ONLINE\n' .. ARGV[1] .. '\ndevice_connected\n' .. ARGV[5] .. '\n' .. ARGV[7])
end
redis.call('RPUSH', KEYS[3], 'DEVICE_ONLINE\n' .. ARGV[1] .. '\ndevice_connected\n' .. ARGV[5] .. '\n' .. ARGV[8])
if prev then
  return {0, prev, last}
end
if count == 0 then
  return {1, '', last}
end
return {0, '', last}
