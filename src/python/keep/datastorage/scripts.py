"""The Lua scripts behind every state change of a secret.

Each one is atomic and safe to run twice with the same arguments: a reply lost to a timeout is
recovered by running the same call again (same token), never by guessing what happened. All
keys of one call share the secret's hash tag (`keep:{id}:...`), so they work on Redis Cluster.
Deletes come before writes: under `maxmemory` + `noeviction` Redis refuses only a script's
*first* write that could grow memory, so a claim that starts with DEL still completes when
Redis is full (reveals keep working), and a refused script has changed nothing.

A reveal is one call (REVEAL): the script checks the password by the claim verifier stored
beside the record (crypto.claim_verifier), then claims or counts the wrong guess. Records
written before verifiers existed have none: REVEAL hands them back unclaimed, and the caller
decrypts, then CLAIMs or RECORD_FAILUREs them (two calls, as before).
"""

from __future__ import annotations

# Lua functions shared by the scripts below (prepended to each; a script is one chunk).
_FUNCTIONS = """
-- The winner's step: delete the secret (and the given keys), and leave `tombstone_value`
-- (token .. record) for a short while, so a repeat of this call can recognise itself.
local function take(secret, tombstone, tombstone_value, tombstone_ms, ...)
  local ttl = redis.call('PTTL', secret)
  redis.call('DEL', secret, ...)
  if ttl > 0 then
    redis.call('SET', tombstone, tombstone_value, 'PX', math.min(tombstone_ms, ttl))
  end
end

-- A repeat of the winning call: a write that changes nothing, so a WAIT after this repeat
-- also covers the first run's delete.
local function touch(tombstone)
  redis.call('PEXPIRE', tombstone, redis.call('PTTL', tombstone))
end

-- Counts one wrong password of one client, once per call token, and decides the lock in the
-- same step, so N parallel wrong guesses count as the policy says, never N at once.
-- Returns {outcome, lock ms left}: 'counted'; 'locked_now' (this guess reached the
-- threshold); 'locked' (the client was already locked: not counted); 'gone' (no secret:
-- nothing written, so no write can leave a key without a TTL); 'uncounted' (Redis is full:
-- nothing written; passwords are 128-bit random, so an uncounted guess costs nothing).
local function count_failure(secret, failures, lock, token, window_ms, lock_ms, threshold)
  local ttl = redis.call('PTTL', secret)
  if ttl <= 0 then return {'gone', 0} end
  local locked_ms = redis.call('PTTL', lock)
  if locked_ms > 0 then return {'locked', locked_ms} end
  if redis.call('HEXISTS', failures, token) == 1 then return {'counted', 0} end
  local written = redis.pcall('HSET', failures, token, 1)
  if type(written) == 'table' and written.err then
    if string.sub(written.err, 1, 3) == 'OOM' then return {'uncounted', 0} end
    return redis.error_reply(written.err)
  end
  local count = redis.call('HLEN', failures)
  if count == 1 then redis.call('PEXPIRE', failures, math.min(window_ms, ttl)) end
  if count >= threshold then
    local lock_for = math.min(lock_ms, ttl)
    redis.call('SET', lock, '1', 'PX', lock_for)
    redis.call('DEL', failures)
    return {'locked_now', lock_for}
  end
  return {'counted', 0}
end
"""

# KEYS: secret, claim verifier. ARGV: record, expires_at_ms, verifier.
# 1 if the record is stored, also when an earlier run of this same call stored it (records
# carry a random salt and nonce, so an equal value can only come from this call); 0 if the id
# is taken by another record. The verifier expires with the record.
CREATE = """
if redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2], 'NX') then
  redis.call('SET', KEYS[2], ARGV[3], 'PXAT', ARGV[2])
  return 1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
"""

# KEYS: secret, tombstone, the caller's failures, the caller's lock, claim verifier.
# ARGV: the claim verifier of the caller's password, the call's token, tombstone lifetime (ms),
# failure window (ms), lock (ms), lock threshold, not after (Unix ms).
# The whole reveal in one call. Returns {outcome, ...}:
# 'late': Redis ran it after `not after` (it was frozen, or the call queued): its caller has
# given up, so nothing is done; a payload it claimed would reach nobody.
# 'claimed', record: the verifier matched; this call won the secret (deleted, tombstone left).
# 'repeated', record: the secret is gone and this call's own tombstone is there (same token).
# 'gone': unknown, expired, or read by another call.
# 'locked', ms: this client is locked out of this secret; the password was not checked.
# 'unverified', record: a record without a verifier; nothing changed (the caller decrypts).
# Else the verifier did not match: count_failure's outcome (the guess is counted).
REVEAL = (
    _FUNCTIONS
    + """
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(ARGV[7]) then
  return {'late'}
end
local record = redis.call('GET', KEYS[1])
if not record then
  local tombstone = redis.call('GET', KEYS[2])
  if tombstone and string.sub(tombstone, 1, #ARGV[2]) == ARGV[2] then
    touch(KEYS[2])
    return {'repeated', string.sub(tombstone, #ARGV[2] + 1)}
  end
  return {'gone'}
end
local locked_ms = redis.call('PTTL', KEYS[4])
if locked_ms > 0 then return {'locked', locked_ms} end
local verifier = redis.call('GET', KEYS[5])
if not verifier then return {'unverified', record} end
if verifier == ARGV[1] then
  take(KEYS[1], KEYS[2], ARGV[2] .. record, tonumber(ARGV[3]), KEYS[3], KEYS[4], KEYS[5])
  return {'claimed', record}
end
return count_failure(KEYS[1], KEYS[3], KEYS[4], ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[5]),
                     tonumber(ARGV[6]))
"""
)

# KEYS: secret, tombstone, the caller's failures, the caller's lock. ARGV: the record the
# caller decrypted, the call's token, tombstone lifetime (ms).
# For records without a verifier (REVEAL said 'unverified'), after decrypting them.
# 1 for the one caller that wins the secret: it is deleted and a tombstone `token .. record`
# is left for a short while, so a repeat of this call (same token) also gets 1 and can decrypt
# its payload again. 0 for everybody else (already read, expired, or another record).
CLAIM = (
    _FUNCTIONS
    + """
local record = redis.call('GET', KEYS[1])
if record == ARGV[1] then
  take(KEYS[1], KEYS[2], ARGV[2] .. ARGV[1], tonumber(ARGV[3]), KEYS[3], KEYS[4])
  return 1
end
if not record and redis.call('GET', KEYS[2]) == ARGV[2] .. ARGV[1] then
  touch(KEYS[2])
  return 1
end
return 0
"""
)

# KEYS: secret, the caller's failures (a hash: call token -> 1), the caller's lock.
# ARGV: call token, window (ms), lock (ms), lock threshold.
# A wrong password for a record without a verifier: count_failure's outcome.
RECORD_FAILURE = (
    _FUNCTIONS
    + """
return count_failure(KEYS[1], KEYS[2], KEYS[3], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]),
                     tonumber(ARGV[4]))
"""
)
