import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 between a client and a server (here Redis), for fault tests: it can cut
 * every connection in the middle of a request or right before a reply, refuse connections while
 * "down", and come back up on the same port.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #target: { host: string; port: number };
  #port = 0;
  #cutAfterBytes: number | undefined;
  #cutBeforeReply = false;
  /** Bytes forwarded from clients to the server since start. */
  forwardedBytes = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = createServer((client) => this.#connect(client));
  }

  /** Starts a proxy to `target` on a free port. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.#listen(0);
    return proxy;
  }

  /** The port clients connect to. */
  get port(): number {
    return this.#port;
  }

  /** Forwards the next `bytes` bytes a client sends, then cuts every connection and goes down. */
  cutAfter(bytes: number): void {
    this.#cutAfterBytes = bytes;
  }

  /** Swallows the next reply from the server, then cuts every connection and goes down. */
  cutBeforeReply(): void {
    this.#cutBeforeReply = true;
  }

  /** Destroys every connection and refuses new ones until {@link up}. */
  down(): void {
    this.#server.close();
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** Accepts connections again on the same port. */
  async up(): Promise<void> {
    await this.#listen(this.#port);
  }

  /** Stops for good. */
  async close(): Promise<void> {
    this.down();
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, "127.0.0.1", () => {
        this.#server.off("error", reject);
        const address = this.#server.address();
        if (address !== null && typeof address === "object") this.#port = address.port;
        resolve();
      });
    });
  }

  #connect(client: Socket): void {
    const upstream = connect(this.#target);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        this.#sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => {
      const cutAt = this.#cutAfterBytes;
      if (cutAt !== undefined && chunk.length >= cutAt) {
        this.#cutAfterBytes = undefined;
        this.forwardedBytes += cutAt;
        upstream.write(chunk.subarray(0, cutAt), () => this.down());
        return;
      }
      if (cutAt !== undefined) this.#cutAfterBytes = cutAt - chunk.length;
      this.forwardedBytes += chunk.length;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (this.#cutBeforeReply) {
        this.#cutBeforeReply = false;
        this.down();
        return;
      }
      client.write(chunk);
    });
  }
}
