-- Takes every presence change queued in a user's outbox, in order, after queueing the held offlines whose grace
-- has passed, and publishes on go-sse-broker's channels those not published yet: whoever takes them, each is
-- published once, even if that node dies right after. The node reports the changes taken to its webhook, and comes
-- back for offlines still held.
-- A node that posts the changes to its webhook records each in the user's list of changes out for posting, under
-- its name and the change's delivery id, until it has posted it: should it die first, a survivor takes it over.
-- Such a list nobody finishes (its node's set of users lost in a failover) is gone a day after its last change.
-- Run again with the same request id (the node asks again when the first run's answer did not come), it answers
-- what the first run took. Where it finds no record of the first run (that run never reached Redis, or took nothing),
-- it takes nothing and says so: what is queued by now may be newer than what a take sent after the first one took,
-- and the node hands a take's changes on in the order it sent the takes; it sends a new take instead.
-- Returns {the changes taken, how many offlines are still held, 1 when a run again found no record of the first}.
-- KEYS: outbox of the user, held offlines of the user, the record of this request's answer, the user's changes out
-- for posting. ARGV: now ms, the node that posts them ('' for none), the request id, '1' when run again ('0': first)
local now = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {redis.call('LRANGE', KEYS[3], 0, -1), redis.call('HLEN', KEYS[2]), 0}
end
if ARGV[4] == '1' then
  return {{}, redis.call('HLEN', KEYS[2]), 1}
end
queueDueOfflines(KEYS[2], KEYS[1], now)
local changes = redis.call('LRANGE', KEYS[1], 0, -1)
local taken = {}
if #changes > 0 then
  redis.call('DEL', KEYS[1])
  for i, change in ipairs(changes) do
    if ARGV[2] ~= '' then
      taken[i] = ARGV[2] .. '\n' .. ARGV[3] .. '.' .. i .. '\n' .. change
    else
      taken[i] = change
    end
  end
  if ARGV[2] ~= '' then
    pushAll(KEYS[4], taken)
    redis.call('PEXPIRE', KEYS[4], 86400000)
  end
  pushAll(KEYS[3], taken)
  redis.call('PEXPIRE', KEYS[3], 60000)
end
for _, change in ipairs(changes) do
  if string.sub(change, 1, 1) == 'P' then
    publishChange(string.match(change, '^P\n([A-Z_]+)'), string.match(change, '\n([^\n]*)$'))
  end
end
return {taken, redis.call('HLEN', KEYS[2]), 0}
