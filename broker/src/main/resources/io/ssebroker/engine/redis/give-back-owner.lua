-- Gives a device back to the user a connection's registration took it from (the take record's latest take, see
-- take-owner.lua), when that registration was refused (the registering user had no room for another device) or failed
-- at its node before it learnt whether it took the device and ended that user's session there: that session is still
-- online, and the device's messages must go to its user's stream. Not when a later take came since (of any user: its
-- registration ended that user's session, or will), and once only: a second run, or one after a later take, changes
-- nothing. The registering user is then among those whose sessions on the device are stale (its registration's
-- entry, should the rollback's removal not reach Redis).
-- Returns {1} when given back, {0} otherwise.
-- KEYS: the device's owner, the device's take record
-- ARGV: the registering uid, the connection's nonce, how long the owner is kept (ms), how long the record is kept (ms)
local take = redis.call('HGET', KEYS[2], 'take')
local mine = ARGV[2] .. '\n'
if not take or string.sub(take, 1, #mine) ~= mine then
  return {0}
end
redis.call('HDEL', KEYS[2], 'take')
local from = string.sub(take, #mine + 1)
if from == '' or redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {0}
end
redis.call('SET', KEYS[1], from, 'PX', ARGV[3])
redis.call('HDEL', KEYS[2], 'u:' .. from)
redis.call('HSET', KEYS[2], 'u:' .. ARGV[1], '1')
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {1}
