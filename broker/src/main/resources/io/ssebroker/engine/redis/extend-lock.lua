-- Extends a lock that its holder still holds: one node's hold on a long task (clearing a dead node's sessions),
-- renewed as the task goes on, and let go when it ends (held a millisecond more). A lock that expired meanwhile and
-- that another node took is left to that node.
-- Returns {1} when extended, {0} when the lock is not (or no longer) the holder's.
-- KEYS: the lock
-- ARGV: the holder's name (the lock's value), how long the lock is held from now (ms)
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1}
end
return {0}
