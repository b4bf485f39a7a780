-- Makes a session the presence entry of its device in the user's hash, unless the user already has the
-- maximum of other devices, and reads where the user's stream stands in the same step: a message published
-- once the device counts as online comes after that position.
-- The presence changes it makes are published on go-sse-broker's channels in the same step (or, when the
-- offline grace applies to them, when they are taken from the outbox) and, when the nodes report changes to a
-- webhook, queued in the user's outbox: taken once each, in order, by whichever node takes them. An offline of this user or device held for the grace
-- (possibly by another node) is taken back by this online: neither is reported to the webhook.
-- Returns {status, previous session, last id of the user's stream}: status -1 refused (the user has the maximum
-- of devices), -2 refused (a kick revoked the token), -3 nothing changed (the device is another user's, whose
-- ownership is written back: the node takes the device from that user and runs the script again without the
-- owner's key; or the device moved between users in the last two minutes: the node takes it through the take record and
-- runs the script again), -4 nothing changed (a connection registered again after Redis lost it finds the device another
-- user's or another session's: it gives way), -5 nothing changed (a newer connection of the device replaced this
-- one already: the script runs again for a connection that has ended), 1 first device of the user, 0 otherwise;
-- the previous session of the same device (to extrude; with -5, the one the first run replaced) or ''. Running it again for the same connection (a command
-- re-sent after a reconnect) changes nothing and extrudes nobody: neither the connection's own entry, nor the entry
-- of the newer connection that replaced it meanwhile (the replaced connection is remembered as ended in the step
-- that replaces it).
-- On a single Redis (standalone or Sentinel) it also lists the user among the online users and records the session
-- in the node's index of its sessions, and may check the token's revocation and record the device's owner; on
-- Redis Cluster those live on other slots, and the node does all that itself.
-- KEYS: presence hash of the user, meta hash of the user's stream, outbox of the user, held offlines of the user,
--       the record of the session this connection replaced (for a re-run), the user's ended connections; on a
--       single Redis also the set of online users and the node's index of its sessions, and optionally the kick
--       marks of the user and of the device, the device's owner and its take record (see take-owner.lua)
-- ARGV: device, session JSON, max devices, nonce, now ms, the head and the tail of the changes' JSON (see
--       changeJson), '1' to publish on the channels now ('0': when taken), '1' to queue the changes in the outbox
--       ('0': no node takes them, and no offline is ever held), uid, when the connection's token was issued (ms),
--       how long the owner is kept (ms), '1' when the connection is registered again after Redis lost it ('2' when
--       a master lost writes: it replaces an older connection's entry), how many ended connections of a user are
--       remembered, how long they are (ms), '1' when an offline grace applies to the changes queued (a device that
--       replaces its own connection then reports neither the offline nor the online, as if the offline were taken back)
local now = tonumber(ARGV[5])
local publishNow = ARGV[8] == '1'
local queue = ARGV[9] == '1'
local restoring = ARGV[13] ~= '0'
local overOlder = ARGV[13] == '2'
local graced = queue and ARGV[16] == '1'

-- An offline still held for the grace under this field is taken back by this online: true when there was one.
-- Most users have none held: one look at the hash spares a command per field, and nodes that queue nothing hold
-- nothing, so they do not look.
local anyHeld = nil
local function takeBack(field)
  if anyHeld == nil then
    anyHeld = queue and redis.call('EXISTS', KEYS[4]) == 1
  end
  return anyHeld and redis.call('HDEL', KEYS[4], field) == 1
end

-- The changes for the webhook, queued in one command once all are known.
local queued = {}

-- Publishes a change now (unless the grace applies to the channels) and queues it for the webhook unless
-- the change takes back a held offline.
local function report(kind, reason, takenBack)
  local json = changeJson(ARGV[6], reason, kind, ARGV[7])
  local marker = 'P'
  if publishNow then
    publishChange(kind, json)
    marker = '-'
  end
  if queue and not takenBack then
    table.insert(queued, marker .. '\n' .. kind .. '\n' .. ARGV[1] .. '\n' .. reason .. '\n' .. ARGV[5] .. '\n' .. json)
  end
end

local last = redis.call('HGET', KEYS[2], 'last') or ''
local prev = redis.call('HGET', KEYS[1], ARGV[1])
local count = redis.call('HLEN', KEYS[1])
-- the session the first run replaced, or '' (none, or its ended mark taken back since: see take-back-ended.lua)
local function recordedReplaced()
  local recorded = redis.call('GET', KEYS[5]) or ''
  if string.sub(recorded, 1, 1) == '!' then
    return ''
  end
  return recorded
end
if prev and entryHasNonce(prev, ARGV[4]) then
  -- run again (a re-sent command): the same answer, the session it replaced and the stream's position at the first
  -- run included (a message appended since is after that position, and only a replay from it finds the message)
  local replaced = recordedReplaced()
  local firstLast = string.match(prev, ',"start":"([^"]*)"}$') or last
  if count == 1 then
    return {1, replaced, firstLast}
  end
  return {0, replaced, firstLast}
end
-- a connection registered again gives way to another connection of the device; after a master lost writes, only
-- to one that logged in after it (or with it): the entry of one that logged in before it was brought back with the
-- old data (a snapshot, a replica behind its master) after that connection had been replaced by this one, and is
-- replaced again
if prev and restoring and not (overOlder and (cjson.decode(prev).login or 0) < cjson.decode(ARGV[2]).login) then
  return {-4, '', last}
end
if prev and redis.call('LPOS', KEYS[6], ARGV[4]) then
  -- run again after the device's newer connection replaced this one: that one stays (this one has ended), and
  -- the connection this one replaced the first time is answered again, to be ended (its answer may be what was
  -- lost). Only looked for where there is an entry to lose: a connection run again over none finds itself ended
  -- once its node attaches it.
  if KEYS[8] then
    redis.call('HDEL', KEYS[8], ARGV[4])
  end
  return {-5, recordedReplaced(), last}
end
-- whether the device moved between users in the last two minutes: its take record (a string, see take-record.lua)
-- is read with the kick marks
local moved = false
if KEYS[9] then
  -- refused when a kick came after the token was issued: checked with the write, a kick finds the entry otherwise
  local issued = tonumber(ARGV[11])
  local read = redis.call('MGET', KEYS[9], KEYS[10], KEYS[12])
  for i = 1, 2 do
    if read[i] and issued < tonumber(read[i]) then
      return {-2, '', last}
    end
  end
  moved = read[3] ~= false
end
if (not prev) and count >= tonumber(ARGV[3]) then
  return {-1, '', last}
end
-- read before anything is written: a script that fails half-way keeps what it wrote
local replacedNonce = prev and cjson.decode(prev).nonce
if KEYS[11] then
  -- the owner is written with the entry: a message sent to the device on its online finds the user's stream;
  -- written and read in one command, and put back in the rare case that the device is another user's
  local owner = redis.call('SET', KEYS[11], ARGV[10], 'PX', ARGV[12], 'GET')
  if owner and owner ~= ARGV[10] then
    redis.call('SET', KEYS[11], owner, 'PX', ARGV[12])
    return {restoring and -4 or -3, '', last}
  end
  -- a device that moved between users in the last two minutes may still have a stale session of another user (a take
  -- whose registration failed before it ended that session): the node takes it through the take record first
  if moved and not restoring then
    return {-3, '', last}
  end
end
-- the connection replaced is remembered as ended before the entry is written, and recorded for a re-run
if prev then
  redis.call('LPUSH', KEYS[6], replacedNonce)
  redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[14]) - 1)
  redis.call('PEXPIRE', KEYS[6], ARGV[15])
  redis.call('SET', KEYS[5], prev, 'PX', 60000)
end
-- held offlines whose grace passed are reported before this registration's changes
if queue then
  queueDueOfflines(KEYS[4], KEYS[3], now)
end
-- the entry keeps where the stream stood, for a re-run to answer the same (the session JSON ends with its '}')
redis.call('HSET', KEYS[1], ARGV[1], string.sub(ARGV[2], 1, -2) .. ',"start":"' .. last .. '"}')
if KEYS[7] then
  redis.call('SADD', KEYS[7], ARGV[10])
  redis.call('HSET', KEYS[8], ARGV[4], ARGV[2])
end
if prev then
  report('DEVICE_OFFLINE', 'extrude_offline', graced)
end
if (not prev) and count == 0 then
  report('USER_ONLINE', 'device_connected', takeBack('user'))
end
if prev then
  report('DEVICE_ONLINE', 'device_connected', graced)
else
  report('DEVICE_ONLINE', 'device_connected', takeBack('d:' .. ARGV[1]))
end
pushAll(KEYS[3], queued)
if prev then
  return {0, prev, last}
end
if count == 0 then
  return {1, '', last}
end
return {0, '', last}
