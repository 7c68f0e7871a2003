import { defineConfig } from "vite";

// The Gateway serves the build from its wwwroot, so the page and the API share one origin.
// `npm run dev` proxies the API to a Gateway started by `dotnet run --project AppHost`.
export default defineConfig({
  build: {
    outDir: "../../services/Gateway/wwwroot",
    emptyOutDir: true,
    // Inline assets would need 'data:' or inline styles in the content security policy.
    assetsInlineLimit: 0,
  },
  server: {
    port: 5173,
    proxy: {
      "/api": "http://localhost:5080",
      "/dev": "http://localhost:5080",
    },
  },
});
