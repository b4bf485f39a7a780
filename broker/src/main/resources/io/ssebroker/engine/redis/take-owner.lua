-- Records a user as a device's owner and answers whose sessions on the device the registration must end. It runs
-- apart from the presence script (on Redis Cluster the device's keys are in another slot; on a single Redis once that
-- script found the device another user's, or moved in the last two minutes).
-- The device's take record (take-record.lua; kept two minutes after its last move) holds the latest take and the
-- users that had the device in that time. Any session such a user still has on the device is stale, whatever left
-- it there (a take whose registration failed before it ended that session; the entry of a registration that failed
-- and gave the device back, should its removal not have reached Redis). The registration ends those sessions, and a
-- later one of any user ends them again (ending none is harmless), so that a device is never left online under two
-- users.
-- Run again for the same connection (a command re-sent after a reconnect lost the first run's answer), it changes
-- nothing and answers what the first run answered: the user it took the device from, not the owner it wrote.
-- Asked first ('1'), it takes a device only when it has no owner or is the registering user's already; a device of
-- another user it leaves as it is, and answers that user: the node takes it once it saw that the registering user has
-- room for another device, so that a registration that will be refused never holds another user's device, not even
-- for a moment (another registration of the user that has it would read it as taken, and end).
-- Returns {user taken from ('' when none), the other users whose sessions on the device are stale...}; asked first
-- and the device another user's, {0, that user}.
-- KEYS: the device's owner, the device's take record
-- ARGV: the registering uid, how long the owner is kept (ms), how long the record is kept (ms), the connection's
--       nonce, '1' to ask first ('0' to take the device whoever has it)
local takes = readTakes(KEYS[2])
local from
if takes and takes.take == ARGV[4] then
  from = takes.from
else
  if ARGV[5] == '1' then
    local owner = redis.call('GET', KEYS[1])
    if owner and owner ~= ARGV[1] then
      return {0, owner}
    end
  end
  local previous = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'GET') or ''
  from = previous ~= ARGV[1] and previous or ''
  if from == '' and not takes then
    return {''}
  end
  takes = takes or {users = {}}
  if from ~= '' then
    takes.users[from] = true
  end
  takes.users[ARGV[1]] = nil
  takes.take = ARGV[4]
  takes.from = from
  -- kept after the last move, not after the last take: a device that reconnects often lets it go
  writeTakes(KEYS[2], takes, from ~= '' and ARGV[3] or nil)
end
local answer = {from}
for uid in pairs(takes.users) do
  if uid ~= from and uid ~= ARGV[1] then
    table.insert(answer, uid)
  end
end
return answer
