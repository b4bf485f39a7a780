-- Removes a device's presence entry if it still belongs to the given connection (nonce; '' = any), so that a
-- late unregister never removes a newer connection's presence. The offlines it causes are published on
-- go-sse-broker's channels in the same step (unless the grace applies to them) and, when the nodes report changes
-- to a webhook, queued in the user's outbox, or, with an offline grace, held: an online of the same user or device within the grace
-- takes them back, else they are queued when the grace has passed.
-- On a single Redis (standalone or Sentinel) it also takes a user left without devices out of the online users and,
-- given the node's index of its sessions, the connection out of it; on Redis Cluster those live on other slots.
-- Returns {removed, user now empty, session, 1 when an offline was held}.
-- KEYS: presence hash of the user, outbox of the user, held offlines of the user; on a single Redis also the set of
--       online users and (when the node removes its own connection) the node's index of its sessions
-- ARGV: device, nonce, reason, now ms, grace ms (0 = none), the head and the tail of the changes' JSON (see
--       changeJson), '1' to publish on the channels now ('0': when taken), '1' to queue the changes in the
--       outbox ('0': no node takes them; the grace is then 0), uid
local grace = tonumber(ARGV[5])
local queue = ARGV[9] == '1'
local held = 0
-- The changes for the webhook, queued in one command once all are known.
local queued = {}

local function report(kind, field)
  local json = changeJson(ARGV[6], ARGV[3], kind, ARGV[7])
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
    table.insert(queued, entry)
  end
end

-- The listing and the index follow the presence hash whatever was removed: nothing removed may mean that the
-- connection was extruded meanwhile, or that a node removed the user's last device and died before it unlisted
-- the user (on Redis Cluster).
local function tidy(empty)
  if KEYS[5] then
    redis.call('HDEL', KEYS[5], ARGV[2])
  end
  if KEYS[4] and (empty or redis.call('HLEN', KEYS[1]) == 0) then
    redis.call('SREM', KEYS[4], ARGV[10])
  end
end

local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (not cur) or (ARGV[2] ~= '' and not entryHasNonce(cur, ARGV[2])) then
  tidy(false)
  return {0, 0, '', 0}
end
redis.call('HDEL', KEYS[1], ARGV[1])
report('DEVICE_OFFLINE', 'd:' .. ARGV[1])
local empty = 0
if redis.call('HLEN', KEYS[1]) == 0 then
  empty = 1
  report('USER_OFFLINE', 'user')
end
pushAll(KEYS[2], queued)
tidy(empty == 1)
return {1, empty, cur, held}
