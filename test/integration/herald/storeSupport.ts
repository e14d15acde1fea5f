import { afterAll, beforeAll } from 'vitest';
import { startAzurite } from '@herald/devhost/testing';

/**
 * An Azurite of its own for a test file that drives Herald's stores straight from the test process, as
 * another instance of the app would: the stores read `AzureWebJobsStorage`, so it names this Azurite until
 * the file ends. Returns the connection string, for reading the tables beside the stores (valid in tests).
 */
export function storesOnOwnAzurite(): () => string {
  let azurite: Awaited<ReturnType<typeof startAzurite>> | undefined;
  const saved = process.env.AzureWebJobsStorage;
  beforeAll(async () => {
    azurite = await startAzurite();
    process.env.AzureWebJobsStorage = azurite.connectionString;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.AzureWebJobsStorage;
    else process.env.AzureWebJobsStorage = saved;
    await azurite?.stop();
  });
  return () => {
    if (!azurite) throw new Error('storesOnOwnAzurite: Azurite is not started yet (use the value inside a test)');
    return azurite.connectionString;
  };
}
