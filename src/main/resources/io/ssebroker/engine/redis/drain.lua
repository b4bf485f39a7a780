-- Takes every presence change queued in a user's outbox, in order, after queueing the held offlines whose grace
-- has passed, and publishes on go-sse-broker's channels those not published yet: whoever takes them, each is
-- published once, even if that node dies right after. Returns the changes taken (the node reports them to its
-- webhook). Returns also whether offlines are still held (so that the caller comes back for them).
-- Run again with the same request id (a re-sent command), it answers what the first run took.
-- KEYS: outbox of the user, held offlines of the user, the record of this request's answer. ARGV: now ms
-- An entry: marker ('P' to publish, '-' published), kind, device, reason, time ms, JSON (newline-separated)
local channels = {
  USER_ONLINE = 'sse_topic_user_online', USER_OFFLINE = 'sse_topic_user_offline',
  DEVICE_ONLINE = 'sse_topic_device_online', DEVICE_OFFLINE = 'sse_topic_device_offline'
}
local now = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {redis.call('LRANGE', KEYS[3], 0, -1), redis.call('HLEN', KEYS[2])}
end
local due = {}
local held = redis.call('HGETALL', KEYS[2])
for i = 1, #held, 2 do
  local newline = string.find(held[i + 1], '\n', 1, true)
  local at = tonumber(string.sub(held[i + 1], 1, newline - 1))
  if at <= now then
    table.insert(due, {at, held[i] == 'user' and 1 or 0, string.sub(held[i + 1], newline + 1)})
    redis.call('HDEL', KEYS[2], held[i])
  end
end
-- by the end of their grace; a user's offline after its device's, as they happened
table.sort(due, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
for _, entry in ipairs(due) do
  redis.call('RPUSH', KEYS[1], entry[3])
end
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
    redis.call('PUBLISH', channels[string.match(change, '^P\n([A-Z_]+)')], string.match(change, '\n([^\n]*)$'))
  end
end
return {changes, redis.call('HLEN', KEYS[2])}
