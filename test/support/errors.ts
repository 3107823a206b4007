/** The response is the contract's error body for `status` and `code`. */
export function expectError(
  response: { status: number; body: Record<string, unknown> },
  status: number,
  code: string,
): void {
  expect(response.status).toBe(status);
  expect(response.body).toMatchObject({
    statusCode: status,
    code,
    error: expect.any(String),
    message: expect.any(String),
  });
}
