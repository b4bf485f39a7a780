-- Takes every presence change queued in a user's outbox, in order, and publishes each on its go-sse-broker
-- channel in the same step: whoever takes them, each change is published once, even if that node dies right
-- after. Returns the changes taken (the node reports them to its webhook too).
-- KEYS: outbox of the user
-- An entry: kind, device, reason, time ms, callback JSON (newline-separated, the JSON last)
local channels = {
  USER_ONLINE = 'sse_topic_user_online', USER_OFFLINE = 'sse_topic_user_offline',
  DEVICE_ONLINE = 'sse_topic_device_online', DEVICE_OFFLINE = 'sse_topic_device_offline'
}
local changes = redis.call('LRANGE', KEYS[1], 0, -1)
if #changes > 0 then
  redis.call('DEL', KEYS[1])
end
for _, change in ipairs(changes) do
  local kind = string.match(change, '^[A-Z_]+')
  local json = string.match(change, '^[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n(.*)$')
  redis.call('PUBLISH', channels[kind], json)
end
return changes
