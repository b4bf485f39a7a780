-- Makes a session the presence entry of its device in the user's hash, unless the user already has the
-- maximum of other devices. Returns {status, previous session}: status -1 refused, 1 first device of the user,
-- 0 otherwise; the previous session of the same device (to extrude) or ''.
-- KEYS: presence hash of the user. ARGV: device, session JSON, max devices
local prev = redis.call('HGET', KEYS[1], ARGV[1])
local count = redis.call('HLEN', KEYS[1])
if (not prev) and count >= tonumber(ARGV[3]) then
  return {-1, ''}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if prev then
  return {0, prev}
end
if count == 0 then
  return {1, ''}
end
return {0, ''}
