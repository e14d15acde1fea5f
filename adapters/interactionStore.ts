// Placeholder: the interaction store is being written (issue #5).
/** Users who clicked the message (any channel, any occurrence): resends skip them. */
export async function clickedRecipients(_tenantId: string, _messageId: string): Promise<Set<string>> {
  return new Set();
}
