import { defineConfig } from "vitest/config";

// No React plugin: esbuild compiles the JSX (the plugin's Fast Refresh is not needed to build).
export default defineConfig({
  esbuild: { jsx: "automatic" },
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 1200 },
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
