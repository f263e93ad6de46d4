/**
 * Imported first by a test that measures Ink's real terminal output: with `CI` (or `CI_*`,
 * `CONTINUOUS_INTEGRATION`) in the environment Ink (is-in-ci, read when Ink loads) draws nothing
 * until exit, which a byte budget would misread. An operator's terminal never has it.
 */
for (const key of Object.keys(process.env)) {
  if (key === 'CI' || key === 'CONTINUOUS_INTEGRATION' || key.startsWith('CI_')) delete process.env[key];
}
