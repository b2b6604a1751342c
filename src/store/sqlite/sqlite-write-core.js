// @ts-check
/**
 * The SQLite store's write transactions: a batch (events, then the runs and steps upserts) and the
 * retention sweep. They run on the store's write thread (`sqlite-write-thread.js`) or, for an
 * in-memory or caller-owned database, on the caller's thread; both use this one implementation.
 *
 * Plain JavaScript (type-checked from JSDoc) because a worker thread loads it directly: from the
 * sources under test and from `dist` alike, with no TypeScript loader in the worker.
 */

/**
 * The SQL of every write, prepared once per connection (built in `sqlite-queries.ts`).
 * @typedef {object} WriteSql
 * @property {string} insertEvent
 * @property {string} upsertRun
 * @property {string} upsertStep
 * @property {string} hasEvent
 * @property {string} deleteEvents
 * @property {string} deleteSteps
 * @property {string} deleteRuns
 */

/**
 * Rows column by column: `columns[c][r]` is parameter `c` of row `r` of a statement. Sent to the
 * write thread this way because copying a message costs per object: a few dozen column arrays
 * cross the thread boundary several times faster than an array per row.
 * @typedef {unknown[][]} Columns
 */

/**
 * A batch in a form a worker can receive (structured clone): each statement's positional
 * parameters, as columns.
 * @typedef {object} WriteBatch
 * @property {Columns} events
 * @property {Columns} runs
 * @property {Columns} steps
 * @property {[string, string, number] | null} checkStored When set (a retry after an unknown outcome),
 *   the account, run id and seq of the batch's last event: if it is stored, the whole batch is, and
 *   nothing is written.
 */

/**
 * @typedef {object} WriteCore
 * @property {(batch: WriteBatch) => { cursors?: number[] }} append
 * @property {(accountId: string, before: number) => { runs: number, events: number }} deleteRunsBefore
 */

/**
 * Calls `fn` with each row's parameters, in one array reused from row to row.
 * @param {Columns} columns
 * @param {(row: unknown[]) => void} fn
 */
function forEachRow(columns, fn) {
  const rows = columns[0]?.length ?? 0;
  const row = new Array(columns.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns.length; c++) row[c] = /** @type {unknown[]} */ (columns[c])[r];
    fn(row);
  }
}

/**
 * Prepares the write statements on `db` and returns the two write transactions.
 * @param {import("./sqlite-driver.js").SqliteDatabase} db
 * @param {WriteSql} sql
 * @returns {WriteCore}
 */
export function createWriteCore(db, sql) {
  const insertEvent = db.prepare(sql.insertEvent);
  const upsertRun = db.prepare(sql.upsertRun);
  const upsertStep = db.prepare(sql.upsertStep);
  const hasEvent = db.prepare(sql.hasEvent);
  const deleteEvents = db.prepare(sql.deleteEvents);
  const deleteSteps = db.prepare(sql.deleteSteps);
  const deleteRuns = db.prepare(sql.deleteRuns);

  const append = db.transaction(
    /** @param {WriteBatch} batch */
    (batch) => {
      // A batch commits whole or not at all, so its last event tells whether it is already stored.
      if (batch.checkStored !== null && hasEvent.get(...batch.checkStored) !== undefined) return {};
      /** @type {number[]} */
      const cursors = [];
      forEachRow(batch.events, (row) => cursors.push(Number(insertEvent.run(...row).lastInsertRowid)));
      forEachRow(batch.runs, (row) => upsertRun.run(...row));
      forEachRow(batch.steps, (row) => upsertStep.run(...row));
      return { cursors };
    },
  );

  const deleteRunsBefore = db.transaction(
    /** @param {string} accountId @param {number} before */
    (accountId, before) => {
      const events = deleteEvents.run(accountId, accountId, before).changes;
      deleteSteps.run(accountId, accountId, before);
      const runs = deleteRuns.run(accountId, before).changes;
      return { runs, events };
    },
  );

  return { append, deleteRunsBefore };
}
