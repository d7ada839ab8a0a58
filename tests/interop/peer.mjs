// tests/interop/peer.mjs — a js-libp2p peer (the reference implementation, from npm) that the
// interop tests run against our C++ libp2p. Modes:
//   serve                 listen on loopback with ping, identify and a /tss/1.0.0 echo; print our
//                         multiaddr on the first line; run until stdin closes
//   ping ADDR [COUNT]     ping ADDR; print one line per round trip
//   identify ADDR         run identify against ADDR; print what it told us as JSON
//   send ADDR BYTES       send one BYTES-long random message on /tss/1.0.0, read the echo back,
//                         print {"sent": sha256, "echoed": sha256} as JSON
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

const TSS_PROTOCOL = '/tss/1.0.0'
const MAX_MESSAGE = 16 * 1024 * 1024

function encodeUvarint (n) {
  const out = []
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80) }
  out.push(n)
  return Uint8Array.from(out)
}

// Reads uvarint-length-prefixed messages from a libp2p stream, one at a time. Chunks are kept
// in a list and joined only when a whole message is there, so large messages stay linear.
class MessageReader {
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
  async next () {
    let len = 0; let shift = 1; let i = 0
    for (;;) {
      if (!(await this.fill(i + 1))) {
        if (i === 0 && this.length === 0) return null
        throw new Error('stream ended inside a length prefix')
      }
      const b = this.chunks[0][i++]
      len += (b & 0x7f) * shift; shift *= 0x80
      if ((b & 0x80) === 0) break
      if (i > 9) throw new Error('length prefix too long')
    }
    if (len > MAX_MESSAGE) throw new Error(`message of ${len} bytes is over the limit`)
    if (!(await this.fill(i + len))) throw new Error('stream ended inside a message')
    this.take(i)
    return Uint8Array.from(this.take(len))
  }
}

async function sendAll (stream, bytes) {
  // Hand the message over in 64 KiB pieces, waiting whenever the stream asks us to.
  for (let off = 0; off < bytes.length; off += 65536) {
    if (!stream.send(bytes.subarray(off, off + 65536))) await stream.onDrain()
  }
}

async function sendMessage (stream, msg) {
  const prefix = encodeUvarint(msg.length)
  const framed = new Uint8Array(prefix.length + msg.length)
  framed.set(prefix); framed.set(msg, prefix.length)
  await sendAll(stream, framed)
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex')

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
    const node = await newNode(true)
    await node.handle(TSS_PROTOCOL, async (stream) => {
      try {
        const reader = new MessageReader(stream)
        for (let m = await reader.next(); m !== null; m = await reader.next()) {
          await sendMessage(stream, m)
        }
        await stream.close()
      } catch (err) {
        stream.abort(err)
      }
    })
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
      const msg = randomBytes(Number(arg))
      const stream = await node.dialProtocol(target, TSS_PROTOCOL)
      await sendMessage(stream, msg)
      const echoed = await new MessageReader(stream).next()
      await stream.close()
      console.log(JSON.stringify({ sent: sha256(msg), echoed: echoed === null ? null : sha256(echoed), bytes: msg.length }))
    } else {
      throw new Error(`unknown mode ${mode}`)
    }
  } finally {
    await node.stop()
  }
}

main().catch((err) => { console.error(`error: ${err.stack ?? err}`); process.exit(1) })
