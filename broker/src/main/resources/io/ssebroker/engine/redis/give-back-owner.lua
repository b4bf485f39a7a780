-- Gives a device back to the user a registration took it from, when that registration was then refused (the
-- registering user had no room for another device): unless a later registration has taken the device since.
-- Returns {1} when given back, {0} otherwise.
-- KEYS: the device's owner
-- ARGV: the refused registration's uid, the previous owner's uid, how long the owner is kept (ms)
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return {1}
end
return {0}
