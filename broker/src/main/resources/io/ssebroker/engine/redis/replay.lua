-- Reads where a stream stands and the entries after a cursor, in one step. Only the stream's window is read: the
-- entries after its cut (the stream may still hold entries behind the cut, see publish.lua).
-- KEYS: stream, meta hash. ARGV: cursor id ('' = read nothing, '-' = everything retained), max count
-- Returns: last id ('' when the stream has none), the cut (the newest entry outside the window), the entries after
-- the cursor within the window, and the oldest entry when the meta hash was made ('0-0' when it is older than that
-- field): a cursor before it may have missed entries that no cut records.
local meta = redis.call('HMGET', KEYS[2], 'last', 'cut', 'born')
local last = meta[1] or ''
local cut = meta[2] or '0-0'
local entries = {}
if ARGV[1] ~= '' then
  local after = ARGV[1]
  if after == '-' or before(after, cut) then
    after = cut
  end
  entries = redis.call('XRANGE', KEYS[1], '(' .. after, '+', 'COUNT', ARGV[2])
end
return {last, cut, entries, meta[3] or '0-0'}
