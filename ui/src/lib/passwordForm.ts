// The one rule of every username-and-password form (sign-in, obtaining a certificate).

/** What is missing before a username and password can be sent, or null when both are there. */
export function missingField(username: string, password: string): { field: "username" | "password"; message: string } | null {
  if (!username.trim()) return { field: "username", message: "Enter your username." };
  if (!password) return { field: "password", message: "Enter your password." };
  return null;
}
