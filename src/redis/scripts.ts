/**
 * The atomic steps of `corio/redis`, one Lua script each, one named constant per
 * script. Redis runs a script without interleaving any other command, so each
 * step's check and its effect cannot be split by another worker: the ownership
 * check of an ack and the ack itself, the dedup check of a put and the `XADD`.
 *
 * Every script takes the same keys (`keysOf(name)`: the stream, the dead-letter
 * stream, the job-id index, the reclaim gate, the reclaim cursor, the "a putter
 * waits for room" flag) and starts its arguments with the group, the consumer and
 * the control channel. A delivery is owned by `consumer` at delivery count `n`
 * iff `XPENDING` says so: the count tells a stale delivery from a newer one of the
 * same entry to the same consumer.
 *
 * @example
 * ```ts
 * import { createClient } from '@redis/client';
 * import { run } from 'corio';
 * import { openWorkQueue } from 'corio/redis';
 *
 * // Each step is one script: a put with an id that is already queued is one round trip, and a no-op.
 * const client = await createClient({ url: process.env['REDIS_URL'] }).connect();
 * await run(async () => {
 *   await using queue = await openWorkQueue<string>({ client, name: 'scripts-example' });
 *   console.log(await queue.put('first', { id: 'job-1' }), await queue.put('again', { id: 'job-1' }));
 *   const job = await queue.get();
 *   console.log(job.value);
 *   await job.ack();
 * });
 * client.destroy();
 * // => job-1 job-1
 * // => first
 * ```
 * @module
 */
import { createHash } from 'node:crypto';

/** The keys of a queue named `name`: one hash tag, so one cluster slot. */
export function keysOf(name: string): readonly string[] {
  const base = `corio:{${name}}`;
  return [base, `${base}:dead`, `${base}:ids`, `${base}:reclaim`, `${base}:cursor`, `${base}:full`];
}

/** The Pub/Sub channel of a queue: cancellations and notices (`idle`, `space`, `work`). */
export const channelOf = (name: string): string => `corio:{${name}}:ctl`;

// Helpers every script starts with. K: the keys, by role; A: group, consumer, channel.
const PRELUDE = `
local K = { stream = KEYS[1], dead = KEYS[2], ids = KEYS[3], gate = KEYS[4], cursor = KEYS[5], full = KEYS[6] }
local group, consumer, channel = ARGV[1], ARGV[2], ARGV[3]
local tombstone = K.stream .. ':cancel:'
local function owned(id, n)
  local p = redis.call('XPENDING', K.stream, group, id, id, 1)[1]
  return p ~= nil and p[2] == consumer and p[4] == tonumber(n)
end
local function field(fields, name)
  for i = 1, #fields, 2 do if fields[i] == name then return fields[i + 1] end end
  return nil
end
local function jobOf(id, fields) return field(fields, 'id') or id end
local function entry(id)
  local r = redis.call('XRANGE', K.stream, id, id)[1]
  if r == nil then return nil end
  return r[2]
end
-- A job leaves the queue: out of the group's PEL, the stream, the id index, its tombstone.
local function finish(id, job)
  redis.call('XACK', K.stream, group, id)
  redis.call('XDEL', K.stream, id)
  if redis.call('HGET', K.ids, job) == id then redis.call('HDEL', K.ids, job) end
  redis.call('DEL', tombstone .. job)
  if redis.call('XLEN', K.stream) == 0 then redis.call('PUBLISH', channel, 'idle') end
  if redis.call('DEL', K.full) == 1 then redis.call('PUBLISH', channel, 'space') end
end
local function bury(id, fields, n, why)
  local job = jobOf(id, fields)
  redis.call('XADD', K.dead, '*', 'v', field(fields, 'v') or '', 'id', job, 'attempts', n, 'error', why, 'entry', id)
  finish(id, job)
end
`;

/**
 * `put`: ARGV value, job id ('' for none), maxsize (0 for none) → `{1, job}`
 * added, `{0, job}` a job with that id is still unfinished (nothing added),
 * `{2}` full (the full flag is set, so the next finish publishes `space`).
 */
export const PUT = `${PRELUDE}
local value, job, maxsize = ARGV[4], ARGV[5], tonumber(ARGV[6])
if job ~= '' and redis.call('HEXISTS', K.ids, job) == 1 then return {0, job} end
if maxsize > 0 and redis.call('XLEN', K.stream) >= maxsize then
  redis.call('SET', K.full, '1', 'PX', 60000)
  return {2}
end
if job == '' then return {1, redis.call('XADD', K.stream, '*', 'v', value)} end
local id = redis.call('XADD', K.stream, '*', 'v', value, 'id', job)
redis.call('HSET', K.ids, job, id)
return {1, job}
`;

// The fetch step, shared by `fetch` and `ack-and-fetch`: its five arguments
// start at ARGV[at] (want, visibility, maxDeliveries, gatePx, forgetMs).
const FETCH_STEP = `
local function fetch(at)
  local want, idle, maxDeliveries = tonumber(ARGV[at]), ARGV[at + 1], tonumber(ARGV[at + 2])
  local out = {}
  if want == 0 then return out end
  if redis.call('SET', K.gate, '1', 'PX', ARGV[at + 3], 'NX') then
    local cursor = redis.call('GET', K.cursor) or '0-0'
    local r = redis.call('XAUTOCLAIM', K.stream, group, consumer, idle, cursor, 'COUNT', want)
    for _, e in ipairs(r[2]) do
      local id, fields = e[1], e[2]
      local n = redis.call('XPENDING', K.stream, group, id, id, 1)[1][4]
      local job = jobOf(id, fields)
      if redis.call('EXISTS', tombstone .. job) == 1 then finish(id, job)
      elseif maxDeliveries > 0 and n > maxDeliveries then bury(id, fields, n - 1, 'its lease expired on every delivery')
      else out[#out + 1] = {id, fields, n} end
    end
    if r[1] == '0-0' then
      redis.call('DEL', K.cursor)
      for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', K.stream, group)) do
        local name, pending, silent = c[2], c[4], c[6]
        if pending == 0 and silent > tonumber(ARGV[at + 4]) and name ~= consumer then
          redis.call('XGROUP', 'DELCONSUMER', K.stream, group, name)
        end
      end
    else
      -- More to scan: the next fetch, by any worker, goes on at once.
      redis.call('SET', K.cursor, r[1])
      redis.call('DEL', K.gate)
    end
  end
  if #out < want then
    local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', want - #out, 'STREAMS', K.stream, '>')
    if r then for _, e in ipairs(r[1][2]) do out[#out + 1] = {e[1], e[2], 1} end end
  end
  return out
end
`;

/**
 * `fetch`: up to `want` deliveries for `consumer`, each `{entry id, fields,
 * attempt}`. First, at most once per `gatePx` ms across all workers (the gate
 * key), the reclaim pass: `XAUTOCLAIM` entries idle past the visibility timeout,
 * finish those whose job was cancelled meanwhile, dead-letter those past
 * `maxDeliveries`, and, when the scan wraps, delete consumers with nothing
 * pending that have been silent for `forgetMs`. Then new entries (`XREADGROUP >`).
 * ARGV want, visibility (ms), maxDeliveries (0: no limit), gatePx, forgetMs.
 */
export const FETCH = `${PRELUDE}${FETCH_STEP}
return fetch(4)
`;

/**
 * `heartbeat`: renews the leases of the deliveries given as triples (entry id,
 * attempt, job id) after ARGV[3], one status each: 0 the lease is lost (another
 * consumer, or a newer delivery, owns the entry, or it is gone), 1 renewed, 2
 * renewed and the job was cancelled (its tombstone exists).
 */
export const HEARTBEAT = `${PRELUDE}
local status = {}
for i = 4, #ARGV, 3 do
  local id, n, job = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if owned(id, n) then
    redis.call('XCLAIM', K.stream, group, consumer, 0, id, 'JUSTID')
    status[#status + 1] = redis.call('EXISTS', tombstone .. job) == 1 and 2 or 1
  else
    status[#status + 1] = 0
  end
end
return status
`;

/** `ack`: ARGV entry id, attempt, job id → 1 finished, 0 the lease is lost (nothing done). */
export const ACK = `${PRELUDE}
local id, n, job = ARGV[4], ARGV[5], ARGV[6]
if not owned(id, n) then return 0 end
finish(id, job)
return 1
`;

/**
 * `ack-and-fetch`: `ack`, then, in the same round trip, `fetch` for the slot
 * the job frees (what a worker does next anyway: BullMQ's moveToFinished hands
 * back the next job the same way). ARGV entry id, attempt, job id, then the five
 * of `fetch` → `{1, entries}`, or `{0}` when the lease is lost (nothing done).
 */
export const ACK_AND_FETCH = `${PRELUDE}${FETCH_STEP}
local id, n, job = ARGV[4], ARGV[5], ARGV[6]
if not owned(id, n) then return {0} end
finish(id, job)
return {1, fetch(7)}
`;

/**
 * `nack`: ARGV entry id, attempt, job id, delay, visibility, maxDeliveries (0: no
 * limit), error, bury ('1': dead-letter now) → 0 the lease is lost, 1 given back
 * (claimable after `delay` ms, up to the visibility timeout), 2 finished (the job
 * was cancelled: no retry), 3 dead-lettered (its last allowed attempt).
 */
export const NACK = `${PRELUDE}
local id, n, job, delay, idle, maxDeliveries = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
if not owned(id, n) then return 0 end
if redis.call('EXISTS', tombstone .. job) == 1 then finish(id, job) return 2 end
if ARGV[11] == '1' or (maxDeliveries > 0 and tonumber(n) >= maxDeliveries) then
  bury(id, entry(id) or {}, n, ARGV[10])
  return 3
end
redis.call('XCLAIM', K.stream, group, consumer, 0, id, 'IDLE', math.max(0, idle - delay), 'JUSTID')
if delay == 0 then
  redis.call('DEL', K.gate)
  redis.call('PUBLISH', channel, 'work')
end
return 1
`;

/**
 * `release`: gives back the deliveries given as pairs (entry id, attempt) after
 * ARGV[4] (the visibility timeout), claimable at once by any worker, without
 * finishing them: a cancelled `serve()`, a shutdown, a kept entry nobody took.
 * Returns how many were still owned.
 */
export const RELEASE = `${PRELUDE}
local released = 0
for i = 5, #ARGV, 2 do
  if owned(ARGV[i], ARGV[i + 1]) then
    redis.call('XCLAIM', K.stream, group, consumer, 0, ARGV[i], 'IDLE', ARGV[4], 'JUSTID')
    released = released + 1
  end
end
if released > 0 then
  redis.call('DEL', K.gate)
  redis.call('PUBLISH', channel, 'work')
end
return released
`;

/**
 * `nudge`: a job given back with a delay is due: the next fetch, by any worker,
 * runs the reclaim pass, and idle readers look again at once.
 */
export const NUDGE = `${PRELUDE}
redis.call('DEL', K.gate)
redis.call('PUBLISH', channel, 'work')
return 1
`;

/**
 * `cancel`: ARGV job id, reason, tombstone ttl (ms) → 0 no such unfinished job,
 * 1 it had not started and is removed, 2 it is running (or given back): its
 * tombstone is set and the running worker is told on the channel.
 */
export const CANCEL = `${PRELUDE}
local job, reason, ttl = ARGV[4], ARGV[5], ARGV[6]
local id = redis.call('HGET', K.ids, job)
if not id and string.match(job, '^%d+%-%d+$') and entry(job) then id = job end
if not id then return 0 end
if redis.call('XPENDING', K.stream, group, id, id, 1)[1] == nil then
  redis.call('XDEL', K.stream, id)
  redis.call('HDEL', K.ids, job)
  if redis.call('XLEN', K.stream) == 0 then redis.call('PUBLISH', channel, 'idle') end
  if redis.call('DEL', K.full) == 1 then redis.call('PUBLISH', channel, 'space') end
  return 1
end
redis.call('SET', tombstone .. job, reason, 'PX', ttl)
redis.call('PUBLISH', channel, cjson.encode({'cancel', job, reason}))
return 2
`;

/** `statistics`: `{length, pending, consumers, dead}` (a group that is missing counts 0). */
export const STATISTICS = `${PRELUDE}
local pending, consumers = 0, 0
if redis.call('EXISTS', K.stream) == 1 then
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', K.stream)) do
    local info = {}
    for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
    if info['name'] == group then pending, consumers = info['pending'], info['consumers'] end
  end
end
return {redis.call('XLEN', K.stream), pending, consumers, redis.call('XLEN', K.dead)}
`;

/** A script and its SHA1, for `EVALSHA` (and `EVAL` when the server does not know it yet). */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

/** The script, with its SHA1. */
export function script(source: string): Script {
  return Object.freeze({ source, sha: createHash('sha1').update(source).digest('hex') });
}
