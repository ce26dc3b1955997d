import type { Logger } from 'pino';
import type { Feature } from '../../platform/http/operation.js';
import { registerDashboard } from './dashboard-files.js';

export interface DashboardFeatureDeps {
  /** SERVE_DASHBOARD: whether this server serves the dashboard's static export. */
  serve: boolean;
  logger: Logger;
}

/** The dashboard's static files (dashboard-files.ts): pages and assets, hidden from the reference. */
export function dashboardFeature({ serve, logger }: DashboardFeatureDeps): Feature {
  return {
    name: 'dashboard',
    operations: [],
    registerRoutes: (app) => {
      if (!serve) return;
      const dashboardFiles = registerDashboard(app);
      logger.debug({ dashboardFiles }, dashboardFiles === null ? 'dashboard not built (npm run build)' : 'serving the dashboard');
    },
  };
}
