import { approvalsResource } from './approvals-resource.js';
import { anyResource, type AnyConsoleResource } from './console-resource.js';
import { incidentsResource } from './incidents-resource.js';
import { runsResource } from './runs-resource.js';

/**
 * Everything the console lists and shows, one line each: the CLI makes `meshwarden <name>
 * list|show` of each, the service serves each at `/api/v1/<name>`. Cases join here as one more
 * line once the engine records them.
 */
export const CONSOLE_RESOURCES: readonly AnyConsoleResource[] = [
  anyResource(incidentsResource),
  anyResource(runsResource),
  anyResource(approvalsResource),
];
