"""The Lua scripts behind every state change of a secret.

Each one is atomic and safe to run twice with the same arguments: a reply lost to a timeout is
recovered by running the same call again (same token), never by guessing what happened. All
keys of one call share the secret's hash tag (`keep:{id}:...`), so they work on Redis Cluster.
Deletes come before writes: under `maxmemory` + `noeviction` Redis refuses only a script's
*first* write that could grow memory, so a claim that starts with DEL still completes when
Redis is full (reveals keep working), and a refused script has changed nothing.
"""

from __future__ import annotations

# KEYS: secret. ARGV: record, expires_at_ms.
# 1 if the record is stored, also when an earlier run of this same call stored it (records
# carry a random salt and nonce, so an equal value can only come from this call); 0 if the id
# is taken by another record.
CREATE = """
if redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2], 'NX') then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
"""

# KEYS: secret, tombstone, the caller's failures, the caller's lock. ARGV: the record the
# caller decrypted, the call's token, tombstone lifetime (ms).
# 1 for the one caller that wins the secret: it is deleted and a tombstone `token .. record`
# is left for a short while, so a repeat of this call (same token) also gets 1 and can decrypt
# its payload again. 0 for everybody else (already read, expired, or another record).
CLAIM = """
local record = redis.call('GET', KEYS[1])
if record == ARGV[1] then
  local ttl = redis.call('PTTL', KEYS[1])
  redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
  if ttl > 0 then
    redis.call('SET', KEYS[2], ARGV[2] .. ARGV[1], 'PX', math.min(tonumber(ARGV[3]), ttl))
  end
  return 1
end
if not record and redis.call('GET', KEYS[2]) == ARGV[2] .. ARGV[1] then
  -- A write that changes nothing, so a WAIT after this repeat also covers the first run's delete.
  redis.call('PEXPIRE', KEYS[2], redis.call('PTTL', KEYS[2]))
  return 1
end
return 0
"""

# KEYS: secret, the caller's failures (a hash: call token -> 1), the caller's lock.
# ARGV: call token, window (ms), lock (ms), lock threshold.
# Counts one wrong password of one client, once per call token, and decides the lock in the
# same step, so N parallel wrong guesses count as the policy says, never N at once.
# Returns {outcome, lock ms left}: 'counted'; 'locked_now' (this guess reached the threshold);
# 'locked' (the client was already locked: not counted); 'gone' (no secret: nothing written,
# so no write can leave a key without a TTL).
RECORD_FAILURE = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return {'gone', 0} end
local locked_ms = redis.call('PTTL', KEYS[3])
if locked_ms > 0 then return {'locked', locked_ms} end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return {'counted', 0} end
redis.call('HSET', KEYS[2], ARGV[1], 1)
local failures = redis.call('HLEN', KEYS[2])
if failures == 1 then redis.call('PEXPIRE', KEYS[2], math.min(tonumber(ARGV[2]), ttl)) end
if failures >= tonumber(ARGV[4]) then
  local lock_ms = math.min(tonumber(ARGV[3]), ttl)
  redis.call('SET', KEYS[3], '1', 'PX', lock_ms)
  redis.call('DEL', KEYS[2])
  return {'locked_now', lock_ms}
end
return {'counted', 0}
"""
