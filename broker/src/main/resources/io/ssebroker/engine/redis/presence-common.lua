-- Shared by the presence scripts (each is sent to Redis with this in front of it).
-- An outbox entry: marker ('P' to publish on the channels when taken, '-' published), kind, device, reason,
-- time ms, callback JSON, newline-separated. A held offline: the end of its grace (ms), newline, the entry.
local CHANNELS = {
  USER_ONLINE = 'sse_topic_user_online', USER_OFFLINE = 'sse_topic_user_offline',
  DEVICE_ONLINE = 'sse_topic_device_online', DEVICE_OFFLINE = 'sse_topic_device_offline'
}

-- Appends values to a list in as few commands as Lua's stack allows: one for the handful a presence change makes.
local function pushAll(key, values)
  for first = 1, #values, 1000 do
    redis.call('RPUSH', key, unpack(values, first, math.min(first + 999, #values)))
  end
end

-- Moves the held offlines whose grace has passed to the outbox, in the order they happened (a user's offline
-- after its device's).
local function queueDueOfflines(heldKey, outboxKey, now)
  local due = {}
  local held = redis.call('HGETALL', heldKey)
  for i = 1, #held, 2 do
    local newline = string.find(held[i + 1], '\n', 1, true)
    local at = tonumber(string.sub(held[i + 1], 1, newline - 1))
    if at <= now then
      table.insert(due, {at, held[i] == 'user' and 1 or 0, string.sub(held[i + 1], newline + 1)})
      redis.call('HDEL', heldKey, held[i])
    end
  end
  table.sort(due, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
  local entries = {}
  for i, entry in ipairs(due) do
    entries[i] = entry[3]
  end
  pushAll(outboxKey, entries)
end

-- The JSON of a change as the node writes it (StateChangeJson): the node's head for it (uid, device, time, up to
-- the reason) and its tail (the node), around the reason and the event name, identifiers that need no escaping.
local function changeJson(head, reason, kind, tail)
  return head .. reason .. '","payload":{"event":"' .. string.lower(kind) .. tail
end

-- Whether a presence entry is the one of the connection with this nonce. The node writes its entries compact
-- (SessionJson) and its nonces in base 36, and a quote inside a value is always escaped: the key and its value are
-- found as text exactly when a parse would find them, at a fraction of the cost (every disconnect and every
-- reconnect of a device asks). A nonce of other characters is compared after a parse.
local function entryHasNonce(entry, nonce)
  if string.find(nonce, '^%w+$') then
    return string.find(entry, '"nonce":"' .. nonce .. '"', 1, true) ~= nil
  end
  return cjson.decode(entry)['nonce'] == nonce
end

-- Publishes a change on its go-sse-broker channel.
local function publishChange(kind, json)
  redis.call('PUBLISH', CHANNELS[kind], json)
end
