-- Records a user as a device's owner and returns the owner it replaced. It runs apart from the presence script
-- (on Redis Cluster the device's keys are in another slot; on a single Redis once that script found the device
-- another user's). Run again for the same connection (a command re-sent after a reconnect lost the first run's
-- answer), it changes nothing and returns what the first run returned, not the owner that run wrote: the session the
-- previous owner had on the device is still taken from it, and the device is not left online under two users. Only a
-- move from another user is remembered: a re-run after none or the same user answers the same anyway, unless a third
-- user took the device in between (then the re-run takes it back, as a late registration would).
-- Returns {previous owner}, '' when none.
-- KEYS: the device's owner, this connection's record of the move
-- ARGV: the registering uid, how long the owner is kept (ms), how long the move is remembered (ms)
local recorded = redis.call('GET', KEYS[2])
if recorded then
  return {recorded}
end
local previous = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'GET') or ''
if previous ~= '' and previous ~= ARGV[1] then
  redis.call('SET', KEYS[2], previous, 'PX', ARGV[3])
end
return {previous}
