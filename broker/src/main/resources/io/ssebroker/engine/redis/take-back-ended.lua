-- Takes back what the registration of a connection that then failed at its node wrote about the connection it
-- replaced: if its script ran, that connection is remembered among the user's ended connections, as if a connection
-- that went live had replaced it, and its client, which never had the new one, would be refused with 204 for good
-- when it comes back with its cursor. The script's record of what it replaced (kept a minute) names it. The record
-- is kept, marked taken back ('!' before the session), so that a run again (its answer lost) takes back nothing
-- more, while it still names the connection; a registration run again then finds nothing replaced.
-- Returns how many marks were taken back (0 or 1), and the replaced connection's session, which lost its presence
-- entry to the failed one (its node writes it again if the connection is still open); {0} without a record.
-- KEYS: the record of the session the failed connection replaced, the user's ended connections
local recorded = redis.call('GET', KEYS[1])
if not recorded then
  return {0}
end
if string.sub(recorded, 1, 1) == '!' then
  return {0, string.sub(recorded, 2)}
end
redis.call('SET', KEYS[1], '!' .. recorded, 'KEEPTTL')
return {redis.call('LREM', KEYS[2], 1, cjson.decode(recorded).nonce), recorded}
