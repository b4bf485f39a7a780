-- Records a user as a device's owner and returns the owner it replaced: on Redis Cluster the step that moves a
-- device from one user to another, apart from the presence entries (the device's keys are in another slot). Run
-- again for the same connection (a command re-sent after a reconnect lost the first run's answer), it returns what
-- the first run returned, not the owner that run wrote: the session the previous owner had on the device is still
-- taken from it, and the device is not left online under two users.
-- Returns {previous owner}, '' when none.
-- KEYS: the device's owner, the last taking of it (the connection's nonce and the owner it replaced)
-- ARGV: the registering uid, its connection's nonce, how long the owner is kept (ms), how long a taking is
--       remembered for a re-run (ms)
local last = redis.call('HMGET', KEYS[2], 'nonce', 'previous')
if last[1] == ARGV[2] and redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {last[2]}
end
local previous = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3], 'GET') or ''
if previous ~= '' and previous ~= ARGV[1] then
  -- only a move from another user is remembered: a re-run after none or the same user answers the same anyway
  redis.call('HSET', KEYS[2], 'nonce', ARGV[2], 'previous', previous)
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return {previous}
