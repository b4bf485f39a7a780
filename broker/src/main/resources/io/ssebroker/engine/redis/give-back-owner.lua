-- Gives a device back to the user a connection took it from (as take-owner.lua recorded), when that connection's
-- registration was then refused (the registering user had no room for another device), failed at its node (no
-- answer in time: the step that took the device may have run all the same), or its connection ended before it went
-- live: unless a later registration has taken the device since. Messages to the device then go to that user's
-- stream again, where its connection, back with its cursor, finds them. The record stays until it expires: a second
-- run finds the device given back already, and a late re-run of the take finds the record and changes nothing.
-- Returns {1} when given back, {0} otherwise.
-- KEYS: the device's owner, the connection's record of the move
-- ARGV: the connection's uid, how long the owner is kept (ms)
local previous = redis.call('GET', KEYS[2])
if previous and redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], previous, 'PX', ARGV[2])
  return {1}
end
return {0}
