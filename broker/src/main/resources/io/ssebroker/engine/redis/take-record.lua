-- A device's take record (shared by the scripts that read and write it): a string kept on the device's slot, lines
-- separated by newlines (no identifier has a control character): the nonce of the connection of the latest take
-- ('' once its give-back ran), the user that take took the device from ('' when none), and the users that had the
-- device while the record was kept (see take-owner.lua). A string, so that the presence script of a single Redis
-- reads it in the command that reads the kick marks.

-- The record's parts: {take = nonce, from = uid, users = set of uids}, or nil when there is none.
local function readTakes(key)
  local record = redis.call('GET', key)
  if not record then
    return nil
  end
  local lines = {}
  for line in string.gmatch(record .. '\n', '([^\n]*)\n') do
    table.insert(lines, line)
  end
  local users = {}
  for i = 3, #lines do
    users[lines[i]] = true
  end
  return {take = lines[1], from = lines[2], users = users}
end

-- Writes the record: kept for the given time (ms) from now, or for what it had left when that is nil.
local function writeTakes(key, takes, keptMillis)
  local parts = {takes.take, takes.from}
  for uid in pairs(takes.users) do
    table.insert(parts, uid)
  end
  local text = table.concat(parts, '\n')
  if keptMillis then
    redis.call('SET', key, text, 'PX', keptMillis)
  else
    redis.call('SET', key, text, 'KEEPTTL')
  end
end
