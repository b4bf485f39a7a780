-- Gives a device back to the user a connection's registration took it from (the take record's latest take, see
-- take-owner.lua), when that registration failed at its node before it learnt whether it took the device and ended
-- that user's session there: that session is still online, and the device's messages must go to its user's stream.
-- (A registration refused for want of room never took the device: see take-owner.lua.) Not when a later take came since (of any user: its
-- registration ended that user's session, or will), and once only: a second run, or one after a later take, changes
-- nothing. The registering user is then among those whose sessions on the device are stale (its registration's
-- entry, should the rollback's removal not reach Redis).
-- Returns {1} when given back, {0} otherwise.
-- KEYS: the device's owner, the device's take record
-- ARGV: the registering uid, the connection's nonce, how long the owner is kept (ms), how long the record is kept (ms)
local takes = readTakes(KEYS[2])
if not takes or takes.take ~= ARGV[2] then
  return {0}
end
takes.take = ''
if takes.from == '' or redis.call('GET', KEYS[1]) ~= ARGV[1] then
  writeTakes(KEYS[2], takes, nil)
  return {0}
end
redis.call('SET', KEYS[1], takes.from, 'PX', ARGV[3])
takes.users[takes.from] = nil
takes.users[ARGV[1]] = true
writeTakes(KEYS[2], takes, ARGV[4])
return {1}
