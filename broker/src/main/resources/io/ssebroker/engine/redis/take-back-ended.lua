-- Takes back what the registration of a connection that then failed at its node wrote about the connection it
-- replaced: if its script ran, that connection is remembered among the user's ended connections, as if a connection
-- that went live had replaced it, and its client, which never had the new one, would be refused with 204 for good
-- when it comes back with its cursor. The script's record of what it replaced (kept a minute) names it; the record
-- goes with the mark, so that a second run takes back nothing more. Returns 1 when a mark was taken back.
-- KEYS: the record of the session the failed connection replaced, the user's ended connections
local replaced = redis.call('GET', KEYS[1])
if not replaced then
  return {0}
end
redis.call('DEL', KEYS[1])
return {redis.call('LREM', KEYS[2], 1, cjson.decode(replaced).nonce)}
