import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Built into dist/ and served by the gateway at /console; `npm run dev -w @latih/console` proxies the API. */
const gateway = process.env.LATIH_URL ?? 'http://localhost:3000';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: { '/trpc': gateway, '/v1': gateway, '/console/api': gateway },
  },
});
