import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The deposit page (`index.html`, served at `/`) and the admin dashboard (`admin/index.html`, served
 * at `/admin`), built into `dist/web`. Nothing is inlined: the pages run under a CSP without
 * `'unsafe-inline'` or `data:`.
 */
export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    rollupOptions: {
      input: { deposit: here('index.html'), admin: here('admin/index.html') },
      output: {
        manualChunks: (id) =>
          id.includes('/node_modules/') || id.includes('/web/lib/') ? 'shared' : undefined,
      },
    },
  },
});
