-- Takes every presence change queued in a user's outbox, in order, after queueing the held offlines whose grace
-- has passed, and publishes on go-sse-broker's channels those not published yet: whoever takes them, each is
-- published once, even if that node dies right after. Returns the changes taken (the node reports them to its
-- webhook). Returns also whether offlines are still held (so that the caller comes back for them).
-- Run again with the same request id (a re-sent command), it answers what the first run took.
-- KEYS: outbox of the user, held offlines of the user, the record of this request's answer. ARGV: now ms
local now = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {redis.call('LRANGE', KEYS[3], 0, -1), redis.call('HLEN', KEYS[2])}
end
queueDueOfflines(KEYS[2], KEYS[1], now)
local changes = redis.call('LRANGE', KEYS[1], 0, -1)
if #changes > 0 then
  redis.call('DEL', KEYS[1])
  for _, change in ipairs(changes) do
    redis.call('RPUSH', KEYS[3], change)
  end
  redis.call('PEXPIRE', KEYS[3], 60000)
end
for _, change in ipairs(changes) do
  if string.sub(change, 1, 1) == 'P' then
    publishChange(string.match(change, '^P\n([A-Z_]+)'), string.match(change, '\n([^\n]*)$'))
  end
end
return {changes, redis.call('HLEN', KEYS[2])}
