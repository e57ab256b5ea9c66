import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Slack's Socket Mode endpoint, locally: a WebSocket server (RFC 6455 text frames, ping/pong,
 * close) that greets with `hello`, sends envelopes the way Slack does, and records the acks the
 * app sends back (`{envelope_id, payload}`).
 */
export async function socketModeStandin() {
  const acks: { envelope_id: string; payload?: unknown }[] = [];
  const sockets = new Set<Duplex>();
  let connected: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => (connected = resolve));

  const server = createServer((_req, res) => {
    res.writeHead(426);
    res.end();
  });
  server.on('upgrade', (req, socket: Duplex) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const frame = readFrame(pending);
        if (!frame) break;
        pending = pending.subarray(frame.size);
        if (frame.opcode === 0x1) acks.push(JSON.parse(frame.payload.toString()) as { envelope_id: string });
        else if (frame.opcode === 0x9) socket.write(encodeFrame(0xa, frame.payload));
        else if (frame.opcode === 0x8) {
          socket.write(encodeFrame(0x8, frame.payload));
          socket.end();
        }
      }
    });
    socket.write(encodeFrame(0x1, Buffer.from(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0001' } }))));
    connected?.();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;

  return {
    url: `ws://127.0.0.1:${port}/link`,
    acks,
    /** resolves once the app has connected and been greeted */
    ready,
    /** deliver an envelope to every connected app */
    send(envelope: { envelope_id: string; type: string; payload: unknown; accepts_response_payload: boolean }) {
      for (const socket of sockets) socket.write(encodeFrame(0x1, Buffer.from(JSON.stringify(envelope))));
    },
    /** Close like Slack does: a close frame (1000) to each app, then the TCP connection. */
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.end(encodeFrame(0x8, Buffer.from([0x03, 0xe8])));
        server.close(() => done());
      }),
  };
}

/** A server frame: final, unmasked. */
function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : length < 65_536
        ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(length)]);
  return Buffer.concat([head, payload]);
}

function bigLength(length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(length));
  return b;
}

/** A client frame (always masked), or undefined until all of it has arrived. */
function readFrame(buf: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (buf.length < 2) return undefined;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let length = buf[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return undefined;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return undefined;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const maskKey = masked ? buf.subarray(offset, offset + 4) : undefined;
  if (masked) offset += 4;
  if (buf.length < offset + length) return undefined;
  const payload = Buffer.from(buf.subarray(offset, offset + length));
  if (maskKey) for (let i = 0; i < payload.length; i++) payload[i]! ^= maskKey[i % 4]!;
  return { opcode, payload, size: offset + length };
}
