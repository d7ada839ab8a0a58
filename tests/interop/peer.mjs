// tests/interop/peer.mjs — a js-libp2p peer (the reference implementation, from npm) that the
// interop tests run against our C++ libp2p, speaking /tss/2.0.0 (framing: the C++ side's
// src/networking/libp2p/tss_frame.h; a stream opened by the sender carries an 8-byte epoch and
// numbered messages, the receiver answers with cumulative acks or a refusal). Modes:
//   serve [MAX]           listen on loopback with ping, identify and a /tss/2.0.0 echo (every
//                         message delivered is sent back to its sender on a stream of our own;
//                         messages over MAX bytes, default 16 MiB, are refused); print our
//                         multiaddr on the first line; run until stdin closes
//   ping ADDR [COUNT]     ping ADDR; print one line per round trip
//   identify ADDR         run identify against ADDR; print what it told us as JSON
//   send ADDR BYTES       send one BYTES-long random message, wait for its ack and then for the
//                         echo, print {"sent": sha256, "echoed": sha256, "bytes": n} as JSON
//   resend ADDR           play a sender that loses streams and restarts: message 1 on a first
//                         stream; message 1 again (a resend) and message 2 on a second; message
//                         1 of a new epoch (a restarted process) on a third; then the first
//                         epoch once more, which must be refused. Print {"sent": [...],
//                         "echoed": [...], "staleRefused": bool} as JSON (digests, in order)
// Exit code 0 on success; errors go to stderr with exit code 1.

// js-libp2p 3.x uses Promise.withResolvers, which Node 20 lacks (added in Node 22).
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function () {
    let resolve, reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { ping } = await import('@libp2p/ping')
const { identify } = await import('@libp2p/identify')
const { multiaddr } = await import('@multiformats/multiaddr')
const { createHash, randomBytes } = await import('node:crypto')

const TSS_PROTOCOL = '/tss/2.0.0'
let maxMessage = 16 * 1024 * 1024
const ACK = 0
const REFUSED = 1
const ECHO_TIMEOUT_MS = 30000

function encodeUvarint (n) {
  const out = []
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80) }
  out.push(n)
  return Uint8Array.from(out)
}

function concat (...parts) {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)))
}

function newEpoch () {
  for (;;) {
    const epoch = randomBytes(8)
    if (epoch.some((b) => b !== 0)) return epoch
  }
}

const encodeMessage = (seq, body) => concat(encodeUvarint(seq), encodeUvarint(body.length), body)
const encodeAck = (seq) => concat(Uint8Array.of(ACK), encodeUvarint(seq))
const encodeRefused = (seq, limit) => concat(Uint8Array.of(REFUSED), encodeUvarint(seq), encodeUvarint(limit))

// Reads bytes and uvarints from a libp2p stream. Chunks are kept in a list and joined only when
// a whole field is there, so large messages stay linear.
class Reader {
  constructor (stream) { this.it = stream[Symbol.asyncIterator](); this.chunks = []; this.length = 0 }
  async fill (n) {
    while (this.length < n) {
      const { value, done } = await this.it.next()
      if (done) return false
      const chunk = value.subarray()
      this.chunks.push(chunk); this.length += chunk.length
    }
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)]
    return true
  }
  take (n) {
    if (n === 0) return new Uint8Array(0)
    const all = this.chunks[0]
    const out = all.subarray(0, n)
    this.chunks = n < all.length ? [all.subarray(n)] : []
    this.length -= n
    return out
  }
  async bytes (n) {
    if (!(await this.fill(n))) throw new Error('stream ended early')
    return Uint8Array.from(this.take(n))
  }
  // A minimal uvarint of at most 9 bytes; null when the stream ends before its first byte and
  // `endOk` says that is a clean end.
  async uvarint (endOk = false) {
    let value = 0; let shift = 1
    for (let i = 0; i < 9; i++) {
      if (!(await this.fill(1))) {
        if (endOk && i === 0) return null
        throw new Error('stream ended inside a uvarint')
      }
      const b = this.take(1)[0]
      if (b === 0 && i > 0) throw new Error('uvarint not minimal')
      value += (b & 0x7f) * shift; shift *= 0x80
      if ((b & 0x80) === 0) return value
    }
    throw new Error('uvarint too long')
  }
}

async function sendAll (stream, bytes) {
  // Hand the bytes over in 64 KiB pieces, waiting whenever the stream asks us to.
  for (let off = 0; off < bytes.length; off += 65536) {
    if (!stream.send(bytes.subarray(off, off + 65536))) await stream.onDrain()
  }
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex')

// ---- receiving: deliver each message of a sender's epoch once, acknowledge cumulatively

const senders = new Map() // remote peer id → { epoch (hex), delivered }

async function receive (stream, connection, deliver) {
  const reader = new Reader(stream)
  try {
    const epoch = Buffer.from(await reader.bytes(8)).toString('hex')
    if (epoch === '0000000000000000') throw new Error('zero epoch')
    const key = connection.remotePeer.toString()
    let state = senders.get(key)
    if (state === undefined || state.epoch !== epoch) {
      state = { epoch, delivered: 0 }
      senders.set(key, state)
    }
    for (;;) {
      const seq = await reader.uvarint(true)
      if (seq === null) break
      if (seq === 0) throw new Error('message number 0')
      const length = await reader.uvarint()
      if (length > maxMessage) {
        const refusal = encodeRefused(seq, maxMessage)
        await sendAll(stream, state.delivered > 0 ? concat(encodeAck(state.delivered), refusal) : refusal)
        stream.abort(new Error(`message of ${length} bytes is over the limit`))
        return
      }
      const body = await reader.bytes(length)
      if (seq > state.delivered) {
        state.delivered = seq
        deliver(body, connection)
      }
      await sendAll(stream, encodeAck(state.delivered))
    }
    await stream.close()
  } catch (err) {
    stream.abort(err)
  }
}

// ---- sending: a stream of our own, numbered messages, wait for their acks

async function openSender (node, target, epoch) {
  const stream = await node.dialProtocol(target, TSS_PROTOCOL)
  await sendAll(stream, epoch)
  return { stream, reader: new Reader(stream) }
}

// Resolves once message `seq` is acknowledged; throws when it is refused or the stream ends.
async function awaitAck (reader, seq) {
  for (;;) {
    const type = await reader.bytes(1)
    const acked = await reader.uvarint()
    if (type[0] === ACK) {
      if (acked >= seq) return
    } else if (type[0] === REFUSED) {
      const limit = await reader.uvarint()
      if (acked === seq) throw new Error(`message ${seq} refused: over the limit of ${limit} bytes`)
    } else {
      throw new Error(`unknown reply type ${type[0]}`)
    }
  }
}

async function sendNumbered (sender, seq, body) {
  await sendAll(sender.stream, encodeMessage(seq, body))
  await awaitAck(sender.reader, seq)
}

// serve: echo every delivered message back to its sender, in order, on one stream per sender
// (opened again if it breaks).
function echoer (node) {
  const outgoing = new Map() // remote peer id → { epoch, seq, sender, chain }
  return (body, connection) => {
    const key = connection.remotePeer.toString()
    let out = outgoing.get(key)
    if (out === undefined) {
      out = { epoch: newEpoch(), seq: 0, sender: null, chain: Promise.resolve() }
      outgoing.set(key, out)
    }
    const seq = ++out.seq
    out.chain = out.chain.then(async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          if (out.sender === null) out.sender = await openSender(node, connection.remotePeer, out.epoch)
          await sendNumbered(out.sender, seq, body)
          return
        } catch (err) {
          out.sender?.stream.abort(err)
          out.sender = null
        }
      }
      console.error(`echo of message ${seq} to ${key} failed`)
    })
  }
}

// Collects what peers send us, for the modes that expect echoes.
async function collector (node) {
  const received = []
  let waiting = null
  await node.handle(TSS_PROTOCOL, (stream, connection) => receive(stream, connection, (body) => {
    received.push(body)
    if (waiting && received.length >= waiting.count) waiting.resolve()
  }))
  return {
    received,
    async waitFor (count) {
      if (received.length >= count) return
      waiting = { count, ...Promise.withResolvers() }
      const timer = setTimeout(() => waiting.reject(new Error(`only ${received.length} of ${count} echoes arrived`)), ECHO_TIMEOUT_MS)
      try { await waiting.promise } finally { clearTimeout(timer) }
    }
  }
}

async function newNode (listen) {
  // Identify runs only when asked, so the `identify` mode's own request is the only one.
  return createLibp2p({
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { ping: ping(), identify: identify({ runOnConnectionOpen: false }) }
  })
}

async function main () {
  const [mode, addr, arg] = process.argv.slice(2)
  if (mode === 'serve') {
    if (addr !== undefined) maxMessage = Number(addr)
    const node = await newNode(true)
    const echo = echoer(node)
    await node.handle(TSS_PROTOCOL, (stream, connection) => receive(stream, connection, echo))
    console.log(node.getMultiaddrs()[0].toString())
    process.stdin.resume()
    process.stdin.on('end', async () => { await node.stop(); process.exit(0) })
    return
  }
  const node = await newNode(false)
  const target = multiaddr(addr)
  try {
    if (mode === 'ping') {
      const count = Number(arg ?? 3)
      for (let i = 1; i <= count; i++) {
        const ms = await node.services.ping.ping(target)
        console.log(`seq=${i} time=${ms} ms`)
      }
    } else if (mode === 'identify') {
      const connection = await node.dial(target)
      const result = await node.services.identify.identify(connection)
      console.log(JSON.stringify({
        peerId: result.peerId.toString(),
        remotePeer: connection.remotePeer.toString(),
        protocols: result.protocols,
        agentVersion: result.agentVersion,
        protocolVersion: result.protocolVersion,
        listenAddrs: result.listenAddrs.map((a) => a.toString()),
        observedAddr: result.observedAddr?.toString()
      }))
    } else if (mode === 'send') {
      const echoes = await collector(node)
      const msg = randomBytes(Number(arg))
      const sender = await openSender(node, target, newEpoch())
      await sendNumbered(sender, 1, msg)
      await echoes.waitFor(1)
      await sender.stream.close()
      console.log(JSON.stringify({ sent: sha256(msg), echoed: sha256(echoes.received[0]), bytes: msg.length }))
    } else if (mode === 'resend') {
      const echoes = await collector(node)
      const messages = [randomBytes(100), randomBytes(200), randomBytes(300)]
      const first = newEpoch()
      const a = await openSender(node, target, first)
      await sendNumbered(a, 1, messages[0])
      a.stream.abort(new Error('a lost stream'))
      const b = await openSender(node, target, first)
      await sendAll(b.stream, encodeMessage(1, messages[0])) // resent: must not be delivered again
      await sendNumbered(b, 2, messages[1])
      await b.stream.close()
      const c = await openSender(node, target, newEpoch()) // the sender restarted
      await sendNumbered(c, 1, messages[2])
      await c.stream.close()
      await echoes.waitFor(3)
      let staleRefused = false
      try {
        const d = await openSender(node, target, first) // the replaced run, once more
        await sendNumbered(d, 3, randomBytes(10))
      } catch {
        staleRefused = true
      }
      console.log(JSON.stringify({
        sent: messages.map(sha256),
        echoed: echoes.received.map(sha256),
        staleRefused
      }))
    } else {
      throw new Error(`unknown mode ${mode}`)
    }
  } finally {
    await node.stop()
  }
}

main().catch((err) => { console.error(`error: ${err.stack ?? err}`); process.exit(1) })
