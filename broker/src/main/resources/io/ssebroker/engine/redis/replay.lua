-- Reads where a stream stands and the entries after a cursor, in one step. Only the stream's window is read: the
-- entries after its cut (the stream may still hold entries behind the cut, see publish.lua).
-- KEYS: stream, meta hash. ARGV: cursor id ('' = read nothing, '-' = everything retained), max count (at least the
-- window's)
-- Returns: last id ('' when the stream has none), the cut (the newest entry outside the window), the entries after
-- the cursor within the window, the oldest entry when the meta hash was made ('0-0' when it is older than that
-- field): a cursor before it may have missed entries that no cut records, and 1 when the stream itself is gone
-- (expired: Redis deleted it, its meta hash lives on) while its meta hash names a last entry, else 0.
local meta = redis.call('HMGET', KEYS[2], 'last', 'cut', 'born', 'n')
local last = meta[1] or ''
local cut = meta[2] or '0-0'
local entries = {}
if ARGV[1] ~= '' then
  local after = ARGV[1]
  if after == '-' or before(after, cut) then
    after = cut
  end
  -- the whole window, should a node with a longer history size have made it longer than this node's
  entries = redis.call('XRANGE', KEYS[1], '(' .. after, '+', 'COUNT', math.max(tonumber(ARGV[2]), tonumber(meta[4] or 0)))
end
local gone = 0
if last ~= '' and redis.call('EXISTS', KEYS[1]) == 0 then
  gone = 1
end
return {last, cut, entries, meta[3] or '0-0', gone}
