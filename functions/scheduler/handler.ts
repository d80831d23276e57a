// Placeholder until the stage is written.
export const handler = async (): Promise<{ batchItemFailures: never[] }> => ({ batchItemFailures: [] });
