-- Makes a session the presence entry of its device in the user's hash, unless the user already has the
-- maximum of other devices, and reads where the user's stream stands in the same step: a message published
-- once the device counts as online comes after that position.
-- The presence changes it makes are published on go-sse-broker's channels in the same step (or, when the
-- offline grace applies to them, when they are taken from the outbox) and queued in the user's outbox for the
-- webhook: once each, in order, whoever takes them. An offline of this user or device held for the grace
-- (possibly by another node) is taken back by this online: neither is reported to the webhook.
-- Returns {status, previous session, last id of the user's stream}: status -1 refused, 1 first device of the
-- user, 0 otherwise; the previous session of the same device (to extrude) or ''. Running it again for the same
-- connection (a command re-sent after a reconnect) changes nothing and extrudes nobody.
-- KEYS: presence hash of the user, meta hash of the user's stream, outbox of the user, held offlines of the user
-- ARGV: device, session JSON, max devices, nonce, now ms, and the JSON of each change it may make (the device
--       extruded, the user online, the device online), '1' to publish on the channels now ('0': when taken)
local channels = {
  USER_ONLINE = 'sse_topic_user_online', USER_OFFLINE = 'sse_topic_user_offline',
  DEVICE_ONLINE = 'sse_topic_device_online', DEVICE_OFFLINE = 'sse_topic_device_offline'
}
local now = tonumber(ARGV[5])
local publishNow = ARGV[9] == '1'

-- An offline held for the grace under this field: true when taken back (still within the grace); a held offline
-- whose grace passed is queued first, so that it is reported before this online.
local function takeBack(field)
  local held = redis.call('HGET', KEYS[4], field)
  if not held then
    return false
  end
  redis.call('HDEL', KEYS[4], field)
  local newline = string.find(held, '\n', 1, true)
  if tonumber(string.sub(held, 1, newline - 1)) > now then
    return true
  end
  local entry = string.sub(held, newline + 1)
  if string.sub(entry, 1, 1) == 'P' then
    redis.call('PUBLISH', channels[string.match(entry, '^P\n([A-Z_]+)')], string.match(entry, '\n([^\n]*)$'))
    entry = '-' .. string.sub(entry, 2)
  end
  redis.call('RPUSH', KEYS[3], entry)
  return false
end

-- Publishes a change now (unless the grace applies to the channels) and queues it for the webhook unless
-- the change takes back a held offline.
local function report(kind, reason, json, takenBack)
  local marker = 'P'
  if publishNow then
    redis.call('PUBLISH', channels[kind], json)
    marker = '-'
  end
  if not takenBack then
    redis.call('RPUSH', KEYS[3], marker .. '\n' .. kind .. '\n' .. ARGV[1] .. '\n' .. reason .. '\n' .. ARGV[5] .. '\n' .. json)
  end
end

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
  report('DEVICE_OFFLINE', 'extrude_offline', ARGV[6], false)
end
if (not prev) and count == 0 then
  report('USER_ONLINE', 'device_connected', ARGV[7], takeBack('user'))
end
report('DEVICE_ONLINE', 'device_connected', ARGV[8], (not prev) and takeBack('d:' .. ARGV[1]))
if prev then
  return {0, prev, last}
end
if count == 0 then
  return {1, '', last}
end
return {0, '', last}
