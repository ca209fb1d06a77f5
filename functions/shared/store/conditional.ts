// Conditional writes are how repeated steps stay safe: a write whose condition no longer holds
// was already done (or overtaken), which is an answer, not an error.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** Sends a conditional write: true when it applied, false when its condition did not hold. */
export async function applied(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (e: unknown) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}
