import { approvalsResource } from './approvals-resource.js';
import { casesResource } from './cases-resource.js';
import { anyResource, type AnyConsoleResource } from './console-resource.js';
import { incidentsResource } from './incidents-resource.js';
import { runsResource } from './runs-resource.js';

/**
 * Everything the console lists and shows, one line each: the CLI makes `meshwarden <name>
 * list|show` of each, the service serves each at `/api/v1/<name>`.
 */
export const CONSOLE_RESOURCES: readonly AnyConsoleResource[] = [
  anyResource(incidentsResource),
  anyResource(casesResource),
  anyResource(runsResource),
  anyResource(approvalsResource),
];
