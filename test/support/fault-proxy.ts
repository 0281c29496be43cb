import { type AddressInfo, createServer, type Server, Socket } from 'node:net';

interface Link {
  client: Socket;
  upstream?: Socket;
  /** Left stalled for good by `restore({ keepStalled: true })`. */
  lost?: boolean;
}

/**
 * A TCP proxy between the service and a server (a database, Redis) that the test can break and
 * mend. A cut drops every open connection and refuses new ones, the way a crashed host or a
 * partition looks from the service. A stall keeps every connection open and accepts new ones but
 * forwards nothing, the way a hung server or a black-holed network looks: only timeouts notice it.
 */
export class FaultProxy {
  private server: Server | undefined;
  private readonly links = new Set<Link>();
  private mode: 'open' | 'cut' | 'stalled' = 'open';
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<this> {
    const server = createServer((client) => {
      if (this.mode === 'cut') return void client.destroy();
      const link: Link = { client };
      this.links.add(link);
      client.on('error', () => undefined);
      client.on('close', () => {
        link.upstream?.destroy();
        this.links.delete(link);
      });
      if (this.mode === 'open') this.forward(link);
      else client.pause();
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  private forward(link: Link): void {
    if (!link.upstream) {
      const upstream = new Socket();
      link.upstream = upstream;
      upstream.on('error', () => undefined);
      upstream.on('close', () => link.client.destroy());
      upstream.connect(this.targetPort, this.targetHost);
    }
    link.client.pipe(link.upstream);
    link.upstream.pipe(link.client);
  }

  /** Drops every connection and refuses new ones until `restore`. */
  cut(): void {
    this.mode = 'cut';
    for (const { client, upstream } of this.links) {
      client.destroy();
      upstream?.destroy();
    }
  }

  /** Keeps every connection open, and accepts new ones, but forwards nothing until `restore`. */
  stall(): void {
    this.mode = 'stalled';
    for (const { client, upstream } of this.links) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  /**
   * Forwards again. Connections held by a stall carry on with what was sent meanwhile, or, with
   * `keepStalled`, stay stalled for good while new ones work (a failover that lost them): only a
   * client that discards connections which timed out gets going again.
   */
  restore(options: { keepStalled?: boolean } = {}): void {
    const wasStalled = this.mode === 'stalled';
    this.mode = 'open';
    if (!wasStalled) return;
    for (const link of this.links) {
      if (options.keepStalled) link.lost = true;
      else if (!link.lost) this.forward(link);
    }
  }

  /** `serverUrl` (a database URL) led through this proxy instead. */
  route(serverUrl: string): string {
    const url = new URL(serverUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** One proxy each in front of the local MariaDB and PostgreSQL servers, by dialect name. */
export async function startDatabaseProxies(): Promise<Map<string, FaultProxy>> {
  const proxies = new Map<string, FaultProxy>();
  for (const [dialect, port] of [
    ['mysql', 3306],
    ['postgres', 5432],
  ] as const) {
    proxies.set(dialect, await new FaultProxy('127.0.0.1', port).start());
  }
  return proxies;
}
