/** Lower-case hex SHA-256 through Web Crypto (Node 20 and browsers alike). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // Web Crypto takes ArrayBuffer-backed views only; a view of a SharedArrayBuffer is copied.
  const view = bytes.buffer instanceof ArrayBuffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes.slice();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', view));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
