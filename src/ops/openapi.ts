import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { RouteOptions } from 'fastify';
import type { App } from '../http/types.js';

const DESCRIPTION = `Bank-transfer deposits matched by Payaction. Successful answers carry \`"status": "success"\`;
failures \`{"status": "fail", "msg": "<Korean>", "code": "<snake_case>"}\`. Amounts are whole won.`;

// The docs page loads nothing from elsewhere; swagger-ui's own inline pieces are hashed by the plugin.
const DOCS_CSP = {
  'default-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'style-src': ["'self'"],
  'script-src': ["'self'"],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
};

function securityOf(route: RouteOptions) {
  const auth = route.config?.auth ?? 'none';
  if (auth === 'webhook') return [{ payactionWebhookKey: [], payactionMallId: [] }];
  if (auth === 'none') return [];
  return [{ bearer: [] }];
}

function tagOf(url: string): string {
  if (url === '/webhook') return 'payaction';
  if (url.startsWith('/admin')) return 'admin';
  if (['/healthz', '/readyz', '/metrics'].includes(url)) return 'operations';
  return 'deposits';
}

/**
 * OpenAPI 3 generated from the same schemas that validate requests and serialize answers, at
 * `/openapi.json`, and a docs page at `/docs` served from local files (no CDN).
 */
export async function registerOpenApi(app: App, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'deposit-gateway', version, description: DESCRIPTION },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'admin token, or a user JWT (HS256, sub, exp)',
          },
          payactionWebhookKey: { type: 'apiKey', in: 'header', name: 'x-webhook-key' },
          payactionMallId: { type: 'apiKey', in: 'header', name: 'x-mall-id' },
        },
      },
    },
    transform: ({ schema, url, route }) => ({
      schema: { ...schema, security: securityOf(route), tags: [tagOf(url)] } as typeof schema,
      url,
    }),
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: DOCS_CSP,
    uiConfig: { docExpansion: 'list', validatorUrl: null },
  });
  app.get('/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());
}
