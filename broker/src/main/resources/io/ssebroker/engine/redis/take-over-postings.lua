-- Takes over the changes of a user that a node which stopped took for its webhook and did not finish posting: they
-- are renamed after the node that takes them over, which posts them under the same delivery ids. Returns them,
-- together with those already under the taking node's name, so that a run again (a re-sent command) loses none; the
-- taking node skips those it already posts.
-- KEYS: the user's changes out for posting. ARGV: the node that stopped, the node that takes them over
local stopped = ARGV[1] .. '\n'
local taking = ARGV[2] .. '\n'
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
local taken = {}
for i, entry in ipairs(entries) do
  if string.sub(entry, 1, #stopped) == stopped then
    local renamed = taking .. string.sub(entry, #stopped + 1)
    redis.call('LSET', KEYS[1], i - 1, renamed)
    table.insert(taken, renamed)
  elseif string.sub(entry, 1, #taking) == taking then
    table.insert(taken, entry)
  end
end
return taken
