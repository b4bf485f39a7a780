-- Records a user as a device's owner and answers whose sessions on the device the registration must end. It runs
-- apart from the presence script (on Redis Cluster the device's keys are in another slot; on a single Redis once that
-- script found the device another user's, or moved in the last two minutes).
-- The device's take record (a hash, kept two minutes after its last move) holds the latest take ('take': its
-- connection's nonce, newline, the user it took the device from, '' when none) and the users that had the device
-- in that time ('u:<uid>'). Any session such a user still has on the device is stale, whatever left it there (a
-- take whose registration failed before it ended that session; the entry of a registration that failed and gave the
-- device back, should its removal not have reached Redis). The registration ends those
-- sessions, and a later one of any user ends them again (ending none is harmless), so that a device is never left
-- online under two users.
-- Run again for the same connection (a command re-sent after a reconnect lost the first run's answer), it changes
-- nothing and answers what the first run answered: the user it took the device from, not the owner it wrote.
-- Returns {user taken from ('' when none), the other users whose sessions on the device are stale...}.
-- KEYS: the device's owner, the device's take record
-- ARGV: the registering uid, how long the owner is kept (ms), how long the record is kept (ms), the connection's nonce
local record = redis.call('HGETALL', KEYS[2])
local take = nil
for i = 1, #record, 2 do
  if record[i] == 'take' then
    take = record[i + 1]
  end
end
local mine = ARGV[4] .. '\n'
local from
if take and string.sub(take, 1, #mine) == mine then
  from = string.sub(take, #mine + 1)
else
  local previous = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'GET') or ''
  from = previous ~= ARGV[1] and previous or ''
  if from == '' and #record == 0 then
    return {''}
  end
  if from ~= '' then
    redis.call('HSET', KEYS[2], 'u:' .. from, '1')
  end
  redis.call('HDEL', KEYS[2], 'u:' .. ARGV[1])
  redis.call('HSET', KEYS[2], 'take', mine .. from)
  -- kept after the last move, not after the last take: a device that reconnects often lets it go
  if from ~= '' or redis.call('PTTL', KEYS[2]) < 0 then
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
  end
end
local answer = {from}
for i = 1, #record, 2 do
  local uid = string.sub(record[i], 3)
  if string.sub(record[i], 1, 2) == 'u:' and uid ~= from and uid ~= ARGV[1] then
    table.insert(answer, uid)
  end
end
return answer
