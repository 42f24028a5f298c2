import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ExpiryHeap } from '../src/storage/expiry-heap.js'
import { ShardedMap } from '../src/storage/sharded-map.js'

test('ExpiryHeap pops in time order across the compaction that returns memory', () => {
  const heap = new ExpiryHeap()
  const times: number[] = []
  const entries = new Map<string, { time: number; kind: number }>()
  for (let i = 0; i < 20_000; i++) {
    const t = Math.floor(Math.random() * 1_000_000)
    times.push(t)
    entries.set(`k${i}`, { time: t, kind: i % 4 })
    heap.push(t, `k${i}`, i % 4)
  }
  times.sort((a, b) => a - b)
  // Pop below a quarter of the peak (compaction happens), push more, keep popping.
  const popped: number[] = []
  for (let i = 0; i < 16_000; i++) {
    const time = heap.peekTime()
    const kind = heap.peekKind()
    popped.push(time)
    // Every entry keeps its own time and kind through the sifts.
    assert.deepEqual(entries.get(heap.pop()), { time, kind })
  }
  assert.deepEqual(popped, times.slice(0, 16_000))
  const rest = times.slice(16_000)
  for (let i = 0; i < 100; i++) {
    const t = 2_000_000 + i
    rest.push(t)
    heap.push(t, `late${i}`)
  }
  const tail: number[] = []
  while (heap.size > 0) {
    tail.push(heap.peekTime())
    heap.pop()
  }
  assert.deepEqual(tail, rest)
  assert.equal(heap.peekTime(), Infinity)
})

test('ShardedMap behaves like a Map for any key, including empty and one-character keys', () => {
  const map = new ShardedMap<number>()
  const keys = ['', 'a', 'Z', '-', '_', 'req-1', 'req-2', 'xyz'.repeat(20)]
  for (let i = 0; i < 5000; i++) keys.push(`${i.toString(36)}:${i}`)
  keys.forEach((k, i) => map.set(k, i))
  assert.equal(map.size, keys.length)
  keys.forEach((k, i) => assert.equal(map.get(k), i))
  assert.equal(map.get('absent'), undefined)
  map.set('a', -1)
  assert.equal(map.get('a'), -1)
  assert.equal(map.size, keys.length)
  assert.equal(map.delete('a'), true)
  assert.equal(map.delete('a'), false)
  assert.equal(map.get('a'), undefined)
  assert.equal(map.size, keys.length - 1)
})
