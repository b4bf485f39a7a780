-- Shared by the stream scripts (each is sent to Redis with this in front of it).

-- true when stream id a comes before stream id b
local function before(a, b)
  local da = string.find(a, '-', 1, true)
  local db = string.find(b, '-', 1, true)
  local ma = tonumber(string.sub(a, 1, da - 1))
  local mb = tonumber(string.sub(b, 1, db - 1))
  if ma ~= mb then
    return ma < mb
  end
  return tonumber(string.sub(a, da + 1)) < tonumber(string.sub(b, db + 1))
end
