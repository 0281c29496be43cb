import { signUserToken } from './http/auth.js';
import type { RunningServer } from './server.js';
import { ensureUser } from './users/users.service.js';

export const DEMO_USERNAME = 'demo';
const DEMO_TOKEN_TTL_S = 24 * 60 * 60;

/**
 * Outside production: what a newcomer needs to take one deposit from request to credited balance,
 * printed at start. In sandbox mode a demo user exists so the sequence works as printed.
 */
export async function printWelcome(server: RunningServer, generated: string[]): Promise<void> {
  const { config, clock } = server.deps;
  const api = server.url.replace('0.0.0.0', '127.0.0.1');
  const lines = [
    '',
    `deposit-gateway  ${api}`,
    `admin token      ${config.adminApiToken}${generated.length ? `  (generated: ${generated.join(', ')})` : ''}`,
    `secrets          ${config.dataDir}/secrets.json`,
  ];
  if (server.sandbox) {
    await ensureUser(server.deps, DEMO_USERNAME);
    const token = await signUserToken(config.authJwtSecret, DEMO_USERNAME, DEMO_TOKEN_TTL_S, clock.now());
    const sandbox = server.sandbox.url;
    lines.push(
      `payaction        sandbox at ${sandbox} (set PAYACTION_API_KEY for the real one)`,
      `demo user        ${DEMO_USERNAME}, token valid 24 h:`,
      `                 ${token}`,
      '',
      'One deposit, end to end:',
      `  TOKEN=${token}`,
      `  curl -s -X POST ${api}/deposit-request -H "Authorization: Bearer $TOKEN" \\`,
      `       -H 'Content-Type: application/json' -d '{"username":"demo","billing_name":"홍길동","amount":50000}'`,
      `  curl -s -X POST ${sandbox}/_sandbox/transfers -H 'Content-Type: application/json' \\`,
      `       -d '{"billing_name":"홍길동","amount":50000}'`,
      `  curl -s ${api}/users/demo -H "Authorization: Bearer $TOKEN"`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}
