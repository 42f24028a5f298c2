// The server's own user directory (unchanged by CIBA).

export interface UserRow {
  readonly sub: string
  readonly email: string
  readonly name: string
}

export const DEMO_USERS: readonly UserRow[] = [
  { sub: 'u-1001', email: 'alice@example.com', name: 'Alice Adams' },
  { sub: 'u-1002', email: 'bob@example.com', name: 'Bob Brown' },
]

export function findUserByEmail(users: readonly UserRow[], email: string): UserRow | undefined {
  return users.find((user) => user.email === email.toLowerCase())
}
