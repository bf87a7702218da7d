import type pg from "pg";

/**
 * Runs `work` inside `BEGIN … COMMIT` on one client of `pool`; rolls back and rethrows when it throws.
 * A client whose connection broke is destroyed instead of returned to the pool. While checked out the
 * client has an 'error' listener, because `pg` emits connection errors between queries as events.
 * @returns what `work` returns, after the commit succeeded.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    // A query that timed out on the client leaves the connection mid-statement: drop it, no ROLLBACK
    // (the server rolls back when the connection closes).
    if (error instanceof Error && /Query read timeout/.test(error.message)) broken = error;
    if (broken === undefined) {
      await client.query("ROLLBACK").catch((rollbackError: Error) => {
        broken = rollbackError;
      });
    }
    broken ??=
      error instanceof Error && /Connection terminated|not queryable/i.test(error.message)
        ? error
        : undefined;
    throw error;
  } finally {
    client.removeListener("error", onError);
    client.release(broken);
  }
}
