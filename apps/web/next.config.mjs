/**
 * A static export (`out/`), served by the API server on its own origin (apps/server/src/platform/http/dashboard.ts),
 * so session cookies and CSRF protection work unchanged. Every route is a folder with an index.html.
 */
const config = {
  output: 'export',
  trailingSlash: true,
  images: { unoptimized: true },
  poweredByHeader: false,
  reactStrictMode: true,
};
export default config;
