/** The rebuild timeline: phases (data), arithmetic (pure), the file it is kept in, the report. */
export * from './phases.js';
export * from './timeline.js';
export * from './store-file.js';
export * from './report.js';
