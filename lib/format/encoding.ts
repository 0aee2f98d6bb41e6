/**
 * Encoding helpers the whole library shares: HTML escaping, base64 of bytes and back, and hex
 * SHA-256 digests. One copy each, so an HTML page, a record's samples and a checksum are written
 * the same way everywhere.
 *
 * @module
 */

/**
 * `text` with the five HTML special characters escaped (`&`, `<`, `>`, `"`, `'`): safe in element
 * content and in quoted attribute values alike.
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Base64 of `bytes` (chunked, so large arrays do not overflow the argument list). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** The bytes of a base64 string; throws (naming the problem) on text that is not base64. */
export function base64ToBytes(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new Error(
      `base64ToBytes: the text (${text.length} characters, starting ${
        JSON.stringify(text.slice(0, 16))
      }) is not base64.`,
    );
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Lower-case hex SHA-256 of bytes or of a string's UTF-8 (WebCrypto). */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
