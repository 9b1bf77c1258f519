export const CELLOS_API_VERSION = "cellos.io/v1";
export const EXECUTION_CELL_KIND = "ExecutionCell";
