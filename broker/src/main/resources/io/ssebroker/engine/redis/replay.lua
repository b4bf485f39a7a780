-- Reads where a stream stands and the entries after a cursor, in one step.
-- KEYS: stream, meta hash. ARGV: cursor id ('' = read nothing, '-' = everything retained), max count
-- Returns: last id ('' when the stream has none), last trimmed id, entries after the cursor.
local last = redis.call('HGET', KEYS[2], 'last') or ''
local cut = redis.call('HGET', KEYS[2], 'cut') or '0-0'
local entries = {}
if ARGV[1] == '-' then
  entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[2])
elseif ARGV[1] ~= '' then
  entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
end
return {last, cut, entries}
