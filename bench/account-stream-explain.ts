/**
 * The PostgreSQL plan of an account stream's page (`findEvents` by cursor) before and after the
 * `events_account_cursor` index (schema 6 → 7), on a table where the account holds the newest
 * twentieth of the events: `npx tsx bench/account-stream-explain.ts`. Before, the planner walks
 * the primary key from the cursor and filters out every other account's row; after, it reads the
 * account's next 501 rows from the index.
 */
import pg from "pg";
import { migratePostgres } from "../src/store/postgres/postgres-schema.js";
const url = process.env.RUNTRAIL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = "rt_explain_lease";
const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
await c.connect();
await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await c.query(`CREATE SCHEMA ${schema}`);
await migratePostgres(c, schema, 6);
// 400,000 events: account "a" holds the newest 20,000 (40 runs), "b" the 380,000 before them.
await c.query(`INSERT INTO events (run_id, seq, account_id, type, step_id, ts, body)
  SELECT 'r' || (g % 40), g + 1, CASE WHEN g >= 380000 THEN 'a' ELSE 'b' END, 'step.completed', 's', g, '{"x":1}'::jsonb
  FROM generate_series(0, 399999) g`);
await c.query("ANALYZE events");
const q = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT cursor, body, truncated FROM events WHERE account_id = $1 AND cursor > $2 ORDER BY cursor LIMIT $3";
const show = async (label: string) => {
  const { rows } = await c.query(q, ["a", 0, 501]);
  console.log(`--- ${label}\n${rows.map((r) => r["QUERY PLAN"]).join("\n")}`);
};
await show("before (schema 6)");
await migratePostgres(c, schema, 7);
await c.query("ANALYZE events");
await show("after (schema 7: events_account_cursor)");
await c.query(`DROP SCHEMA ${schema} CASCADE`);
await c.end();
