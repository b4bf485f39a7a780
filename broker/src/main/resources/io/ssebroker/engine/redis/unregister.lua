-- Removes a device's presence entry if it still belongs to the given connection (nonce; '' = any), so that a
-- late unregister never removes a newer connection's presence. The offlines it causes are published on
-- go-sse-broker's channels in the same step (unless the grace applies to them) and, when the nodes report changes
-- to a webhook, queued in the user's outbox, or, with an offline grace, held: an online of the same user or device within the grace
-- takes them back, else they are queued when the grace has passed.
-- Returns {removed, user now empty, session, 1 when an offline was held}.
-- KEYS: presence hash of the user, outbox of the user, held offlines of the user
-- ARGV: device, nonce, reason, now ms, grace ms (0 = none), the JSON of the device going offline and of the
--       user going offline, '1' to publish on the channels now ('0': when taken), '1' to queue the changes in the
--       outbox ('0': no node takes them; the grace is then 0)
local grace = tonumber(ARGV[5])
local queue = ARGV[9] == '1'
local held = 0

local function report(kind, field, json)
  local marker = 'P'
  if ARGV[8] == '1' then
    publishChange(kind, json)
    marker = '-'
  end
  local entry = marker .. '\n' .. kind .. '\n' .. ARGV[1] .. '\n' .. ARGV[3] .. '\n' .. ARGV[4] .. '\n' .. json
  if grace > 0 then
    redis.call('HSET', KEYS[3], field, (tonumber(ARGV[4]) + grace) .. '\n' .. entry)
    held = 1
  elseif queue then
    redis.call('RPUSH', KEYS[2], entry)
  end
end

local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then
  return {0, 0, '', 0}
end
if ARGV[2] ~= '' and cjson.decode(cur)['nonce'] ~= ARGV[2] then
  return {0, 0, '', 0}
end
redis.call('HDEL', KEYS[1], ARGV[1])
report('DEVICE_OFFLINE', 'd:' .. ARGV[1], ARGV[6])
local empty = 0
if redis.call('HLEN', KEYS[1]) == 0 then
  empty = 1
  report('USER_OFFLINE', 'user', ARGV[7])
end
return {1, empty, cur, held}
