-- Takes every presence change queued in a user's outbox, in order: whoever takes them reports them, once.
-- KEYS: outbox of the user
local changes = redis.call('LRANGE', KEYS[1], 0, -1)
if #changes > 0 then
  redis.call('DEL', KEYS[1])
end
return changes
