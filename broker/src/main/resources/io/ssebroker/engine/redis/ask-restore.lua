-- Records an ask to a node to write a connection's presence again, for the node to read should it miss the control
-- message that announces it. Written and given its expiry in one step: a hash left without one would outlive its
-- node (an address used once, such as a pod's).
-- Returns {1}.
-- KEYS: the node's hash of asks
-- ARGV: the connection's nonce, the nonce of the failed registration that removed its entry, how long asks are kept (ms)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1}
