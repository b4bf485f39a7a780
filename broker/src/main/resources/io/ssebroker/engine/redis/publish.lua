-- Appends a message to a stream, keeps it to its window of the newest entries by count and age (remembering the
-- cut, the newest entry outside the window, so a cursor behind it is known to have missed something), and publishes
-- it with the id of the entry before it, so a node can tell when it missed one. Appending and publishing in one
-- script keeps ids and publishes in order.
-- The window by count is kept by the cut alone: readers read only after it (replay.lua). Redis removes the entries
-- behind it in whole blocks (its stream nodes, MINID ~ the cut), which costs little; trimming to the exact length
-- rewrote the oldest block entry by entry, most of this script's cost. A stream holds up to a block more than its
-- window. The meta hash counts the window ('n'), so that a window longer than the length asked for (the history
-- size was made smaller, or nodes differ in it) is cut to it at once, and Redis never removes an entry of the window.
-- The publication's id makes it idempotent: run again with the same id (a command re-sent after a reconnect,
-- or a send repeated with its idempotency key) it appends nothing and answers the first result.
-- The meta hash also keeps the id of the oldest entry the script knows of ('first', never newer than the real
-- oldest: ids only grow), so that an append finds out whether anything has aged out without walking the stream.
-- KEYS: stream, meta hash (last, cut, first, born, n), shard channel, presence hash of the user (or the meta hash again),
--       the publication's id key
-- ARGV: event, data, devices (comma list, empty = all), now ms, max length, how long an entry is kept (ms), stream ttl ms,
--       meta ttl ms (0 = none), count mode, id key ttl ms
-- Returns: {stream id, target devices online, 1 when it was a repeat}
local seen = redis.call('GET', KEYS[5])
if seen then
  -- A repeat writes its id again, unchanged: a WAIT that follows it on its connection then waits for replicas to
  -- reach past the first run's writes, which come before it in the master's replication stream (a repeat that
  -- wrote nothing would be confirmed by replicas still behind them).
  redis.call('SET', KEYS[5], seen, 'KEEPTTL')
  local space = string.find(seen, ' ', 1, true)
  return {string.sub(seen, 1, space - 1), tonumber(string.sub(seen, space + 1)), 1}
end

-- the id of the stream's oldest entry, or nil when it has none
local function oldest()
  local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
  return head[1] and head[1][1]
end

local len = redis.call('XLEN', KEYS[1]) + 1
local id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[1], 'v', ARGV[3], 't', ARGV[4], 'd', ARGV[2])
-- The oldest id kept, by the entries' age against this one's: an age on Redis's clock, which makes the ids (a node's
-- clock ahead of Redis's by the time kept would otherwise have the entry just appended aged out at once).
local oldestKept = string.format('%d-0', math.max(0, tonumber(string.match(id, '^%d+')) - tonumber(ARGV[6])))
local meta = redis.call('HMGET', KEYS[2], 'last', 'first', 'cut', 'n')
local prev = meta[1] or '0-0'
local first = meta[2]
-- the cut as it stands (nil: none yet), and the entries after it, this append's included
local cut = meta[3]
local moved = false
local maxlen = tonumber(ARGV[5])
local n
if len == 1 then
  -- the stream expired or was trimmed to nothing: everything up to the previous entry is gone
  first = id
  if prev ~= '0-0' then
    cut = prev
    moved = true
  end
  n = 1
elseif meta[4] then
  n = tonumber(meta[4]) + 1
  if n > maxlen then
    -- The window is over its length (by the one entry appended, or by more when the length asked for is smaller
    -- than before): the cut moves on by as many entries. Every entry after the cut is still in the stream.
    local out = redis.call('XRANGE', KEYS[1], '(' .. (cut or '0-0'), '+', 'COUNT', n - maxlen)
    if #out > 0 then
      cut = out[#out][1]
      moved = true
    end
    n = maxlen
  end
else
  -- bookkeeping of an earlier version, without the count: the window is counted once, the newest entries
  local tail = redis.call('XREVRANGE', KEYS[1], '+', '(' .. (cut or '0-0'), 'COUNT', maxlen + 1)
  if #tail > maxlen then
    cut = tail[#tail][1]
    moved = true
    n = maxlen
  else
    n = #tail
  end
end
if moved and len > n then
  -- Redis removes what lies behind the cut in whole blocks, never an entry of the window
  local left = len - redis.call('XTRIM', KEYS[1], 'MINID', '~', cut)
  if left > 2 * maxlen + 1000 then
    -- blocks too large to go (Redis configured with unbounded stream nodes): to the cut, entry by entry
    redis.call('XTRIM', KEYS[1], 'MINID', cut)
  end
end
if not first then
  first = oldest()
end
if first and before(first, oldestKept) then
  local old = redis.call('XREVRANGE', KEYS[1], '(' .. oldestKept, '-', 'COUNT', 1)
  if #old > 0 then
    -- an entry behind the cut may still be in the stream: the cut only moves forward, and the window loses what
    -- lies between the two
    if not cut or before(cut, old[1][1]) then
      n = math.max(0, n - #redis.call('XRANGE', KEYS[1], '(' .. (cut or '0-0'), old[1][1]))
      cut = old[1][1]
      moved = true
    end
    redis.call('XTRIM', KEYS[1], 'MINID', oldestKept)
  end
  first = oldest()
end
local write = {'last', id, 'n', n}
if moved then
  table.insert(write, 'cut')
  table.insert(write, cut)
end
if first then
  table.insert(write, 'first')
  table.insert(write, first)
  if not meta[1] then
    -- A new meta hash: the stream's known history begins at its oldest entry. A cursor from before it (of a stream
    -- lost with a master that came back empty, or that expired with its meta hash) may have missed what came
    -- between, which no cut records.
    table.insert(write, 'born')
    table.insert(write, first)
  end
end
redis.call('HSET', KEYS[2], unpack(write))
redis.call('PEXPIRE', KEYS[1], ARGV[7])
if ARGV[8] ~= '0' then
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
redis.call('SPUBLISH', KEYS[3], id .. '\n' .. prev .. '\n' .. ARGV[1] .. '\n' .. ARGV[3] .. '\n' .. ARGV[4] .. '\n' .. ARGV[2])
local online = 0
if ARGV[9] == 'user' then
  if ARGV[3] == '' then
    online = redis.call('HLEN', KEYS[4])
  else
    for device in string.gmatch(ARGV[3], '[^,]+') do
      online = online + redis.call('HEXISTS', KEYS[4], device)
    end
  end
end
redis.call('SET', KEYS[5], id .. ' ' .. online, 'PX', ARGV[10])
return {id, online, 0}
