/**
 * @module runtrail/server/dashboard
 * The dashboard wing of the server: the built web app served at `/`, with deep links.
 */
export { findDashboardRoot, registerDashboard, type DashboardOptions } from "./dashboard-static.js";
