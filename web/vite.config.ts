import { defineConfig } from 'vite';

// Stable file names (no content hashes): the prebuilt bundle in dist/ is committed, and the
// binary serves every file with Cache-Control: no-store anyway.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      output: {
        entryFileNames: 'assets/app.js',
        chunkFileNames: 'assets/[name].js',
        assetFileNames: 'assets/[name][extname]',
      },
    },
  },
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
});
