import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 between a client and PostgreSQL, for fault tests: it can cut every
 * connection at a chosen moment, refuse new ones (stopped) and come back on the same port.
 */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;
  /** Bytes client→server still allowed before everything is cut; undefined = no trap. */
  #cutAfterClientBytes: number | undefined;
  #cutOnServerData = false;
  /** While true, connections are accepted and bytes in both directions are dropped (a silent network). */
  #stalled = false;
  /** Bytes forwarded client→server since start (for choosing a cut point). */
  clientBytes = 0;
  /** How many times connections were cut. */
  cuts = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** The port the proxy listens on (stable across stop/start). */
  get port(): number {
    return this.#port;
  }

  /** Starts listening (on a free port the first time, then on the same port). */
  async start(): Promise<void> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolveListen, reject) => {
      server.once("error", reject);
      server.listen(this.#port, "127.0.0.1", () => resolveListen());
    });
    const address = server.address();
    if (address !== null && typeof address === "object") this.#port = address.port;
    this.#server = server;
  }

  #accept(client: Socket): void {
    const upstream = connect(this.#target);
    this.#sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.on("data", (chunk: Buffer) => {
      if (this.#stalled) return;
      if (this.#cutAfterClientBytes !== undefined) {
        if (chunk.length >= this.#cutAfterClientBytes) {
          upstream.write(chunk.subarray(0, this.#cutAfterClientBytes));
          this.#cut();
          return;
        }
        this.#cutAfterClientBytes -= chunk.length;
      }
      this.clientBytes += chunk.length;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (this.#stalled) return;
      if (this.#cutOnServerData) {
        this.#cut();
        return;
      }
      client.write(chunk);
    });
  }

  #cut(): void {
    this.#cutAfterClientBytes = undefined;
    this.#cutOnServerData = false;
    this.cuts++;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** Cuts every connection once `bytes` more bytes have gone from clients to the server. */
  cutAfterClientBytes(bytes: number): void {
    this.#cutAfterClientBytes = bytes;
  }

  /** Cuts every connection when the server next sends anything (the answer is lost, the work is done). */
  cutOnServerAnswer(): void {
    this.#cutOnServerData = true;
  }

  /**
   * Goes silent: open and new connections stay open but nothing is forwarded either way (what a
   * partitioned network or a hung server looks like to the client). Dropped bytes are lost.
   */
  stall(): void {
    this.#stalled = true;
  }

  /** Forwards again after {@link stall}; connections that lost bytes meanwhile are cut (their streams are broken). */
  resume(): void {
    this.#stalled = false;
    this.#cut();
  }

  /** Cuts every connection now. */
  cutNow(): void {
    this.#cut();
  }

  /** Cuts every connection and stops accepting new ones (connections are refused). */
  async stop(): Promise<void> {
    this.#cut();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  }
}
